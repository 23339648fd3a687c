"""The history commands of the command line (``stats``, ``trends``, ``flaky``, ``fixes``, ``report``,
``history sync|backfill``): each module registers its own subcommands here."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add every history subcommand to the command line's subparsers."""
    # each module adds its own: e.g. ``from . import cli_report; cli_report.register(sub)``
    from . import cli_memory, cli_report, cli_sync

    cli_report.register(sub)  # stats, trends, report
    cli_memory.register(sub)  # flaky, fixes
    cli_sync.register(sub)  # history sync, history backfill
