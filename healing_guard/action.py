"""The edge: environment in, one guard run, everything out; errors become one ``::error::``."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from actions_toolkit.command import Command

from .catalogue import load_catalogue
from .config import load_config
from .errors import ConfigError, HealingGuardError
from .guard import PipelineGuard
from .report import Reporter, outputs
from .results import GuardResult
from .sanitize import Redactor, safe_log_text
from .settings import Settings, read_input


def _relative(path: str | None, workspace: Path) -> str | None:
    if not path:
        return None
    try:
        return str(Path(path).resolve().relative_to(workspace.resolve()))
    except ValueError:
        return path


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    fail_on_error = read_input(env, "fail-on-error").lower() == "true"
    try:
        settings = Settings.from_env(env)
    except HealingGuardError as exc:
        print(_error_line(str(exc)))
        return 1 if fail_on_error else 0
    redact = Redactor([settings.token])
    reporter = Reporter(settings, redact)
    reporter.mask(settings.token)
    empty = GuardResult(mode=settings.mode, dry_run=settings.dry_run)
    try:
        loaded = load_config(settings.config_path, catalogue=load_catalogue())
        for w in loaded.warnings:
            reporter.warning(
                str(w.message), file=_relative(w.file, settings.workspace), line=w.line, title="healing-config"
            )
        result = PipelineGuard(settings, loaded=loaded, redactor=redact).run()
    except ConfigError as exc:
        # An invalid config: nothing is done, and the step fails so the file gets fixed.
        reporter.error(
            exc.detail, file=_relative(exc.file, settings.workspace), line=exc.line, title="Invalid healing-config"
        )
        empty = replace(empty, errors=(str(exc),))
        reporter.write_outputs(outputs(empty, redact))
        reporter.write_summary(reporter.summary(empty))
        return 1
    except HealingGuardError as exc:
        reporter.error(str(exc), title="Self-Healing Pipeline Guard")
        empty = replace(empty, errors=(str(exc),))
        reporter.write_outputs(outputs(empty, redact))
        reporter.write_summary(reporter.summary(empty))
        return 1 if settings.fail_on_error else 0
    except Exception as exc:  # a bug in the guard must never hide the original failure
        print(redact("".join(traceback.format_exception(exc))), file=sys.stderr)
        reporter.error(f"internal error in the guard: {type(exc).__name__}: {exc}", title="Self-Healing Pipeline Guard")
        empty = replace(empty, errors=(f"internal error: {type(exc).__name__}: {exc}",))
        reporter.write_outputs(outputs(empty, redact))
        reporter.write_summary(reporter.summary(empty))
        return 1 if settings.fail_on_error else 0
    reporter.write_all(result)
    return 1 if settings.fail_on_error and result.errors else 0


def _error_line(message: str) -> str:
    """One ``::error::`` line, for the errors raised before a Reporter exists."""
    return str(Command("error", {"title": "Self-Healing Pipeline Guard"}, safe_log_text(message)))
