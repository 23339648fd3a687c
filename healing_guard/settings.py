"""The action's inputs and the runner's variables, read once at the edge into one frozen object.

A container action gets each input as ``INPUT_<NAME>`` upper-cased with hyphens kept
(``INPUT_GITHUB-TOKEN``); some wrappers pass the underscore form, so both are read. Nothing
below the edge reads the environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SettingsError

INPUTS: dict[str, str] = {
    "github-token": "",
    "config-path": ".github/healing-config.yml",
    "run-id": "",
    "log-path": "",
    "max-retries": "3",
    "dry-run": "false",
    "strategy": "auto-detect",
    "fail-on-error": "false",
}

OUTPUTS: tuple[str, ...] = ("category", "confidence", "risk", "strategy", "action", "healed", "diagnosis")

_TRUE = {"true", "True", "TRUE", "yes", "1", "on"}
_FALSE = {"false", "False", "FALSE", "no", "0", "off", ""}


def read_input(env: Mapping[str, str], name: str) -> str:
    """The value of input ``name``: hyphen form first, then underscore form, then the default."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return INPUTS[name]


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = read_input(env, name)
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"input '{name}' must be true or false, got {value!r}")


def _int(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    value = read_input(env, name)
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"input '{name}' must be a whole number from {low} to {high}, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"input '{name}' must be from {low} to {high}, got {number}")
    return number


@dataclass(frozen=True)
class Settings:
    """Everything the guard needs from its environment."""

    token: str
    api_url: str
    server_url: str
    repository: str
    event_name: str
    event: dict[str, Any]
    run_id: int | None
    run_attempt: int | None
    log_paths: tuple[str, ...]
    config_path: Path
    max_retries: int
    dry_run: bool
    strategy: str
    fail_on_error: bool
    workspace: Path
    output_path: Path | None
    summary_path: Path | None
    own_run_id: int | None

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repo(self) -> str:
        return self.repository.split("/", 1)[1]

    @property
    def mode(self) -> str:
        """``logs`` (in-job step with log-path) or ``run`` (heal a workflow run through the API)."""
        return "logs" if self.log_paths else "run"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
        event = _read_event(env.get("GITHUB_EVENT_PATH"))
        event_name = env.get("GITHUB_EVENT_NAME", "")
        run_id, run_attempt = _target_run(env, event)
        repository = env.get("GITHUB_REPOSITORY", "")
        log_paths = tuple(
            p.strip() for line in read_input(env, "log-path").splitlines() for p in line.split(",") if p.strip()
        )
        if not log_paths and "/" not in repository:
            raise SettingsError(
                "GITHUB_REPOSITORY is not set: run the guard inside GitHub Actions, or give 'log-path' "
                "to diagnose log files only"
            )
        config = Path(read_input(env, "config-path"))
        if not config.is_absolute():
            config = workspace / config
        strategy = read_input(env, "strategy")
        token = read_input(env, "github-token") or env.get("GITHUB_TOKEN", "")
        if not log_paths and not token:
            raise SettingsError(
                "no GitHub token: the input 'github-token' is empty. Its default is ${{ github.token }}; "
                "if you set it, check that the secret exists and is passed to this workflow"
            )
        return cls(
            token=token,
            api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            repository=repository,
            event_name=event_name,
            event=event,
            run_id=run_id,
            run_attempt=run_attempt,
            log_paths=log_paths,
            config_path=config,
            max_retries=_int(env, "max-retries", 0, 10),
            dry_run=_bool(env, "dry-run"),
            strategy=strategy,
            fail_on_error=_bool(env, "fail-on-error"),
            workspace=workspace,
            output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_path=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
            own_run_id=_opt_int(env.get("GITHUB_RUN_ID")),
        )


def _opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _read_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"GITHUB_EVENT_PATH points at {path}, which does not exist") from None
    except (OSError, ValueError) as exc:
        raise SettingsError(f"the event payload {path} is not readable JSON: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _target_run(env: Mapping[str, str], event: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """The run to heal: the input, else the workflow_run event's run, else the current run."""
    explicit = read_input(env, "run-id")
    if explicit:
        try:
            return int(explicit), None
        except ValueError:
            raise SettingsError(f"input 'run-id' must be a workflow run id (a number), got {explicit!r}") from None
    wr = event.get("workflow_run")
    if isinstance(wr, Mapping) and wr.get("id"):
        return int(wr["id"]), _opt_int(str(wr.get("run_attempt") or "")) or None
    return _opt_int(env.get("GITHUB_RUN_ID")), _opt_int(env.get("GITHUB_RUN_ATTEMPT"))
