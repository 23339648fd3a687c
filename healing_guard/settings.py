"""The action's inputs and the runner's variables, read once at the edge into one frozen object.

A container action gets each input as ``INPUT_<NAME>`` upper-cased with hyphens kept
(``INPUT_GITHUB-TOKEN``); some wrappers pass the underscore form, so both are read. Nothing
below the edge reads the environment.

Every input is checked here, and an invalid one raises :class:`SettingsError` with a paragraph
that says what is wrong, the likely cause and the fix (with a "did you mean" where one is close):
the step fails, as it does for an invalid config file. The ``strategy`` input can only be checked
against the catalogue once the config file (which can add strategies) is loaded:
:func:`check_strategy` does that.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .commands import CommentEvent, comment_event
from .errors import SettingsError
from .files import read_at_most, special_kind

INPUTS: dict[str, str] = {
    "github-token": "",
    "config-path": ".github/healing-config.yml",
    "run-id": "",
    "log-path": "",
    "max-retries": "3",
    "dry-run": "false",
    "strategy": "auto-detect",
    "fail-on-error": "false",
    "mode": "auto",
    # the fix workflow's steps (issue 10): "fix-command" or "fix" (see fixmode.py)
    "patch-path": "",
}

OUTPUTS: tuple[str, ...] = ("category", "confidence", "risk", "strategy", "action", "healed", "diagnosis")

#: The strategy input's value that means "the whole catalogue".
AUTO_DETECT = "auto-detect"
#: What @actions/core's getBooleanInput accepts (the YAML 1.2 core schema's booleans), and nothing else.
TRUE_FORMS = ("true", "True", "TRUE")
FALSE_FORMS = ("false", "False", "FALSE")
#: Run ids are 64-bit integers on GitHub's side.
MAX_RUN_ID = 2**63 - 1
#: More attempts than GitHub allows for one run (it stops re-runs long before).
MAX_RUN_ATTEMPT = 10_000
#: GitHub caps webhook payloads at 25 MB; an event file larger than this is not one.
MAX_EVENT_BYTES = 32 * 1024 * 1024

_DIGITS = re.compile(r"[0-9]+")
_STRATEGY_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_RUN_URL = re.compile(r"/actions/runs/([0-9]+)")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_YES = ("yes", "y", "on", "1", "enable", "enabled")
_NO = ("no", "n", "off", "0", "disable", "disabled", "none")
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def read_input(env: Mapping[str, str], name: str) -> str:
    """The value of input ``name``: hyphen form first, then underscore form, then the default."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        value = env.get(key)
        if value is not None and value.strip() != "":
            return value.strip()
    return INPUTS[name]


def _invalid(name: str, value: str, problem: str, fix: str, suggestion: str | None = None) -> SettingsError:
    """The error for one invalid input: what is wrong, then the fix (with a close match when there is one)."""
    hint = f" Did you mean {name}: {suggestion}?" if suggestion is not None else ""
    return SettingsError(f"The input '{name}' is {_show(value)}: {problem}.{hint}\n\n{fix}")


def _show(value: str) -> str:
    return json.dumps(value if len(value) <= 80 else value[:80] + "…", ensure_ascii=False)


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = read_input(env, name)
    if value in TRUE_FORMS:
        return True
    if value in FALSE_FORMS:
        return False
    low = value.lower()
    guess = "true" if low in _YES else "false" if low in _NO else None
    if guess is None:
        close = difflib.get_close_matches(low, ["true", "false"], n=1, cutoff=0.5)
        guess = close[0] if close else None
    raise _invalid(
        name,
        value,
        "not a boolean",
        f"Write {name}: true or {name}: false (True/TRUE and False/FALSE work too, as in every action "
        "that reads booleans with @actions/core; yes/no, on/off and 1/0 do not).",
        guess,
    )


def _int(env: Mapping[str, str], name: str, low: int, high: int) -> int:
    value = read_input(env, name)
    fix = f"Give a whole number from {low} to {high}, written with digits only (for example {name}: {INPUTS[name]})."
    if not _DIGITS.fullmatch(value):
        raise _invalid(name, value, "not a whole number", fix, _number_guess(value, low, high))
    number = int(value)
    if not low <= number <= high:
        raise _invalid(name, value, f"out of range ({low} to {high})", fix, str(min(max(number, low), high)))
    return number


def _number_guess(value: str, low: int, high: int) -> str | None:
    """The number someone probably meant by ``value`` ("three", "3.0", "+3", "1_0"), if it is in range."""
    text = value.strip().lower().replace("_", "")
    try:
        number = Decimal(_NUMBER_WORDS.index(text) if text in _NUMBER_WORDS else text)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return str(int(number)) if low <= number <= high else None


