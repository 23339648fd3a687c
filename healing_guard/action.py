"""The edge: environment in, one guard run, everything out; every error leaves through :func:`die`.

What fails the step (exit status 1):

- an invalid input or runner variable (``SettingsError``), and an invalid config file
  (``ConfigError``): always, and nothing is done;
- an error the guard hits while working (an API error, an unreadable log, a bug in the guard):
  only when ``fail-on-error`` is true (:meth:`Settings.exit_code`). It is reported either way.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from actions_toolkit.command import Command
from actions_toolkit.file_command import prepare_key_value_message

from . import config_check
from .catalogue import load_catalogue
from .config import load_config
from .errors import ConfigError, HealingGuardError, SettingsError
from .fixmode import FIX_MODES
from .fixmode import main as fix_mode_main
from .guard import PipelineGuard
from .policies import secret_values
from .report import Reporter, outputs
from .results import GuardResult
from .sanitize import Redactor, clean, plain_markdown, safe_log_text
from .settings import Settings, check_strategy, read_input

TITLE = "Self-Healing Pipeline Guard"


@dataclass(frozen=True)
class Edge:
    """Where the edge reports, known before (and whether or not) the inputs are valid."""

    stream: IO[str]
    output_path: Path | None
    summary_path: Path | None
    workspace: Path
    redact: Redactor

    @classmethod
    def from_env(cls, env: Mapping[str, str], stream: IO[str]) -> Edge:
        output, summary = env.get("GITHUB_OUTPUT"), env.get("GITHUB_STEP_SUMMARY")
        token = read_input(env, "github-token") or env.get("GITHUB_TOKEN")
        return cls(
            stream,
            Path(output) if output else None,
            Path(summary) if summary else None,
            Path(env.get("GITHUB_WORKSPACE") or os.getcwd()),
            Redactor([token.strip()] if token else []),
        )


def die(
    edge: Edge,
    message: str,
    *,
    code: int,
    title: str = TITLE,
    file: str | None = None,
    line: int | None = None,
    mode: str = "run",
) -> int:
    """Report an error that ends the run, and return the step's exit status ``code``.

    ``message`` is paragraphs (what happened, the likely cause, the fix) separated by blank lines.
    It becomes one ``::error::`` (newlines encoded as ``%0A``, properties escaped, ``file`` relative
    to the workspace so that the annotation lands on the file), a section of the job summary, and
    the outputs of a run that did nothing, so that later steps read ``action=none``.
    """
    text = safe_log_text(message, edge.redact).strip()
    where = _relative(file, edge.workspace)
    props = {"file": where, "line": line, "title": title}
    edge.stream.write(
        str(Command("error", {k: edge.redact(str(v)) for k, v in props.items() if v not in (None, "")}, text)) + "\n"
    )
    values = outputs(GuardResult(mode=mode), edge.redact)
    for name, value in values.items():
        edge.stream.write(f"{name}: {value}\n")
    try:
        if edge.output_path is not None:
            with edge.output_path.open("a", encoding="utf-8") as fh:
                fh.writelines(prepare_key_value_message(name, value) + "\n" for name, value in values.items())
        if edge.summary_path is not None:
            with edge.summary_path.open("a", encoding="utf-8") as fh:
                fh.write(_summary(title, text, where, line))
    except OSError as exc:  # the runner's files are gone: the ::error:: above is all that can be said
        edge.stream.write(str(Command("warning", {"title": TITLE}, f"could not write the step's files: {exc}")) + "\n")
    return code


def _summary(title: str, text: str, file: str | None, line: int | None) -> str:
    location = f" ({plain_markdown(file)}{f', line {line}' if line else ''})" if file else ""
    paragraphs = [plain_markdown(p.strip()) for p in text.split("\n\n") if p.strip()]
    quoted = "\n>\n".join("> " + p.replace("\n", "  \n> ") for p in paragraphs)
    return f"## 🩺 {TITLE}\n\n> [!CAUTION]\n> **{plain_markdown(title)}**{location}\n>\n{quoted}\n"


def _relative(path: str | None, workspace: Path) -> str | None:
    if not path:
        return None
    try:
        return str(Path(path).resolve().relative_to(workspace.resolve()))
    except (ValueError, OSError):
        return path


def main(env: Mapping[str, str] | None = None, stream: IO[str] | None = None) -> int:
    env = os.environ if env is None else env
    edge = Edge.from_env(env, stream or sys.stdout)
    if read_input(env, "mode") in FIX_MODES:
        return _fix_mode(read_input(env, "mode"), env, edge)
    try:
        settings = Settings.from_env(env)
    except SettingsError as exc:
        return die(edge, str(exc), code=1, title=f"{TITLE}: invalid input")
    reporter = Reporter(settings, edge.redact, edge.stream)
    reporter.mask(settings.token)
    try:
        loaded = load_config(settings.config_path, catalogue=load_catalogue())
        for w in loaded.warnings:
            reporter.warning(
                config_check.warning_text(w),
                file=_relative(w.file, settings.workspace),
                line=w.line,
                title=config_check.WARNING_TITLE,
            )
        check_strategy(settings.strategy, loaded.catalogue.ids(), loaded.catalogue.retired)
        # issue 10: the integrations' URLs and keys are masked before anything could print them
        cfg = loaded.config
        for secret in secret_values(cfg.notifications, cfg.incidents, settings.environment):
            reporter.mask(secret)
            edge.redact.add(secret)
        result = PipelineGuard(settings, loaded=loaded, redactor=edge.redact).run()
    except ConfigError as exc:  # the words are config_check's, shared with `healing-guard validate`
        message = config_check.action_message(exc)
        return die(edge, message, code=1, title=config_check.INVALID_TITLE, file=exc.file, line=exc.line)
    except SettingsError as exc:
        return die(edge, str(exc), code=1, title=f"{TITLE}: invalid input", mode=settings.mode)
    except HealingGuardError as exc:
        return die(edge, str(exc), code=settings.exit_code(guard_error=True), mode=settings.mode)
    except Exception as exc:  # a bug in the guard must never hide the original failure
        print(clean("".join(traceback.format_exception(exc)), edge.redact), file=sys.stderr)
        message = (
            f"Internal error in the guard: {type(exc).__name__}: {exc}\n\n"
            "This is a bug in the Self-Healing Pipeline Guard, not in your workflow; the traceback is in "
            "the step's log (stderr). Please report it with that traceback."
        )
        return die(edge, message, code=settings.exit_code(guard_error=True), mode=settings.mode)
    reporter.write_all(result)
    return settings.exit_code(guard_error=bool(result.errors))


# -- the fix workflow's steps (issue 10): mode fix-command and mode fix ---------------------------


def _fix_mode(mode: str, env: Mapping[str, str], edge: Edge) -> int:
    """One step of the repository's fix workflow; any problem fails the step with its reason."""
    try:
        fix_mode_main(mode, env, edge.stream, edge.redact)
    except ConfigError as exc:
        return die(edge, exc.text, code=1, title="Invalid healing-config", file=exc.file, line=exc.line)
    except HealingGuardError as exc:
        return die(edge, str(exc), code=1, title=f"{TITLE}: fix workflow ({mode})")
    return 0
