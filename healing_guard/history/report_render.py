"""A report of the figures (``metrics.Figures``) as Markdown (an issue, a job summary) or as one
self-contained HTML file with inline SVG charts.

Everything from the trail is hostile text. The Markdown goes through the guard's Markdown
environment (``render.jinja_env``: every ``{{ value }}`` is escaped by ``markdown.md_text`` unless a
``markdown`` helper built it). The HTML goes through an environment with autoescape on, so no value
becomes markup; the only links are to runs and commits, built from the record's repository (checked
against GitHub's ``owner/name`` form), a run id (an integer) or a commit sha (hex), and the server
URL (``GITHUB_SERVER_URL``, checked), never from log text. The HTML loads nothing: no script, no
stylesheet, font or image from elsewhere.

The Markdown is bounded (each table shows at most ``ROWS`` rows and says how many it left out), so a
report always fits in an issue body (65,536 characters).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .. import __version__
from ..render import jinja_env
from . import charts
from .metrics import Figures, Recovery, duration

#: the most rows one table of a report shows
ROWS = 20
#: how many of the slowest recoveries the report lists
SLOWEST = 5
#: the hidden marker a Markdown report starts with (the weekly workflow finds its issue by title)
MARKER = "healing-guard-report"
DEFAULT_SERVER = "https://github.com"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
_SHA = re.compile(r"[0-9a-f]{7,40}")
_SERVER = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?")


def server_url(value: str | None = None) -> str:
    """The GitHub server links point at: ``value`` or ``GITHUB_SERVER_URL``, if it is a plain
    http(s) origin; github.com otherwise."""
    url = (value if value is not None else os.environ.get("GITHUB_SERVER_URL", "")).rstrip("/")
    return url if _SERVER.fullmatch(url) else DEFAULT_SERVER


def run_url(server: str, repository: str, run_id: int) -> str | None:
    if not _REPOSITORY.fullmatch(repository) or ".." in repository or run_id <= 0:
        return None
    return f"{server}/{repository}/actions/runs/{int(run_id)}"


def commit_url(server: str, repository: str, sha: str) -> str | None:
    if not _REPOSITORY.fullmatch(repository) or ".." in repository or not _SHA.fullmatch(sha):
        return None
    return f"{server}/{repository}/commit/{sha}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def change(now: int, before: int) -> str:
    """``+3 (+300%)``, ``-1 (-50%)``, ``0``, ``+5 (new)``."""
    diff = now - before
    if diff == 0:
        return "0"
    if before == 0:
        return f"+{diff} (new)"
    return f"{diff:+d} ({diff / before:+.0%})"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f}"


@dataclass(frozen=True)
class SlowRecovery:
    recovery: Recovery
    url: str | None


@dataclass(frozen=True)
class Fix:
    at: str
    signature: str
    sha: str
    url: str | None
    files: tuple[str, ...]
    branch: str
    workflow: str


def context(
    figures: Figures, *, server: str | None = None, corrupt: int = 0, now: datetime | None = None
) -> dict[str, Any]:
    """What both templates show: the figures, the formatted numbers, the links and the charts."""
    base = server_url(server)
    timed = [r for r in figures.recoveries if r.seconds is not None]
    slowest = sorted(timed, key=lambda r: -(r.seconds or 0))[:SLOWEST]
    names = [c.category for c in figures.categories]
    fixes = [
        Fix(
            f.at[:16].replace("T", " "),
            f.signature,
            f.fix_sha[:12],
            commit_url(base, f.repository, f.fix_sha),
            f.files,
            f.branch,
            f.workflow,
        )
        for f in figures.fixes
    ]
    win = figures.window
    return {
        "f": figures,
        "version": __version__,
        "generated": (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
        "period": f"{win.start:%Y-%m-%d %H:%M} to {win.end:%Y-%m-%d %H:%M} UTC",
        "days": f"{win.days:g}",
        "repositories": ", ".join(figures.repositories) or "no repository yet",
        "corrupt": corrupt,
        "rows": ROWS,
        "marker": MARKER,
        "healed": f"{figures.healed_failures} of {figures.failures} ({percent(figures.healed_share)})",
        "mttr": duration(figures.mttr_s),
        "mttr_median": duration(figures.mttr_median_s),
        "previous_mttr": duration(figures.previous_mttr_s),
        "change": change,
        "percent": percent,
        "duration": duration,
        "minutes": minutes,
        "bucket": "Day" if figures.bucket_days == 1 else "Week from",
        "slowest": [SlowRecovery(r, run_url(base, r.repository, r.run_id)) for r in slowest],
        "fixes": fixes,
        "palette": charts.PALETTE,
        "charts": [
            charts.failures_chart(figures.buckets, names, figures.bucket_days),
            charts.mttr_chart(figures.buckets, figures.bucket_days),
            charts.strategy_chart(figures.strategies),
        ],
    }


def to_markdown(figures: Figures, **options: Any) -> str:
    text = jinja_env().get_template("report.md.j2").render(**context(figures, **options))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


@cache
def html_env() -> Environment:
    """The environment of the HTML report: autoescape on, undefined names are errors."""
    return Environment(
        loader=PackageLoader("healing_guard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def to_html(figures: Figures, **options: Any) -> str:
    return html_env().get_template("report.html.j2").render(**context(figures, **options))
