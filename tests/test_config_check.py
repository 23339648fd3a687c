"""``healing-guard validate``: a config checked as the action checks it, reported in the action's words.

Good, bad and hostile files (the fixtures of ``tests/fixtures/config`` and the cases of
``tests/adversarial/data/hostile-configs.yml``) go through the command; for a sample of them the action
is run on the same file (in process as ``entrypoint.py`` calls it, and once as the runner starts it)
and its ``::error::``/``::warning::`` texts are compared with what the command printed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from healing_guard import cli, config_check
from healing_guard.catalogue import load_catalogue
from healing_guard.config import load_config
from healing_guard.errors import ConfigError

from .adversarial.edge import Repo, repo, run_main, runner_env, start_like_the_runner, write_config
from .adversarial.test_hostile_configs import CASES, content, place

__all__ = ["repo"]  # the module-scoped fake GitHub fixture

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "config"
EXAMPLE = ROOT / "examples" / "healing-config.yml"
PREFIX = re.compile(r"^healing-guard: (error|warning): ", re.M)


def validate(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["validate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def reported(err: str, kind: str) -> list[str]:
    """The messages of one kind on standard error, without the ``healing-guard: kind: `` prefix."""
    return [line.split(": ", 2)[2] for line in err.splitlines() if line.startswith(f"healing-guard: {kind}: ")]


# -- good files -------------------------------------------------------------------------------------------


def test_the_example_config_is_valid_and_says_what_it_checked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = validate(capsys, "--config", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{EXAMPLE}: valid",
        "  custom strategies:  2 (flaky-db-container, internal-mirror-down)",
        "  strategy overrides: 1 (python-module-not-found)",
        "  warnings:           0",
    ]


@pytest.mark.parametrize("name", ["minimal.yml", "empty.yml", "comments-only.yml", "partial-sections.yml"])
def test_small_valid_files(capsys: pytest.CaptureFixture[str], name: str) -> None:
    code, out, err = validate(capsys, "--config", str(FIXTURES / name))
    assert (code, err) == (0, "")
    assert out.startswith(f"{FIXTURES / name}: valid\n")


def test_unknown_keys_warn_with_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "unknown-keys.yml"
    code, out, err = validate(capsys, "--config", str(path))
    assert code == 0
    assert "  warnings:           5 (on standard error)" in out
    assert "  custom strategies:  1 (flaky-db-container)" in out
    warnings = reported(err, "warning")
    assert warnings[0] == f"{path}:2: dry_rn: unknown key, ignored; did you mean dry_run?"
    assert (
        f"{path}:16: custom_strategies[0].prio: unknown key, ignored; did you mean custom_strategies[0].priority?"
        in (warnings)
    )
    assert len(warnings) == 5


def test_default_path_missing_means_the_defaults(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = validate(capsys)
    assert (code, err) == (0, "")
    assert out == ".github/healing-config.yml: no config file; the action runs with the built-in defaults\n"
    # and the default path is read when it is there
    write_config(tmp_path, b"dry_run: maybe\n")
    code, out, err = validate(capsys)
    assert code == 1
    assert reported(err, "error") == ['.github/healing-config.yml:1: dry_run: must be true or false, got "maybe"']


def test_a_missing_file_named_explicitly_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = validate(capsys, "--config", str(tmp_path / "nope.yml"))
    assert (code, out) == (1, "")
    assert err == f"healing-guard: error: {tmp_path / 'nope.yml'}: no such file\n"


# -- bad files ----------------------------------------------------------------------------------------------

INVALID = sorted(p.name for p in FIXTURES.glob("invalid-*.yml"))


@pytest.mark.parametrize("name", INVALID)
def test_invalid_fixtures(capsys: pytest.CaptureFixture[str], name: str) -> None:
    path = FIXTURES / name
    code, out, err = validate(capsys, "--config", str(path))
    assert code == 1
    assert "invalid" in out and "the action would fail the step and do nothing" in out
    errors = reported(err, "error")
    assert errors and all(e.startswith(f"{path}") for e in errors), err
    with pytest.raises(ConfigError) as info:
        load_config(path, catalogue=load_catalogue())
    assert "\n".join(errors) == config_check.located(info.value)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_risk: extreme\n", ':1: max_risk: must be one of low, medium, high, got "extreme"'),
        (
            "custom_strategies:\n  - {id: mine, name: Mine, category: network, patterns: ['^(unclosed'],"
            " risk: low, action: rerun}\n",
            ":2: custom_strategies[0].patterns[0]: pattern '^(unclosed' is not a valid regular expression",
        ),
        (
            "strategies:\n  python-module-not-fond: {enabled: false}\n",
            ":2: strategies.python-module-not-fond: unknown strategy id; did you mean python-module-not-found",
        ),
    ],
    ids=["schema", "bad-regex", "unknown-strategy"],
)
def test_bad_files(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "healing-config.yml"
    path.write_text(text, "utf-8")
    code, out, err = validate(capsys, "--config", str(path))
    assert code == 1
    assert out == f"{path}: invalid (1 problem); the action would fail the step and do nothing\n"
    (error,) = reported(err, "error")
    assert error.startswith(f"{path}{message}"), error


# -- hostile files: every case of the adversarial data that is about the file (not an action input) -------

FILE_CASES = [c for c in CASES if not c.get("input")]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c["id"] for c in FILE_CASES])
def test_hostile_config(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: dict[str, Any]) -> None:
    path = place(case, tmp_path)
    code, out, err = validate(capsys, "--config", str(path))
    assert "Traceback" not in err
    assert all(PREFIX.match(line) for line in err.splitlines()), err
    assert "\x1b" not in err + out and "\x07" not in err + out
    if "error" in case:
        assert code == 1, out + err
        text = PREFIX.sub("", err)
        assert re.search(case["error"], text, re.S), text
        assert text.startswith(f"{path}"), text
    else:
        assert code == 0, err
        assert any(re.search(case["warning"], w) for w in reported(err, "warning")), err


def test_a_device_is_not_a_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the action refuses this one as an input (config-path leaves the workspace); the command line has
    # no workspace, and reads no device
    path = tmp_path / "healing-config.yml"
    path.symlink_to("/dev/zero")
    code, _, err = validate(capsys, "--config", str(path))
    assert code == 1
    assert reported(err, "error") == [f"{path}: is a character device, not a config file"]


# -- the same words as the action -----------------------------------------------------------------------------


def workflow_commands(stdout: str, kind: str) -> list[tuple[dict[str, str], str]]:
    """The ``::kind …::`` lines of the action's log: (properties, decoded text)."""

    def decode(value: str) -> str:
        return (
            value.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
        )

    out = []
    for line in stdout.splitlines():
        if not line.startswith(f"::{kind} "):
            continue
        head, text = line[len(kind) + 3 :].split("::", 1)
        props = dict(p.split("=", 1) for p in head.split(","))
        out.append(({k: decode(v) for k, v in props.items()}, decode(text)))
    return out


