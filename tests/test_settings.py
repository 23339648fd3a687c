"""Inputs and runner variables become one Settings, read the way the runner passes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from healing_guard.errors import SettingsError
from healing_guard.settings import INPUTS, Settings, read_input

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
    assert (s.owner, s.repo, s.mode) == ("octo-org", "octo-repo", "run")
    assert s.config_path == tmp_path / ".github/healing-config.yml"


def test_underscore_form_is_read_too() -> None:
    assert read_input({"INPUT_MAX_RETRIES": "5"}, "max-retries") == "5"
    assert read_input({}, "max-retries") == "3"


def test_explicit_run_id_wins_and_current_run_is_the_fallback(tmp_path: Path) -> None:
    assert Settings.from_env(base_env(tmp_path, **{"INPUT_RUN-ID": "123"})).run_id == 123
    env = base_env(tmp_path)
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
        ({"INPUT_MAX-RETRIES": "three"}, "max-retries' must be a whole number"),
        ({"INPUT_MAX-RETRIES": "99"}, "from 0 to 10"),
        ({"INPUT_DRY-RUN": "maybe"}, "dry-run' must be true or false"),
        ({"INPUT_RUN-ID": "latest"}, "run-id' must be a workflow run id"),
        ({"INPUT_GITHUB-TOKEN": ""}, "no GitHub token"),
        ({"GITHUB_EVENT_PATH": "/nonexistent/event.json"}, "does not exist"),
    ],
)
def test_bad_inputs_get_clear_errors(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(base_env(tmp_path, **extra))


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
