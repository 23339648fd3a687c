"""Log text never becomes a workflow command: every spelling of ``data/commands.yml`` through the guard's output.

The runner-like reader of ``test_sanitize`` parses what the guard prints as the runner would. The only
commands allowed are the guard's own: its log group, its ``stop-commands`` block (random token) and
its annotations. The check is made twice: as the runner reads it, and with the guard's stop-commands
block taken away, so that the text inside the block must be harmless on its own too.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from healing_guard.report import Reporter
from healing_guard.sanitize import Redactor, safe_log_text, strip_ansi

from ..test_report import settings
from ..test_sanitize import RunnerCommand, runner_commands
from .hostile import command_payloads, result_from

PAYLOADS: list[str] = [p if isinstance(p, str) else p["text"] for p in command_payloads()]
GUARD_TITLES = ("Self-Healing Pipeline Guard", "Healing Guard: ")
ANNOTATIONS = {"error", "warning", "notice"}


def guards_only(out: str) -> list[RunnerCommand]:
    """The commands in ``out``; fails on any that is not the guard's own."""
    commands = runner_commands(out)
    starts = [c for c in commands if c.name == "stop-commands"]
    assert len(starts) <= 1, starts
    token = starts[0].data if starts else None
    if token is not None:
        assert re.fullmatch(r"[0-9a-f]{32}", token), token
    for c in commands:
        if c.name in ANNOTATIONS:
            assert c.properties.get("title", "").startswith(GUARD_TITLES), c
        else:
            assert c.name in {"group", "endgroup", "stop-commands", "add-mask", token}, c
    return commands


def without_stop_block(out: str) -> str:
    """``out`` without the guard's stop-commands lines: the text inside must be harmless by itself."""
    m = re.search(r"^::stop-commands::([0-9a-f]{32})$", out, re.M)
    if not m:
        return out
    return out.replace(m.group(0) + "\n", "").replace(f"::{m.group(1)}::\n", "")


def test_the_data_has_every_spelling_the_issue_counted() -> None:
    assert len(PAYLOADS) >= 67
    assert len(set(PAYLOADS)) == len(PAYLOADS)
    from healing_guard.sanitize import normalise

    # most are commands as they stand, or once their invisible characters are gone
    live = [p for p in PAYLOADS if runner_commands(p) or runner_commands(strip_ansi(normalise(p)))]
    assert len(live) >= 67


@pytest.mark.parametrize("payload", PAYLOADS)
def test_cleaned_text_is_never_a_command(payload: str) -> None:
    assert runner_commands(safe_log_text(payload, Redactor())) == []


def test_the_reporters_output_holds_only_the_guards_commands(tmp_path: Path) -> None:
    stream = io.StringIO()
    Reporter(settings(tmp_path), Redactor(), stream).write_all(result_from(PAYLOADS))
    out = stream.getvalue()
    commands = guards_only(out)
    names = [c.name for c in commands]
    assert names.count("stop-commands") == 1 and names.count("group") == 1
    assert "add-mask" not in names
    inner = without_stop_block(out)
    assert [c.name for c in runner_commands(inner)] == [
        c for c in names if c not in ("stop-commands", commands[1].data)
    ], "text inside the stop-commands block is a command by itself"
    guards_only(inner)