def _plain_text(env: Mapping[str, str], name: str) -> str:
    """An input that names a path or a token: one line, no control characters."""
    value = read_input(env, name)
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        shown = "(hidden)" if name == "github-token" else value
        raise _invalid(
            name,
            shown,
            "it contains a line break or a control character",
            "Check how the value is produced: a secret or an expression that adds a newline, "
            "or a multi-line YAML string (| or >), is the usual cause.",
        )
    return value


@dataclass(frozen=True)
class Settings:
    """Everything the guard needs from its environment."""

    token: str
    api_url: str
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
    # -- issue 10 --
    #: the ``mode`` input: ``auto`` (heal, or diagnose log files) or ``approve``
    mode_input: str = "auto"
    #: approval mode: the ``issue_comment`` event that carries ``/heal approve`` or ``/heal reject``
    comment: CommentEvent | None = None
    #: the environment, read once: the config names the variables holding integration secrets
    environment: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def mode(self) -> str:
        """``logs`` (in-job step with log-path), ``run`` (heal a workflow run through the API),
        ``approve`` (act on ``/heal approve`` or ``/heal reject``) or ``recover`` (probe the runs the
        mass-failure brake held, on a schedule)."""
        if self.mode_input in ("approve", "recover"):
            return self.mode_input
        return "logs" if self.log_paths else "run"

    def exit_code(self, *, guard_error: bool) -> int:
        """The step's exit status after a run: 1 only when the guard hit an error and ``fail-on-error`` asks.

        The one reading of ``fail-on-error``; invalid inputs and invalid config files fail the step
        whatever it says, and do not come here.
        """
        return 1 if guard_error and self.fail_on_error else 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        workspace = Path(env.get("GITHUB_WORKSPACE") or os.getcwd())
        event = _read_event(env.get("GITHUB_EVENT_PATH"))
        event_name = env.get("GITHUB_EVENT_NAME", "")
        repository = env.get("GITHUB_REPOSITORY", "")
        mode = _mode(env)
        log_paths = _log_paths(env, workspace)
        run_id, run_attempt = _target_run(env, event, event_name, strict=not log_paths)
        if not log_paths and not _REPOSITORY.fullmatch(repository):
            raise SettingsError(
                f"GITHUB_REPOSITORY is {_show(repository) if repository else 'not set'}, not owner/name.\n\n"
                "The runner sets it in every job: run the guard inside GitHub Actions, or give 'log-path' "
                "to diagnose log files only."
            )
        config = workspace / _plain_text(env, "config-path")
        if _lexically_inside(config, workspace):  # a file of the repository: it may not link out
            _inside_workspace("config-path", str(config), config, workspace)
        token = _plain_text(env, "github-token") or env.get("GITHUB_TOKEN", "")
        if not log_paths and not token:
            raise SettingsError(
                "No GitHub token: the input 'github-token' is empty.\n\n"
                "Its default is ${{ github.token }}; if you set it, check that the secret exists and is passed "
                "to this workflow (secrets are not passed to workflows started from forks)."
            )
        api_url = (env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        if not api_url.startswith(("https://", "http://")):
            raise SettingsError(
                f"GITHUB_API_URL is {_show(api_url)}, not an http(s) URL.\n\n"
                "The runner sets it (https://api.github.com, or https://HOST/api/v3 on GitHub Enterprise "
                "Server); remove any env: entry that overrides it."
            )
        return cls(
            token=token,
            api_url=api_url,
            repository=repository,
            event_name=event_name,
            event=event,
            run_id=run_id,
            run_attempt=run_attempt,
            log_paths=log_paths,
            config_path=config,
            max_retries=_int(env, "max-retries", 0, 10),
            dry_run=_bool(env, "dry-run"),
            strategy=_strategy(env),
            fail_on_error=_bool(env, "fail-on-error"),
            workspace=workspace,
            output_path=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
            summary_path=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
            own_run_id=_opt_int(env.get("GITHUB_RUN_ID")),
            mode_input=mode,
            comment=_comment(event, event_name) if mode == "approve" else None,
            environment=MappingProxyType(dict(env)),
        )


# -- mode: auto, approve, or one of the fix workflow's steps (issue 10) ------------------------------

#: ``auto`` heals a failed run (or diagnoses log-path files); ``approve`` acts on a /heal comment;
#: ``fix-command`` and ``fix`` are the fix workflow's steps (``fixmode.py``).
MODES = ("auto", "approve", "recover", "fix-command", "fix")


def _mode(env: Mapping[str, str]) -> str:
    """``mode``, one the guard knows; ``patch-path`` is only given with ``mode: fix``."""
    mode = read_input(env, "mode")
    if mode not in MODES:
        close = difflib.get_close_matches(mode.strip().lower(), MODES, n=1, cutoff=0.5)
        raise _invalid(
            "mode",
            mode,
            "not a mode",
            "Give auto (heal a failed run, or diagnose log-path files), approve (in a workflow on "
            "issue_comment: act on /heal approve and /heal reject; see examples/workflows/heal-approve.yml), "
            "recover (on a schedule: re-run one held run per workflow once the outage has gone quiet), "
            "or fix-command / fix (the steps of the fix workflow, examples/workflows/heal-fix.yml).",
            close[0] if close else None,
        )
    patch = read_input(env, "patch-path")
    if patch and mode != "fix":
        raise _invalid(
            "patch-path",
            patch,
            "it is only read with mode: fix",
            "Remove it, or set mode: fix in the fix workflow's step that opens the pull request.",
        )
    return mode


def _comment(event: Mapping[str, Any], event_name: str) -> CommentEvent:
    parsed = comment_event(event)
    if isinstance(parsed, str) or (event_name and event_name != "issue_comment"):
        why = parsed if isinstance(parsed, str) else f"the event is {event_name}, not issue_comment"
        raise SettingsError(
            f"mode: approve needs an issue_comment event: {why}.\n\n"
            "Run approval mode from a workflow triggered by `on: issue_comment: types: [created]` "
            "(examples/workflows/heal-approve.yml); the healer workflow keeps mode: auto."
        )
    return parsed


def _strategy(env: Mapping[str, str]) -> str:
    value = read_input(env, "strategy")
    if value == AUTO_DETECT or _STRATEGY_ID.fullmatch(value):
        return value
    wanted = value.strip().lower().replace("_", "-").replace(" ", "-")
    if wanted.startswith("auto"):
        wanted = AUTO_DETECT
    raise _invalid(
        "strategy",
        value,
        "not a strategy id",
        f"Give {AUTO_DETECT} to use the whole catalogue, or one strategy id (lowercase words joined by "
        "dashes); `healing-guard strategies` lists them.",
        wanted if wanted == AUTO_DETECT or _STRATEGY_ID.fullmatch(wanted) else None,
    )


def check_strategy(strategy: str, ids: Collection[str], retired: Mapping[str, str]) -> None:
    """Refuse a ``strategy`` input that names no strategy of the (config-extended) catalogue."""
    if strategy == AUTO_DETECT or strategy in ids:
        return
    if strategy in retired:
        raise _invalid(
            "strategy",
            strategy,
            "this strategy was retired",
            "Use its replacement instead.",
            retired[strategy],
        )
    close = [AUTO_DETECT] if strategy.startswith("auto") else []
    close = close or difflib.get_close_matches(strategy, [AUTO_DETECT, *sorted(ids)], n=1, cutoff=0.6)
    raise _invalid(
        "strategy",
        strategy,
        "no strategy has this id",
        f"Give {AUTO_DETECT}, or an id from the catalogue or the config file's custom_strategies "
        "(`healing-guard strategies` lists them).",
        close[0] if close else None,
    )


def _log_paths(env: Mapping[str, str], workspace: Path) -> tuple[str, ...]:
    """The ``log-path`` entries, each checked to be a regular file (when it exists) inside the workspace.

    The command line (``healing-guard analyze``) is not restricted.
    """
    raw = read_input(env, "log-path")
    paths = tuple(p.strip() for line in raw.splitlines() for p in line.split(",") if p.strip())
    for path in paths:
        if path == "-" or "\0" in path:
            raise _invalid(
                "log-path",
                path,
                "standard input" if path == "-" else "a path with a NUL character",
                "Give the paths of log files the job wrote under the workspace, separated by commas or new lines.",
            )
        full = _inside_workspace("log-path", path, workspace / path, workspace)
        try:
            kind = special_kind(full)
        except FileNotFoundError:
            continue  # reported when it is read: the job may not have got as far as writing it
        except OSError as exc:
            raise _invalid("log-path", path, f"it cannot be examined ({exc.strerror})", "Check the path.") from exc
        if kind is not None:
            raise _invalid(
                "log-path",
                path,
                f"it is {kind}, not a regular file",
                "Give log files (a text log, a .gz of one, or a run-logs .zip); a pipe or a device can block "
                "the guard or never end.",
            )
    return paths


def _lexically_inside(path: Path, workspace: Path) -> bool:
    """Whether ``path`` names a place under the workspace, before any symbolic link is followed."""
    root, full = Path(os.path.normpath(workspace)), Path(os.path.normpath(path))
    return full == root or root in full.parents


def _inside_workspace(name: str, value: str, path: Path, workspace: Path) -> Path:
    """``path`` with every symbolic link resolved, refused unless it lies inside the workspace.

    In a workflow the guard publishes what it reads (annotations, the summary, comments: a config
    file's values appear in its error messages), so a link committed to the repository must not
    make it read other files of the runner, such as ``~/.git-credentials``. ``log-path`` must lie
    in the workspace whatever its spelling; a ``config-path`` that the workflow itself points
    outside the workspace is the workflow author's choice and is read.
    """
    root = Path(os.path.realpath(workspace))
    full = Path(os.path.realpath(path))
    if full == root or root in full.parents:
        return full
    link = "" if Path(os.path.normpath(path)) == full else " (through a symbolic link)"
    raise _invalid(
        name,
        value,
        f"it resolves to {full}{link}, outside the workspace {root}",
        "In a workflow the guard reads only files under GITHUB_WORKSPACE, so that a path or a link cannot "
        "make it read and publish other files of the runner. Put the file under the workspace and give "
        "its path relative to it.",
    )


def _opt_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _event_problem(path: str, problem: str) -> SettingsError:
    return SettingsError(
        f"The event payload {path} {problem}.\n\n"
        "The runner writes this file (GITHUB_EVENT_PATH) for every job; if a step or an env: entry "
        "replaced it, remove that. Give the input 'run-id' to name the run to heal directly."
    )


def _read_event(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    file = Path(path)
    try:
        kind = special_kind(file)
        if kind is not None:
            raise _event_problem(path, f"is {kind}, not a file")
        raw = read_at_most(file, MAX_EVENT_BYTES)
    except FileNotFoundError:
        raise _event_problem(path, "does not exist") from None
    except OSError as exc:
        raise _event_problem(path, f"cannot be read ({exc.strerror or exc})") from exc
    if raw is None:
        raise _event_problem(path, f"is larger than {MAX_EVENT_BYTES // (1024 * 1024)} MiB")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _event_problem(path, f"is not UTF-8 text (byte {exc.start})") from None
    except RecursionError:
        raise _event_problem(path, "is JSON nested too deeply to read") from None
    except ValueError as exc:
        raise _event_problem(path, f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise _event_problem(path, f"holds {_json_kind(data)}, not a JSON object")
    return data


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _short_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:80] + "…"


def _event_int(run: Mapping[str, Any], key: str, high: int, *, required: bool) -> int | None:
    value = run.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= high:
        return value
    got = "missing" if value is None else f"{_json_kind(value)} ({_short_json(value)})"
    if isinstance(value, int) and not isinstance(value, bool):
        got = f"{value}, out of range"
    raise SettingsError(
        f"The workflow_run event's workflow_run.{key} is {got}; it must be a whole number from 1 to {high}.\n\n"
        "GitHub always sends one, so the payload did not come from GitHub, or a step changed it. Give the "
        "input 'run-id' to name the run to heal directly."
    )


def _target_run(
    env: Mapping[str, str], event: Mapping[str, Any], event_name: str, *, strict: bool
) -> tuple[int | None, int | None]:
    """The run to heal: the input, else the workflow_run event's run, else the current run.

    Not ``strict`` (log files are diagnosed, no run is healed): a malformed event is not used.
    """
    explicit = read_input(env, "run-id")
    if explicit:
        fix = "Give the number at the end of the run's address (…/actions/runs/<run-id>), or leave run-id empty."
        if not _DIGITS.fullmatch(explicit):
            guess = _number_guess(explicit, 1, MAX_RUN_ID)
            url = _RUN_URL.search(explicit)
            guess = guess or (url.group(1) if url else None)
            raise _invalid("run-id", explicit, "not a workflow run id (a whole number)", fix, guess)
        if not 1 <= int(explicit) <= MAX_RUN_ID:
            raise _invalid("run-id", explicit, f"out of range (1 to {MAX_RUN_ID})", fix)
        return int(explicit), None
    if strict and (event_name == "workflow_run" or "workflow_run" in event):
        run = event.get("workflow_run")
        if not isinstance(run, Mapping):
            raise SettingsError(
                f"The {event_name or 'workflow_run'} event's payload has "
                f"{'no workflow_run object' if run is None else 'a workflow_run that is ' + _json_kind(run)}.\n\n"
                "GitHub always sends one for a workflow_run event, so the payload did not come from GitHub, "
                "or a step changed it. Give the input 'run-id' to name the run to heal directly."
            )
        return _event_int(run, "id", MAX_RUN_ID, required=True), _event_int(
            run, "run_attempt", MAX_RUN_ATTEMPT, required=False
        )
    return _opt_int(env.get("GITHUB_RUN_ID")), _opt_int(env.get("GITHUB_RUN_ATTEMPT"))
