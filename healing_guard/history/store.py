"""Where a trail lives: the ``Trail`` protocol, and ``LocalTrail``, a directory of monthly shards.

A trail is read whole (``read``, optionally from a moment on) and appended to (``append``). The
repository's trail (a state branch written through the GitHub API with optimistic concurrency)
implements the same protocol; ``LocalTrail`` is the same layout in a local directory, for the
command line on a checkout of the state branch, for benchmarks and for tests.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from ..files import read_at_most
from .records import ReadResult, TrailRecord, encode, parse_lines, shard_name, unique

#: the folder of the shards, in a directory and on the state branch
TRAIL_DIR = "trail"
#: a shard larger than this is not read whole (the GitHub API serves files up to 100 MB, and a
#: month of records is far below it); it is reported, never silently skipped
SHARD_LIMIT = 50 * 1024 * 1024


class Trail(Protocol):
    def read(self, since: datetime | None = None) -> ReadResult: ...

    def append(self, records: Sequence[TrailRecord]) -> None: ...


def months_since(since: datetime | None, shards: Sequence[str]) -> list[str]:
    """The shard names worth reading for records from ``since`` on (all of them when None)."""
    if since is None:
        return sorted(shards)
    first = shard_name(since)
    return sorted(s for s in shards if s >= first)


def finish(result: ReadResult, since: datetime | None) -> ReadResult:
    """Records from ``since`` on, in time order, each key once."""
    kept = [r for r in unique(result.records) if since is None or r.moment >= since]
    return ReadResult(kept, result.corrupt, result.warnings)


def retention_cutoff(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now(timezone.utc)) - timedelta(days=days)


class LocalTrail:
    """A trail in ``root/trail/YYYY-MM.jsonl``; appends are atomic per call (an exclusive file lock)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / TRAIL_DIR

    def shards(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.glob("*.jsonl") if p.is_file())

    def read(self, since: datetime | None = None) -> ReadResult:
        out = ReadResult()
        for name in months_since(since, self.shards()):
            path = self.folder / name
            data = read_at_most(path, SHARD_LIMIT)
            if data is None:
                out.warnings.append(f"{TRAIL_DIR}/{name}: larger than {SHARD_LIMIT} bytes, not read")
                continue
            out.extend(parse_lines(data.decode("utf-8", "replace"), source=f"{TRAIL_DIR}/{name}"))
        return finish(out, since)

    def append(self, records: Sequence[TrailRecord]) -> None:
        by_shard: dict[str, list[TrailRecord]] = {}
        for record in records:
            by_shard.setdefault(shard_name(record.moment), []).append(record)
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, batch in sorted(by_shard.items()):
            fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                os.write(fd, encode(batch).encode("utf-8"))
            finally:
                os.close(fd)

    def prune(self, days: int, now: datetime | None = None) -> int:
        """Drop shards wholly older than the retention (``days``); returns how many went."""
        cutoff = shard_name(retention_cutoff(days, now))
        gone = 0
        for name in self.shards():
            if name < cutoff:
                (self.folder / name).unlink()
                gone += 1
        return gone
