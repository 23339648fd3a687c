"""``healing-guard flaky`` and ``healing-guard fixes``: what the memory knows, as a table or JSON.

Both read the trail named by the trail options (``source.py``). Everything shown comes from the
trail, i.e. from logs: each value is cleaned again before it is printed (a trail is a file anyone
with push access to the state branch can write), so no control sequence or workflow command gets
through to a terminal or a workflow's log.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ..sanitize import clean
from .flaky import FlakyTest, is_known_flaky
from .policy import MemoryPolicy
from .records import ReadResult, TrailRecord
from .source import add_trail_arguments, open_trail

#: the widest a text cell gets in the terminal table (JSON keeps the whole value)
CELL_WIDTH = 80


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    flaky = sub.add_parser("flaky", help="tests that failed and then passed on the same commit, most flaky first")
    _common(flaky)
    flaky.add_argument("--all", action="store_true", help="also list failing tests that never flaked")
    flaky.add_argument("--limit", type=_positive, default=50, metavar="N", help="at most N tests (default 50)")
    flaky.add_argument("--config", metavar="FILE", help="the healing config whose memory.flaky rule marks tests")
    flaky.set_defaults(func=cmd_flaky)
    fixes = sub.add_parser("fixes", help="the commits that fixed each failure signature, latest first")
    _common(fixes)
    fixes.set_defaults(func=cmd_fixes)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--days", type=_positive, default=180, metavar="N", help="read the last N days (default 180)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_trail_arguments(parser)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _read(args: argparse.Namespace) -> ReadResult:
    since = datetime.now(timezone.utc) - timedelta(days=args.days)
    read = open_trail(args).read(since=since)
    for warning in read.warnings:
        print(f"warning: {clean(warning)}", file=sys.stderr)
    return read


def _policy(args: argparse.Namespace) -> MemoryPolicy:
    if not getattr(args, "config", None):
        return MemoryPolicy()
    from ..catalogue import load_catalogue
    from ..config import load_config

    return load_config(Path(args.config), catalogue=load_catalogue()).config.memory


# -- flaky --------------------------------------------------------------------------------------


def flaky_rows(tests: Sequence[FlakyTest], policy: MemoryPolicy) -> list[dict[str, Any]]:
    rows = []
    for t in tests:
        known = is_known_flaky(t, min_flakes=policy.min_flakes, min_share=policy.min_share)
        status = "quarantine" if known and t.score >= policy.quarantine_share else "flaky" if known else ""
        rows.append(
            {
                "test": clean(t.test),
                "failures": t.failures,
                "flakes": t.flakes,
                "score": round(t.score, 2),
                "status": status,
                "last_seen": clean(t.last_seen),
                "evidence": [{"run_id": e.run_id, "attempt": e.attempt, "at": clean(e.at)} for e in t.evidence],
            }
        )
    return rows


def cmd_flaky(args: argparse.Namespace) -> int:
    from .flaky import flaky_tests

    policy = _policy(args)
    tests = [t for t in flaky_tests(_read(args).records) if args.all or t.flakes][: args.limit]
    rows = flaky_rows(tests, policy)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no flaky test in the trail" if not args.all else "no failing test in the trail")
        return 0
    header = ("TEST", "FAILURES", "FLAKES", "SCORE", "STATUS", "LAST SEEN", "EVIDENCE RUNS")
    body = [
        (
            r["test"],
            str(r["failures"]),
            str(r["flakes"]),
            f"{r['score'] * 100:.0f} %",
            r["status"],
            r["last_seen"][:16].replace("T", " "),
            _runs(r["evidence"]),
        )
        for r in rows
    ]
    print(table(header, body, numeric={1, 2, 3}))
    return 0


def _runs(evidence: list[dict[str, Any]], shown: int = 4) -> str:
    runs = [f"{e['run_id']}#{e['attempt']}" for e in evidence]
    return ", ".join(runs[-shown:]) + (f" (+{len(runs) - shown})" if len(runs) > shown else "")


# -- fixes --------------------------------------------------------------------------------------


def fix_rows(records: Sequence[TrailRecord]) -> list[dict[str, Any]]:
    """One row per signature: its latest fix (and how many fixes it had), latest first."""
    latest: dict[str, TrailRecord] = {}
    count: dict[str, int] = {}
    for r in records:
        if r.kind != "fix" or not r.fix_sha:
            continue
        count[r.signature] = count.get(r.signature, 0) + 1
        if r.signature not in latest or r.moment >= latest[r.signature].moment:
            latest[r.signature] = r
    ordered = sorted(latest.values(), key=lambda r: (r.moment, r.signature), reverse=True)
    return [
        {
            "signature": clean(r.signature),
            "fix_sha": clean(r.fix_sha),
            "files": [clean(f) for f in r.files],
            "at": clean(r.at),
            "branch": clean(r.branch),
            "workflow": clean(r.workflow),
            "fixes": count[r.signature],
        }
        for r in ordered
    ]


def cmd_fixes(args: argparse.Namespace) -> int:
    rows = fix_rows(_read(args).records)
    if args.format == "json":
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    if not rows:
        print("no learned fix in the trail")
        return 0
    header = ("SIGNATURE", "FIX", "FILES", "WHEN", "BRANCH")
    body = [
        (r["signature"], r["fix_sha"][:12], _files(r["files"]), r["at"][:16].replace("T", " "), r["branch"])
        for r in rows
    ]
    print(table(header, body))
    return 0


def _files(files: list[str], shown: int = 3) -> str:
    return ", ".join(files[:shown]) + (f" (+{len(files) - shown})" if len(files) > shown else "")


# -- a plain aligned table ------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: set[int] | None = None) -> str:
    """Columns aligned to their widest cell (cut at ``CELL_WIDTH``), numbers to the right."""
    numeric = numeric or set()
    cells = [[_cell(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for n, row in enumerate(cells):
        pairs = enumerate(zip(row, widths, strict=True))
        parts = [c.rjust(w) if i in numeric and n else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  ".join(parts).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(text: str) -> str:
    one = " ".join(str(text).split())
    return one if len(one) <= CELL_WIDTH else one[: CELL_WIDTH - 1] + "…"
