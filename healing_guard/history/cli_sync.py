"""``healing-guard history sync`` and ``healing-guard history backfill``.

``sync`` reads the trail (the repository's state branch through the API, or ``--trail-dir``) and
stores it in SQLite (``--db``, default ``.healing-guard/history.sqlite``); run it again to add what
is new. ``backfill`` reads the past ``--days`` of runs through the Actions API and appends what it
finds to the trail (see ``backfill``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..catalogue import load_catalogue
from ..classify import Classifier
from ..errors import HealingGuardError
from ..redaction import Redactor
from .backfill import backfill
from .github_trail import GitHubTrail
from .records import utc_now
from .source import DEFAULT_TOKEN_ENV, add_trail_arguments, github_client, open_trail
from .sqlite_store import DEFAULT_DB, SqliteTrail


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    history = sub.add_parser("history", help="the audit trail: sync it into SQLite, backfill it from past runs")
    commands = history.add_subparsers(dest="history_command", required=True, metavar="COMMAND")

    sync = commands.add_parser(
        "sync",
        help="materialise the trail into a SQLite database",
        description=(
            "Copy the trail (the repository's state branch, or --trail-dir) into SQLite: table records (a column "
            "per field), record_tests, record_files and sync. Run it again to add what is new."
        ),
    )
    add_trail_arguments(sync, db=False)
    sync.add_argument(
        "--db", metavar="PATH", type=Path, default=DEFAULT_DB, help=f"the database to write (default: {DEFAULT_DB})"
    )
    sync.set_defaults(func=cmd_sync)

    fill = commands.add_parser(
        "backfill",
        help="record past runs from the Actions API: failure records for failed jobs, outcome records for re-runs",
        description=(
            "Read the runs of the last --days days through the Actions API (--repo, --api-url, --token-env) and "
            "append to the trail (the repository's state branch, or --trail-dir / --db): a failure record for each "
            "failed job of each attempt, diagnosed for at most --diagnose jobs, and an outcome record for each "
            "attempt after a failed one. Records the trail has already (same keys) are not added again."
        ),
    )
    add_trail_arguments(fill)
    fill.add_argument("--days", type=int, default=30, help="runs created in the last DAYS days (default: 30)")
    fill.add_argument("--limit", type=int, default=200, help="read at most this many runs, newest first (default: 200)")
    fill.add_argument(
        "--diagnose",
        type=int,
        default=20,
        metavar="N",
        help="download and diagnose the logs of at most N failed jobs (default: 20; 0: record them undiagnosed)",
    )
    fill.add_argument("--dry-run", action="store_true", help="say what would be recorded, write nothing")
    fill.set_defaults(func=cmd_backfill)


def cmd_sync(args: argparse.Namespace) -> int:
    source = open_trail(argparse.Namespace(**{**vars(args), "db": None}))  # --db is where sync writes
    found = source.read()
    for warning in found.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    db = SqliteTrail(args.db)
    added = db.add(found.records)
    where = args.trail_dir if args.trail_dir is not None else getattr(source, "branch", "the trail")
    db.log_sync(utc_now(), str(where), len(found.records), added, found.corrupt)
    corrupt = f"; {found.corrupt} corrupt line(s) skipped" if found.corrupt else ""
    print(f"synced {len(found.records)} record(s) from {where} into {args.db}: {added} new{corrupt}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    if args.days < 1 or args.limit < 1 or args.diagnose < 0:
        raise HealingGuardError("--days and --limit must be at least 1, --diagnose at least 0")
    client = github_client(args)
    trail = open_trail(args)
    found = backfill(
        client,
        repository=client.repository,
        days=args.days,
        limit=args.limit,
        diagnose=args.diagnose,
        redactor=Redactor([os.environ.get(args.token_env or DEFAULT_TOKEN_ENV, "")]),
        classifier=Classifier(load_catalogue()) if args.diagnose else None,
    )
    for note in found.notes:
        print(f"warning: {note}", file=sys.stderr)
    kinds = {k: sum(1 for r in found.records if r.kind == k) for k in ("failure", "outcome")}
    summary = (
        f"{found.runs} completed run(s) and {found.attempts} attempt(s) read from the last {args.days} day(s); "
        f"{kinds['failure']} failure record(s) ({found.diagnosed} diagnosed) and {kinds['outcome']} outcome record(s)"
    )
    if args.dry_run:
        print(f"{summary}; nothing written (--dry-run)")
        return 0
    before = len(trail.read().records)
    trail.append(found.records)
    added = len(trail.read().records) - before
    where = f"branch {trail.branch}" if isinstance(trail, GitHubTrail) else "the trail"
    print(f"{summary}; {added} new in {where} (the others were there already)")
    return 0
