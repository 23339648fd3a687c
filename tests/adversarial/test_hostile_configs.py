"""Hostile config files: each fails the step with one clear error on the file, or warns and goes on.

Two sources of cases, both run through the action's edge in process (``action.main`` with the
runner's environment, against a fake GitHub holding a run the guard would re-run):

- ``data/hostile-configs.yml``: nesting, alias bombs, size, encodings, YAML shapes and tags,
  duplicate keys, strategies, special files, unknown keys;
- every key of ``healing-config.schema.json`` given values of the wrong type or out of range.

One case of each class also runs as the runner starts the action (a fresh ``entrypoint.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.catalogue import load_catalogue
from healing_guard.config import config_schema, load_config
from healing_guard.errors import ConfigError

from .edge import DATA, Repo, assert_refused, repo, run_main, runner_env, special, start_like_the_runner, write_config

__all__ = ["repo"]  # the module-scoped fake GitHub fixture

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "hostile-configs.yml").read_text("utf-8"))
FAST = "retry:\n  backoff_seconds: 0\n  max_backoff_seconds: 0\n"


def _laughs(kind: str, levels: int, width: int, key: str) -> str:
    lines = ['l0: &l0 ["lol"]' if kind == "list" else "l0: &l0 {lol: 1}"]
    for n in range(1, levels + 1):
        refs = ", ".join(f"*l{n - 1}" for _ in range(width))
        if kind == "list":
            lines.append(f"l{n}: &l{n} [{refs}]")
        elif kind == "map":
            lines.append(f"l{n}: &l{n} {{{', '.join(f'k{i}: *l{n - 1}' for i in range(width))}}}")
        else:  # merge keys: each level merges the one below, and nests it too
            lines.append(f"l{n}: &l{n} {{<<: [*l{n - 1}], {', '.join(f'k{i}: *l{n - 1}' for i in range(width))}}}")
    lines.append(f"{key}: *l{levels}")
    return "\n".join(lines) + "\n"


def content(case: dict[str, Any]) -> bytes | None:
    """The bytes of a case's file (``None`` for a special file)."""
    if "text" in case:
        return str(case["text"]).encode("utf-8")
    if "hex" in case:
        return bytes.fromhex(str(case["hex"]))
    make = case.get("make")
    if make is None:
        return None
    text: str
    if "nest" in make:
        opening, closing = make["nest"]
        text = make.get("prefix", "") + opening * make["depth"] + make.get("inner", "") + closing * make["depth"]
    elif "ladder" in make:
        depth = make["ladder"]
        text = "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v: 1\n"
    elif "repeat" in make:
        text = make.get("prefix", "") + make["repeat"] * make["times"] + make.get("suffix", "")
    else:
        text = _laughs(make["laughs"], make["levels"], make["width"], make["key"])
    return text.encode("utf-8")


def place(case: dict[str, Any], workspace: Path) -> Path:
    path = write_config(workspace, content(case))
    if "special" in case:
        special(path, case["special"], workspace.parent / "outside.txt")
    return path


