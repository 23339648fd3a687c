"""Diagnoses as text for a terminal, JSON for machines, and Markdown for people on GitHub."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from functools import cache
from typing import IO

from jinja2 import Environment, PackageLoader, StrictUndefined

from .advice import advice_for
from .models import Diagnosis, EvidenceLine
from .sanitize import code_fence, inline_code, plain_markdown


@cache
def jinja_env() -> Environment:
    """The one Jinja2 environment for every Markdown the guard writes (summaries, comments, issues)."""
    env = Environment(
        loader=PackageLoader("healing_guard", "templates"),
        autoescape=False,  # Markdown, not HTML: untrusted text goes through the filters below
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["inline_code"] = inline_code
    env.filters["plain"] = plain_markdown
    env.filters["evidence_block"] = evidence_block
    env.filters["code_block"] = code_fence
    env.filters["advice"] = advice_for
    return env


def evidence_block(evidence: Sequence[EvidenceLine]) -> str:
    """Evidence lines in a fenced block whose fence no log text can close."""
    if not evidence:
        return "_No evidence line._"
    width = len(str(max(e.line for e in evidence)))
    body = "\n".join(f"{e.line:>{width}} | {e.text}" for e in evidence)
    return code_fence(body)


def to_json(diagnoses: Sequence[Diagnosis], *, array: bool = False) -> str:
    """An object for one diagnosis, an array for several; ``array=True`` asks for an array of one."""
    if not array and len(diagnoses) == 1:
        return json.dumps(diagnoses[0].to_dict(), indent=2, ensure_ascii=False)
    return json.dumps([d.to_dict() for d in diagnoses], indent=2, ensure_ascii=False)


def to_markdown(diagnoses: Sequence[Diagnosis]) -> str:
    return jinja_env().get_template("diagnosis.md.j2").render(diagnoses=diagnoses).strip() + "\n"


_COLOURS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def use_colour(stream: IO[str]) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def to_text(diagnoses: Sequence[Diagnosis], *, colour: bool = False) -> str:
    def c(text: str, *names: str) -> str:
        if not colour:
            return text
        codes = ";".join(_COLOURS[n] for n in names)
        return f"\x1b[{codes}m{text}\x1b[0m"

    out: list[str] = []
    for d in diagnoses:
        risk_colour = {"low": "green", "medium": "yellow", "high": "red"}.get(d.risk, "bold")
        # the source (an archive member's name) and the step (a log line) are untrusted: no escapes
        out.append(c(_CONTROL.sub("?", d.source or "<log>"), "bold"))
        out.append(
            f"  category:   {c(d.category, 'bold', 'cyan')}  (confidence {d.confidence:.2f}, "
            f"risk {c(d.risk, risk_colour)})"
        )
        out.append(f"  strategy:   {d.strategy}")
        out.append(f"  step:       {_CONTROL.sub('?', d.failed_step or 'unknown')}")
        if d.params:
            shown = ", ".join(f"{k}={v}" for k, v in d.params.items())
            out.append(f"  params:     {_CONTROL.sub('?', shown)}")
        out.append("  evidence:")
        for i, e in enumerate(d.evidence):
            text = _CONTROL.sub("?", e.text)
            line = f"    {e.line:>6} | {text}"
            out.append(c(line, "red", "bold") if i == 0 else c(line, "dim"))
        if d.secondary:
            out.append("  also found:")
            for s in d.secondary:
                out.append(f"    line {s.line}: {s.category} ({s.strategy})")
        if d.remediation:
            out.append(f"  remediation ({d.remediation.action}): {_CONTROL.sub('?', advice_for(d))}")
        for w in d.warnings:
            out.append(c(f"  warning: {w}", "yellow"))
        out.append("")
    return "\n".join(out)