def cli_view_of_the_action(stdout: str, path: Path) -> tuple[list[str], list[str]]:
    """What the action reported, written the way ``validate`` writes it (file and line in front)."""

    def located(props: dict[str, str], text: str) -> str:
        assert props["file"] == ".github/healing-config.yml"
        return f"{path}:{props['line']}: {text}" if "line" in props else f"{path}: {text}"

    errors = []
    for props, text in workflow_commands(stdout, "error"):
        if props.get("title") != config_check.INVALID_TITLE:
            continue  # a run that goes on annotates its diagnoses too
        problem, consequence = text.split("\n\n")
        assert consequence == config_check.CONSEQUENCE
        errors += located(props, problem).splitlines()
    warnings = []
    for props, text in workflow_commands(stdout, "warning"):
        if props.get("title") == config_check.WARNING_TITLE:
            warnings.append(located(props, text))
    return errors, warnings


SAME_WORDS = [
    *(("fixture", n) for n in ("invalid-multiple.yml", "invalid-custom-regex.yml", "unknown-keys.yml")),
    *(("fixture", n) for n in ("invalid-unknown-strategy.yml", "invalid-tabs.yml", "invalid-custom-duplicate-id.yml")),
    *(
        ("case", c)
        for c in (
            "deep-flow-lists",
            "billion-laughs-lists",
            "larger-than-1-mib",
            "latin-1",
            "duplicate-top-level-key",
            "fifo",
            "directory",
            "top-level-typo",
            "typo-inside-a-custom-strategy",
        )
    ),
]


def _place(kind: str, name: str, workspace: Path) -> Path:
    if kind == "fixture":
        return write_config(workspace, (FIXTURES / name).read_bytes())
    (case,) = [c for c in CASES if c["id"] == name]
    assert content(case) is not None or "special" in case
    return place(case, workspace)


@pytest.mark.parametrize(("kind", "name"), SAME_WORDS, ids=[n for _, n in SAME_WORDS])
def test_validate_says_what_the_action_says(
    capsys: pytest.CaptureFixture[str], repo: Repo, tmp_path: Path, kind: str, name: str
) -> None:
    workspace = tmp_path / "ws"
    path = _place(kind, name, workspace)
    repo.new_requests()
    action = run_main({**runner_env(repo, workspace), "INPUT_DRY-RUN": "true"})
    code, _, err = validate(capsys, "--config", str(path))
    errors, warnings = cli_view_of_the_action(action.stdout, path)
    assert reported(err, "error") == errors
    assert reported(err, "warning") == warnings
    assert errors or warnings  # each sample reports something
    assert code == action.code == (1 if errors else 0)


def test_validate_says_what_the_action_started_by_the_runner_says(
    capsys: pytest.CaptureFixture[str], repo: Repo, tmp_path: Path
) -> None:
    workspace = tmp_path / "ws"
    path = _place("fixture", "invalid-multiple.yml", workspace)
    repo.new_requests()
    action = start_like_the_runner(repo, workspace, config=(FIXTURES / "invalid-multiple.yml").read_text("utf-8"))
    code, _, err = validate(capsys, "--config", str(path))
    errors, _ = cli_view_of_the_action(action.stdout, path)
    assert len(errors) == 3 and reported(err, "error") == errors
    assert code == action.returncode == 1
