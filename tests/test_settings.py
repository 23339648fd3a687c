"""Inputs and runner variables become one Settings, read the way the runner passes them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from healing_guard.errors import SettingsError
from healing_guard.settings import INPUTS, Settings, check_strategy, read_input

ROOT = Path(__file__).resolve().parent.parent


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"workflow_run": {"id": 9001, "run_attempt": 2}}), "utf-8")
    env = {
        "GITHUB_REPOSITORY": "octo-org/octo-repo",
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_RUN_ID": "77",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3",
        "INPUT_GITHUB-TOKEN": "ghs_token",
    }
    env.update(extra)
    return env


def test_hyphenated_inputs_and_the_workflow_run_event(tmp_path: Path) -> None:
    s = Settings.from_env(base_env(tmp_path, **{"INPUT_MAX-RETRIES": "2", "INPUT_DRY-RUN": "true"}))
    assert (s.run_id, s.run_attempt) == (9001, 2)
    assert s.max_retries == 2 and s.dry_run
    assert s.api_url == "https://ghe.example.com/api/v3"
    assert (s.repository, s.mode) == ("octo-org/octo-repo", "run")
    assert s.config_path == tmp_path / ".github/healing-config.yml"


def test_underscore_form_is_read_too() -> None:
    assert read_input({"INPUT_MAX_RETRIES": "5"}, "max-retries") == "5"
    assert read_input({}, "max-retries") == "3"


def test_explicit_run_id_wins_and_current_run_is_the_fallback(tmp_path: Path) -> None:
    assert Settings.from_env(base_env(tmp_path, **{"INPUT_RUN-ID": "123"})).run_id == 123
    env = base_env(tmp_path, GITHUB_EVENT_NAME="push")
    env.pop("GITHUB_EVENT_PATH")
    s = Settings.from_env(env)
    assert (s.run_id, s.run_attempt) == (77, 1)


def test_log_path_mode_needs_no_token(tmp_path: Path) -> None:
    env = {"INPUT_LOG-PATH": "a.log, b.log\nc.log", "GITHUB_WORKSPACE": str(tmp_path)}
    s = Settings.from_env(env)
    assert s.mode == "logs" and s.log_paths == ("a.log", "b.log", "c.log")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"INPUT_MAX-RETRIES": "three"}, "'max-retries' is \"three\": not a whole number. Did you mean max-retries: 3"),
        ({"INPUT_MAX-RETRIES": "99"}, "out of range \\(0 to 10\\). Did you mean max-retries: 10?"),
        ({"INPUT_MAX-RETRIES": "-1"}, "not a whole number"),
        ({"INPUT_MAX-RETRIES": "1_0"}, "not a whole number. Did you mean max-retries: 10?"),
        ({"INPUT_DRY-RUN": "maybe"}, "'dry-run' is \"maybe\": not a boolean"),
        ({"INPUT_RUN-ID": "latest"}, "'run-id' is \"latest\": not a workflow run id"),
        ({"INPUT_GITHUB-TOKEN": ""}, "No GitHub token"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "does not exist"),
    ],
)
def test_bad_inputs_get_clear_errors(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(base_env(tmp_path, **extra))


# -- defect 16: every input is checked; booleans as @actions/core's getBooleanInput reads them ---------


@pytest.mark.parametrize("name", ["dry-run", "fail-on-error"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_booleans_accept_the_yaml_core_forms(tmp_path: Path, name: str, value: str, expected: bool) -> None:
    s = Settings.from_env(base_env(tmp_path, **{f"INPUT_{name.upper()}": value}))
    assert getattr(s, name.replace("-", "_")) is expected


@pytest.mark.parametrize("name", ["dry-run", "fail-on-error"])
@pytest.mark.parametrize(
    ("value", "guess"),
    [
        ("yes", "true"),
        ("on", "true"),
        ("1", "true"),
        ("no", "false"),
        ("off", "false"),
        ("0", "false"),
        ("ture", "true"),
        ("flase", "false"),
        ("tRUE", "true"),
        ("maybe", None),
    ],
)
def test_other_boolean_spellings_are_refused_with_a_suggestion(
    tmp_path: Path, name: str, value: str, guess: str | None
) -> None:
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env(base_env(tmp_path, **{f"INPUT_{name.upper()}": value}))
    text = str(excinfo.value)
    assert text.startswith(f"The input '{name}' is \"{value}\": not a boolean.")
    assert (f"Did you mean {name}: {guess}?" in text) is (guess is not None)
    assert "\n\n" in text  # a paragraph with the fix follows


def test_fail_on_error_has_one_meaning(tmp_path: Path) -> None:
    quiet = Settings.from_env(base_env(tmp_path))
    loud = Settings.from_env(base_env(tmp_path, **{"INPUT_FAIL-ON-ERROR": "TRUE"}))
    assert [quiet.exit_code(guard_error=e) for e in (False, True)] == [0, 0]
    assert [loud.exit_code(guard_error=e) for e in (False, True)] == [0, 1]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "out of range"),
        ("-5", "not a workflow run id"),
        ("+5", "not a workflow run id.*Did you mean run-id: 5\\?"),
        ("1e3", "Did you mean run-id: 1000\\?"),
        (str(2**63), "out of range"),
        ("https://github.com/o/r/actions/runs/123", "Did you mean run-id: 123\\?"),
    ],
)
def test_run_id_input_must_be_a_positive_64_bit_number(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(base_env(tmp_path, **{"INPUT_RUN-ID": value}))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Auto-Detect", "Did you mean strategy: auto-detect\\?"),
        ("python_module_not_found", "Did you mean strategy: python-module-not-found\\?"),
        ("../etc", "not a strategy id"),
    ],
)
def test_strategy_input_must_look_like_an_id(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(base_env(tmp_path, **{"INPUT_STRATEGY": value}))


def test_strategy_input_is_checked_against_the_catalogue() -> None:
    ids, retired = ["python-module-not-found", "npm-network-error"], {"pip-module-missing": "python-module-not-found"}
    check_strategy("auto-detect", ids, retired)
    check_strategy("npm-network-error", ids, retired)
    with pytest.raises(SettingsError, match="Did you mean strategy: npm-network-error\\?"):
        check_strategy("npm-netwrok-error", ids, retired)
    with pytest.raises(SettingsError, match=r"retired\. Did you mean strategy: python-module-not-found\?"):
        check_strategy("pip-module-missing", ids, retired)
    with pytest.raises(SettingsError, match="Did you mean strategy: auto-detect\\?"):
        check_strategy("auto", ids, retired)
    with pytest.raises(SettingsError, match="no strategy has this id\\.\n"):
        check_strategy("zzz", ids, retired)


def test_a_token_with_a_line_break_is_refused_without_showing_it(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as excinfo:
        Settings.from_env(base_env(tmp_path, **{"INPUT_GITHUB-TOKEN": "ghs_secretpart\nsecond"}))
    assert "line break" in str(excinfo.value) and "secretpart" not in str(excinfo.value)


# -- defect 15: the event payload is checked, never a traceback ---------------------------------------


def event_env(tmp_path: Path, payload: bytes) -> dict[str, str]:
    env = base_env(tmp_path)
    Path(env["GITHUB_EVENT_PATH"]).write_bytes(payload)
    return env


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"workflow_run": {"id": "9001"}}, 'workflow_run.id is a string \\("9001"\\)'),
        ({"workflow_run": {"id": 9001.5}}, "workflow_run.id is a number"),
        ({"workflow_run": {"id": -3}}, "workflow_run.id is -3, out of range"),
        ({"workflow_run": {"id": 2**70}}, "out of range"),
        ({"workflow_run": {"id": True}}, "workflow_run.id is a boolean"),
        ({"workflow_run": {"id": None}}, "workflow_run.id is missing"),
        ({"workflow_run": {}}, "workflow_run.id is missing"),
        ({"workflow_run": {"id": 1, "run_attempt": 0}}, "workflow_run.run_attempt is 0, out of range"),
        ({"workflow_run": {"id": 1, "run_attempt": "2"}}, "run_attempt is a string"),
        ({"workflow_run": [1]}, "a workflow_run that is a list"),
        ({}, "no workflow_run object"),
        ([], "holds a list, not a JSON object"),
        (None, "holds null, not a JSON object"),
    ],
)
def test_malformed_workflow_run_events_are_clear_errors(tmp_path: Path, payload: object, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(event_env(tmp_path, json.dumps(payload).encode()))


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{", "is not valid JSON"),
        (b"", "is not valid JSON"),
        (b"\xff\xfe{}", "is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
    ids=["truncated", "empty", "utf-16", "deep"],
)
def test_unreadable_event_payloads_are_clear_errors(tmp_path: Path, payload: bytes, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(event_env(tmp_path, payload))


def test_an_explicit_run_id_does_not_need_the_event(tmp_path: Path) -> None:
    env = event_env(tmp_path, json.dumps({"workflow_run": {"id": "nonsense"}}).encode())
    assert Settings.from_env({**env, "INPUT_RUN-ID": "42"}).run_id == 42


# -- defect 15: log paths stay inside the workspace and are regular files ------------------------------


def logs_env(workspace: Path, paths: str) -> dict[str, str]:
    return {"INPUT_LOG-PATH": paths, "GITHUB_WORKSPACE": str(workspace)}


def test_log_paths_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "logs").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("x")
    (ws / "logs" / "ok.log").write_text("x")
    (ws / "logs" / "link.log").symlink_to(tmp_path / "secret.txt")
    assert Settings.from_env(logs_env(ws, "logs/ok.log, missing.log")).log_paths == ("logs/ok.log", "missing.log")
    for path, how in (
        (str(tmp_path / "secret.txt"), ""),
        ("../secret.txt", ""),
        ("logs/../../secret.txt", ""),
        ("logs/link.log", " \\(through a symbolic link\\)"),
        ("/etc/passwd", ""),
    ):
        with pytest.raises(SettingsError, match="outside the workspace"):
            Settings.from_env(logs_env(ws, f"logs/ok.log\n{path}"))
        if how:
            with pytest.raises(SettingsError, match=how):
                Settings.from_env(logs_env(ws, path))


def test_log_paths_must_be_regular_files(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "dir").mkdir()
    for path, kind in (("pipe.log", "a FIFO"), ("dir", "a directory"), ("-", "standard input")):
        with pytest.raises(SettingsError, match=kind):
            Settings.from_env(logs_env(tmp_path, path))


def test_every_input_is_declared_in_action_yml_with_its_default() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    declared = action["inputs"]
    assert set(declared) == set(INPUTS)
    for name, default in INPUTS.items():
        assert declared[name].get("description"), name
        if name == "github-token":
            assert declared[name]["default"] == "${{ github.token }}"
        else:
            assert str(declared[name].get("default", "")) == default, name


def test_every_input_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    for name in INPUTS:
        assert f"| `{name}` |" in readme, name


@pytest.mark.parametrize("value", ["link.yml", ".github/healing-config.yml", "conf/x.yml"])
def test_config_path_may_not_link_out_of_the_workspace(tmp_path: Path, value: str) -> None:
    ws = tmp_path / "ws"
    (ws / ".github").mkdir(parents=True)
    (tmp_path / "creds").mkdir()
    (ws / "link.yml").symlink_to(tmp_path / "creds" / "git-credentials")  # links committed to the repository
    (ws / ".github" / "healing-config.yml").symlink_to("/proc/self/environ")
    (ws / "conf").symlink_to(tmp_path / "creds")
    with pytest.raises(SettingsError, match=r"'config-path'.*\(through a symbolic link\), outside the workspace"):
        Settings.from_env(base_env(ws, **{"INPUT_CONFIG-PATH": value}))


def test_a_config_path_the_workflow_points_outside_is_read(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    for value in (str(tmp_path / "shared.yml"), "../shared.yml"):
        assert Settings.from_env(base_env(ws, **{"INPUT_CONFIG-PATH": value})).config_path.name == "shared.yml"
