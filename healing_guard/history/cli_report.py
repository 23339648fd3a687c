"""The ``stats``, ``trends`` and ``report`` commands: the figures of ``metrics`` for people and scripts.

``stats`` gives the totals of a window (the whole trail by default), ``trends`` the failures per
category against the window before, ``report`` the whole report as Markdown or HTML. Each reads the
trail the shared options name (``source.add_trail_arguments``). A trail with no records says so and
exits 0; corrupt lines are skipped, counted and named on standard error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..errors import HealingGuardError
from . import metrics, report_render
from .records import ReadResult, parse_time
from .source import add_trail_arguments, open_trail
from .tables import plain, table

#: how many corrupt-line warnings are printed before the rest are summed up
WARNINGS_SHOWN = 5
EMPTY = "the trail has no records yet: nothing to report (the guard writes one when it acts on a failed run)"


def _warn(message: str) -> None:
    print(f"healing-guard: warning: {message}", file=sys.stderr)


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    try:
        return parse_time(value)
    except ValueError:
        raise HealingGuardError(f"--now {value!r}: not an ISO 8601 time (for example 2026-12-01T00:00:00Z)") from None


def _read(args: argparse.Namespace) -> ReadResult:
    result = open_trail(args).read()
    for warning in result.warnings[:WARNINGS_SHOWN]:
        _warn(warning)
    if result.corrupt:
        _warn(f"skipped {result.corrupt} corrupt trail record{'s' if result.corrupt != 1 else ''}")
    elif len(result.warnings) > WARNINGS_SHOWN:
        _warn(f"and {len(result.warnings) - WARNINGS_SHOWN} more warnings")
    return result


def _days(args: argparse.Namespace, result: ReadResult, now: datetime) -> float:
    """The window's length: ``--days``, or (``stats`` without it) from the first record's day to now."""
    if args.days is not None:
        if args.days <= 0:
            raise HealingGuardError(f"--days {args.days}: give a positive number of days")
        return float(args.days)
    past = [r.moment for r in result.records if r.moment < now]
    if not past:
        return 7.0
    first = min(past).replace(hour=0, minute=0, second=0, microsecond=0)
    return float(max(1, math.ceil((now - first) / timedelta(days=1))))


def _figures(args: argparse.Namespace) -> tuple[metrics.Figures, ReadResult]:
    result = _read(args)
    now = _now(args.now)
    figures = metrics.build(result.records, days=_days(args, result, now), now=now)
    return figures, result


def cmd_stats(args: argparse.Namespace) -> int:
    fig, result = _figures(args)
    if args.format == "json":
        data = fig.to_dict()
        data["corrupt"] = result.corrupt
        print(json.dumps(data, indent=2, ensure_ascii=False))
        if not result.records:
            _warn(EMPTY)
        return 0
    if not result.records:
        print(f"healing-guard: {EMPTY}")
        return 0
    m = fig.minutes
    win = fig.window
    repositories = plain(", ".join(fig.repositories) or "no repository")
    print(f"{repositories}: {win.start:%Y-%m-%d %H:%M} to {win.end:%Y-%m-%d %H:%M} UTC")
    print()
    summary = [
        ("Failed jobs", f"{fig.failures} in {fig.runs} runs"),
        (
            "Healed without a person",
            f"{fig.healed_failures} of {fig.failures} ({report_render.percent(fig.healed_share)}), "
            f"{fig.healed_runs} runs",
        ),
        (
            "Mean time to green",
            f"{metrics.duration(fig.mttr_s)} (median {metrics.duration(fig.mttr_median_s)}, "
            f"{len(fig.recoveries)} recoveries, {len(fig.timed)} timed)",
        ),
        ("Re-runs by the guard", f"{fig.reruns} ({m.futile_rerun_s / 60:.0f} min on re-runs that failed again)"),
        (
            "Runner minutes",
            f"{m.failed_s / 60:.0f} on failed jobs, {m.healing_rerun_s / 60:.0f} on re-runs that healed",
        ),
    ]
    width = max(len(k) for k, _ in summary)
    for key, value in summary:
        print(f"{key:<{width}}  {value}")
    if fig.categories:
        print()
        rows = [
            (c.category, c.failures, c.healed, report_render.percent(c.healed / c.failures if c.failures else None))
            for c in fig.categories
            if c.failures
        ]
        if rows:
            sys.stdout.write(table(("Category", "Failures", "Healed", "Share"), rows, right=(1, 2, 3)))
    return 0


def cmd_trends(args: argparse.Namespace) -> int:
    fig, result = _figures(args)
    if args.format == "json":
        data = {
            "window": fig.window.to_dict(),
            "previous_window": fig.previous.to_dict(),
            "failures": fig.failures,
            "previous_failures": fig.previous_failures,
            "categories": [c.to_dict() for c in fig.categories],
            "corrupt": result.corrupt,
        }
        print(json.dumps(data, indent=2, ensure_ascii=False))
        if not result.records:
            _warn(EMPTY)
        return 0
    if not result.records:
        print(f"healing-guard: {EMPTY}")
        return 0
    win, prev = fig.window, fig.previous
    print(
        f"Failed jobs per category, {win.start:%Y-%m-%d} to {win.end:%Y-%m-%d} "
        f"against {prev.start:%Y-%m-%d} to {prev.end:%Y-%m-%d}"
    )
    print()
    rows: list[tuple[object, ...]] = [
        (c.category, c.failures, c.previous, report_render.change(c.failures, c.previous)) for c in fig.categories
    ]
    rows.append(
        ("total", fig.failures, fig.previous_failures, report_render.change(fig.failures, fig.previous_failures))
    )
    sys.stdout.write(table(("Category", "Failures", "Previous", "Change"), rows, right=(1, 2, 3)))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    fig, result = _figures(args)
    render = report_render.to_html if args.format == "html" else report_render.to_markdown
    text = render(fig, corrupt=result.corrupt, now=_now(args.now))
    if not result.records:
        _warn(EMPTY)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HealingGuardError(f"--output {args.output}: cannot write the report ({exc.strerror})") from None
        print(f"healing-guard: wrote the {args.format} report to {args.output}", file=sys.stderr)
    return 0


def _window_arguments(parser: argparse.ArgumentParser, days: int | None) -> None:
    help_days = "the window: the last N days" + (f" (default {days})" if days else " (default: the whole trail)")
    parser.add_argument("--days", type=float, default=days, metavar="N", help=help_days)
    parser.add_argument(
        "--now", metavar="TIME", help="the end of the window, an ISO 8601 time (default: now); for reproducible reports"
    )
    add_trail_arguments(parser)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = sub.add_parser(
        "stats",
        help="totals from the trail: failures, categories, healed share, MTTR, re-runs",
        description="Totals of a window of the trail (the whole trail unless --days says otherwise).",
    )
    stats.add_argument("--format", choices=("text", "json"), default="text")
    _window_arguments(stats, None)
    stats.set_defaults(func=cmd_stats)

    trends = sub.add_parser(
        "trends",
        help="failures per category against the window before",
        description="Failures per category in the last N days, and the change against the N days before.",
    )
    trends.add_argument("--format", choices=("text", "json"), default="text")
    _window_arguments(trends, 7)
    trends.set_defaults(func=cmd_trends)

    report = sub.add_parser(
        "report",
        help="the report: Markdown for an issue, or one self-contained HTML file with charts",
        description="Failures and categories, share healed without a person, MTTR and its trend, flaky tests, "
        "remediation success, learned fixes, runner minutes and recommendations for the last N days.",
    )
    report.add_argument("--format", choices=("markdown", "html"), default="markdown")
    report.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE (default: standard output)")
    _window_arguments(report, 7)
    report.set_defaults(func=cmd_report)
