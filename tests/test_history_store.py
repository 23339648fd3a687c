"""The local trail: monthly shards, appends that do not interleave, retention, and corrupt lines counted."""

from __future__ import annotations

import multiprocessing
from datetime import datetime, timezone
from pathlib import Path

from healing_guard.history.records import make_record
from healing_guard.history.store import LocalTrail


def _record(run: int, at: str, job: int = 1) -> object:
    return make_record("failure", repository="o/r", run_id=run, attempt=1, job_id=job, at=at)


def test_append_and_read_back_in_time_order(tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path)
    trail.append([_record(2, "2026-12-02T00:00:00+00:00"), _record(1, "2026-11-30T00:00:00+00:00")])  # type: ignore[list-item]
    assert trail.shards() == ["2026-11.jsonl", "2026-12.jsonl"]
    assert [r.run_id for r in trail.read().records] == [1, 2]
    since = datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert [r.run_id for r in trail.read(since).records] == [2]


def test_a_record_written_twice_is_read_once(tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path)
    r = _record(1, "2026-12-02T00:00:00+00:00")
    trail.append([r])  # type: ignore[list-item]
    trail.append([r])  # type: ignore[list-item]
    assert len(trail.read().records) == 1


def test_corrupt_lines_are_counted_not_lost_silently(tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path)
    trail.append([_record(1, "2026-12-02T00:00:00+00:00")])  # type: ignore[list-item]
    with (tmp_path / "trail" / "2026-12.jsonl").open("a") as fh:
        fh.write('{"kind": "failure", "trunc\n')
    trail.append([_record(2, "2026-12-03T00:00:00+00:00")])  # type: ignore[list-item]
    result = trail.read()
    assert [r.run_id for r in result.records] == [1, 2]
    assert result.corrupt == 1 and "trail/2026-12.jsonl:2" in result.warnings[0]


def _writer(root: str, start: int) -> None:
    trail = LocalTrail(Path(root))
    for i in range(start, start + 50):
        trail.append([_record(i, "2026-12-02T00:00:00+00:00")])  # type: ignore[list-item]


def test_two_writers_at_once_lose_nothing(tmp_path: Path) -> None:
    procs = [multiprocessing.Process(target=_writer, args=(str(tmp_path), s)) for s in (0, 1000)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    result = LocalTrail(tmp_path).read()
    assert result.corrupt == 0
    assert len(result.records) == 100


def test_retention_drops_whole_old_months(tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path)
    trail.append([_record(1, "2026-01-15T00:00:00+00:00"), _record(2, "2026-11-15T00:00:00+00:00")])  # type: ignore[list-item]
    assert trail.prune(180, now=datetime(2026, 12, 3, tzinfo=timezone.utc)) == 1
    assert trail.shards() == ["2026-11.jsonl"]
