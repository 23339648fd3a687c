"""Hostile event payloads: each fails the step with one clear error, never a traceback, never acts.

The cases are ``data/hostile-events.yml``; each runs through the action's edge in process with the
runner's environment, against a fake GitHub holding a failed run the guard would re-run; one of
each class also runs as the runner starts the action.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from .edge import DATA, Repo, assert_refused, repo, run_main, runner_env, special, start_like_the_runner

__all__ = ["repo"]  # the module-scoped fake GitHub fixture

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "hostile-events.yml").read_text("utf-8"))


def expand(value: Any, run: dict[str, Any]) -> Any:
    """The payload with ``$run`` replaced by the seeded run, changed as the case says."""
    if value == "$run":
        return dict(run)
    if isinstance(value, dict):
        if set(value) == {"$run"}:
            out = dict(run)
            for key, new in value["$run"].items():
                if key.startswith("-"):
                    out.pop(key[1:], None)
                else:
                    out[key] = new
            return out
        return {k: expand(v, run) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, run) for v in value]
    return value


def payload(case: dict[str, Any], run: dict[str, Any]) -> bytes | None:
    if "payload" in case:
        return json.dumps(expand(case["payload"], run)).encode("utf-8")
    if "raw" in case:
        return str(case["raw"]).encode("utf-8")
    if "hex" in case:
        return bytes.fromhex(str(case["hex"]))
    if "make" in case:
        make = case["make"]
        text: str
        if "nest" in make:
            opening, closing = make["nest"]
            text = opening * make["depth"] + make.get("inner", "") + closing * make["depth"]
        else:
            text = make.get("prefix", "") + make["repeat"] * make["times"]
        return text.encode("utf-8")
    return None


def prepare(case: dict[str, Any], repo: Repo, workspace: Path) -> dict[str, str]:
    body = payload(case, repo.run)
    env = runner_env(repo, workspace, b"{}" if body is None else body)
    env["GITHUB_EVENT_NAME"] = case.get("event_name", "workflow_run")
    (workspace / ".github").mkdir(exist_ok=True)
    (workspace / ".github" / "healing-config.yml").write_text("retry: {backoff_seconds: 0, max_backoff_seconds: 0}\n")
    if "special" in case:
        event = Path(env["GITHUB_EVENT_PATH"])
        event.unlink()
        if case["special"] != "missing":
            special(event, case["special"], workspace.parent / "outside.txt")
    return env


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_event(case: dict[str, Any], repo: Repo, tmp_path: Path) -> None:
    env = prepare(case, repo, tmp_path / "ws")
    repo.new_requests()
    result = run_main(env)
    assert_refused(result, repo, case["error"])
    assert "event" in result.errors[0]


def test_a_well_formed_event_with_hostile_extras_is_accepted(repo: Repo, tmp_path: Path) -> None:
    """Keys the guard does not read are not checked: a huge or odd value elsewhere changes nothing."""
    event = {
        "workflow_run": {**repo.run, "display_title": "::error::x" * 10_000, "extra": [[[[[]]]]]},
        "sender": None,
        "repository": "not an object",
    }
    env = runner_env(repo, tmp_path / "ws", json.dumps(event).encode())
    env["INPUT_DRY-RUN"] = "true"
    repo.new_requests()
    result = run_main(env)
    assert result.code == 0 and "Traceback" not in result.stderr, result.stdout
    assert result.outputs["action"] == "rerun"  # the plan, in a dry run
    # reads only: GETs, and the GraphQL `viewer` query that tells the guard who it is
    assert all(r.startswith("GET ") or r == "POST /graphql" for r in repo.new_requests())


CLASSES = ["run-id-string", "run-id-negative", "attempt-zero", "workflow-run-list", "top-level-list", "deep-lists"]


@pytest.mark.parametrize("case_id", CLASSES)
def test_each_class_as_the_runner_starts_it(case_id: str, repo: Repo, tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c["id"] == case_id]
    body = payload(case, repo.run)
    assert body is not None
    repo.new_requests()
    result = start_like_the_runner(repo, tmp_path / "ws", event=body)
    assert_refused(result, repo, case["error"])