def decoded(line: str) -> str:
    return line.split("::", 2)[2].replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_config(case: dict[str, Any], repo: Repo, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    place(case, workspace)
    repo.new_requests()
    # a config that only warns is applied: a dry run shows that without waiting for a re-run's backoff
    result = run_main({**runner_env(repo, workspace), "INPUT_DRY-RUN": "true"})
    if "error" in case:
        assert_refused(result, repo, case["error"])
        (error,) = result.errors
        if case.get("input"):
            assert "invalid input" in error
            return
        assert error.startswith("::error file=.github/healing-config.yml,"), error
        if "line" in case:
            assert f",line={case['line']}," in error, error
        assert "Invalid healing-config" in result.summary
    else:
        assert result.code == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
        assert any(re.search(case["warning"], decoded(w)) for w in result.warnings), result.stdout
        assert "Dry run" in result.summary and result.outputs["action"] != "none", result.summary


# -- a wrong value at every key of the schema ---------------------------------------------------------

STRATEGY = "npm-network-error"
CUSTOM = {"id": "mine", "name": "Mine", "category": "network", "patterns": ["^boom"], "risk": "low", "action": "rerun"}
CUSTOM_REMEDIATION = {**{k: v for k, v in CUSTOM.items() if k != "action"}, "remediation": {"action": "rerun"}}


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = config_schema()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def wrong_values(node: dict[str, Any]) -> list[Any]:
    """Values that ``node`` (a schema) must refuse: other types, and the edges of its range."""
    if "const" in node:
        return [node["const"] + 1, str(node["const"]), True, None, [node["const"]]]
    if "enum" in node:
        return ["extreme", 1, True, None, list(node["enum"][:1]), {"a": 1}]
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    nullable = "null" in kinds
    kind = next(k for k in kinds if k != "null")
    out: list[Any] = []
    if kind == "integer":
        out = ["three", 1.5, True, [1], {"a": 1}, 10**30, -(10**30)]
        out += [node["minimum"] - 1] if "minimum" in node else []
        out += [node["maximum"] + 1] if "maximum" in node else []
    elif kind == "number":
        out = ["high", True, [0.5], {"a": 1}, float("nan"), float("inf"), float("-inf")]
        out += [node["minimum"] - 0.5] if "minimum" in node else []
        out += [node["maximum"] + 0.5] if "maximum" in node else []
    elif kind == "boolean":
        out = ["yes", "true", 1, 0, [True], {"a": True}]
    elif kind == "string":
        out = [12, 1.5, True, ["a"], {"a": "b"}]
        out += ["no caret at the start", "-leading-dash"] if "pattern" in node else []
    elif kind == "array":
        out = ["main", 1, True, {"a": 1}]
    elif kind == "object":
        out = ["x", 1, True, [1]]
    return out if nullable else [*out, None]


def schema_cases() -> Iterator[tuple[str, dict[str, Any], str]]:
    """(case id, document, dotted key the error must name) for every key and wrong value."""

    def walk(node: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
        node = _resolve(node)
        if path:
            for value in wrong_values(node):
                yield path, value
        for key, child in node.get("properties", {}).items():
            yield from walk(child, (*path, key))
        if isinstance(node.get("items"), dict):
            yield from walk(node["items"], (*path, 0))
        if isinstance(node.get("additionalProperties"), dict):
            yield from walk(node["additionalProperties"], (*path, STRATEGY))

    for path, value in walk(config_schema(), ()):
        document: Any = _place(path, value)
        dotted = "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
        yield f"{dotted}={json.dumps(value)}", document, dotted


def _place(path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "custom_strategies" and len(rest) >= 2:
        item = dict(CUSTOM_REMEDIATION if rest[1] == "remediation" else CUSTOM)
        inner = _place(rest[1:], value)
        if rest[1] == "remediation" and len(rest) > 2:
            inner = {"remediation": {"action": "rerun", **inner["remediation"]}}
        item.update(inner)
        return {head: [item]}
    if isinstance(head, int):
        return [_place(rest, value)]
    return {head: _place(rest, value)}


SCHEMA_CASES = list(schema_cases())


@pytest.mark.parametrize(("document", "key"), [c[1:] for c in SCHEMA_CASES], ids=[c[0] for c in SCHEMA_CASES])
def test_wrong_value_at_every_key(document: Any, key: str, repo: Repo, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    text = yaml.safe_dump(document, allow_unicode=True)
    path = write_config(workspace, text.encode("utf-8"))
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, catalogue=load_catalogue())
    assert key.split("[")[0].split(".")[0] in str(excinfo.value)
    repo.new_requests()
    result = run_main(runner_env(repo, workspace))
    assert_refused(result, repo, re.escape(key.rsplit(".", 1)[0]))


# -- one case of each class as the runner starts the action -------------------------------------------

CLASSES = [
    "deep-flow-lists",
    "billion-laughs-lists",
    "larger-than-1-mib",
    "latin-1",
    "duplicate-top-level-key",
    "python-object-tag",
    "unknown-strategy-id-with-typo",
    "fifo",
    "dev-zero",
]


@pytest.mark.parametrize("case_id", CLASSES)
def test_each_class_as_the_runner_starts_it(case_id: str, repo: Repo, tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c["id"] == case_id]
    workspace = tmp_path / "ws"
    place(case, workspace)
    repo.new_requests()
    result = start_like_the_runner(repo, workspace)
    assert_refused(result, repo, case["error"])
