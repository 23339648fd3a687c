"""Which trail a command reads: the options every history command shares, and the trail they name.

``--trail-dir DIR`` reads a local copy of the trail (a checkout of the state branch, or what
``healing-guard history sync`` wrote). The repository's own trail, read through the GitHub API
from ``GITHUB_REPOSITORY``, ``GITHUB_API_URL`` and ``GITHUB_TOKEN`` as in a workflow, is the other
source.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import HealingGuardError
from .store import LocalTrail, Trail


def add_trail_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("trail")
    group.add_argument(
        "--trail-dir",
        metavar="DIR",
        type=Path,
        help="read the trail from a local directory (its trail/*.jsonl files) instead of the repository",
    )


def open_trail(args: argparse.Namespace) -> Trail:
    """The trail the command's options name."""
    directory: Path | None = getattr(args, "trail_dir", None)
    if directory is not None:
        if not directory.is_dir():
            raise HealingGuardError(f"--trail-dir {directory}: no such directory")
        return LocalTrail(directory)
    raise HealingGuardError("no trail: give --trail-dir DIR")
