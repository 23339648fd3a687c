"""Diagnoses as text for a terminal, JSON for machines, and Markdown for people on GitHub."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache
from typing import IO

from jinja2 import Environment, PackageLoader, StrictUndefined

from .advice import advice_for
from .markdown import Md, as_text, finalize, md_code, md_comment, md_fence, md_prose, md_text, md_url
from .models import Diagnosis, EvidenceLine
from .sanitize import clean, clean_data


@cache
def jinja_env() -> Environment:
    """The one Jinja2 environment for every Markdown the guard writes (summaries, comments, issues)."""
    env = Environment(
        loader=PackageLoader("healing_guard", "templates"),
        autoescape=False,  # Markdown, not HTML: every {{ value }} goes through finalize (markdown.md_text)
        finalize=finalize,  # unless a filter below made it Md
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters.update(
        md_text=md_text,
        md_prose=md_prose,
        md_code=md_code,
        md_fence=md_fence,
        md_url=md_url,
        md_comment=md_comment,
        evidence_block=evidence_block,
        advice=advice_for,
        # the old names
        inline_code=md_code,
        plain=md_prose,
        code_block=md_fence,
    )
    return env


def evidence_block(evidence: Sequence[EvidenceLine]) -> Md:
    """Evidence lines in a fenced block whose fence no log text can close."""
    if not evidence:
        return Md("_No evidence line._")
    width = len(str(max(e.line for e in evidence)))
    body = "\n".join(f"{e.line:>{width}} | {e.text}" for e in evidence)
    return md_fence(body)


def to_json(diagnoses: Sequence[Diagnosis], *, array: bool = False) -> str:
    """What ``analyze --format json`` prints for these diagnoses (``render_json``), each ``path`` its source.

    An object for one diagnosis, an array for several; ``array=True`` asks for an array of one.
    """
    from .batch import Batch, Entry  # render_json builds on this module's advice_text
    from .render_json import batch_json

    return batch_json(Batch(tuple(Entry(d.source or "<log>", diagnosis=d) for d in diagnoses), single=not array))


def to_markdown(diagnoses: Sequence[Diagnosis]) -> str:
    return jinja_env().get_template("diagnosis.md.j2").render(diagnoses=diagnoses).strip() + "\n"


_COLOURS = {"red": "31", "green": "32", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _plain(text: str) -> str:
    """Log text for a terminal: cleaned (redacted, no escapes, no workflow commands), one line."""
    return _CONTROL.sub("?", clean(text).replace("\n", " "))


def advice_text(diagnosis: Diagnosis) -> str:
    """The advice as the text format shows it (and JSON carries it): cleaned, on one line."""
    return _plain(advice_for(diagnosis))


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
        out.append(c(_plain(d.source or "<log>"), "bold"))
        out.append(
            f"  category:   {c(d.category, 'bold', 'cyan')}  (confidence {d.confidence:.2f}, "
            f"risk {c(d.risk, risk_colour)})"
        )
        out.append(f"  strategy:   {d.strategy}")
        out.append(f"  step:       {_plain(d.failed_step or 'unknown')}")
        if d.params:
            shown = as_text(clean_data(d.params))
            out.append(f"  params:     {_plain(shown)}")
        out.append("  evidence:")
        for i, e in enumerate(d.evidence):
            text = _plain(e.text)
            line = f"    {e.line:>6} | {text}"
            out.append(c(line, "red", "bold") if i == 0 else c(line, "dim"))
        if d.secondary:
            out.append("  also found:")
            for s in d.secondary:
                out.append(f"    line {s.line}: {s.category} ({s.strategy})")
        if d.remediation:
            out.append(f"  remediation ({_plain(d.remediation.action)}): {advice_text(d)}")
        for w in d.warnings:
            out.append(c(_plain(f"  warning: {w}"), "yellow"))
        out.append("")
    return "\n".join(out)
