"""The report's figures, checked against values worked out by hand (tests/fixtures/history/report)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.history import metrics
from healing_guard.history.records import TrailRecord, make_record, parse_time
from healing_guard.history.store import LocalTrail

FIXTURE = Path(__file__).parent / "fixtures" / "history" / "report"
EXPECTED: dict[str, Any] = yaml.safe_load((FIXTURE / "expected.yaml").read_text(encoding="utf-8"))


def _figures() -> metrics.Figures:
    result = LocalTrail(FIXTURE).read()
    return metrics.build(result.records, days=EXPECTED["days"], now=parse_time(EXPECTED["now"]))


def test_the_fixture_has_the_corrupt_line_it_says() -> None:
    result = LocalTrail(FIXTURE).read()
    assert result.corrupt == EXPECTED["corrupt"]
    assert "2026-11.jsonl:10" in result.warnings[0]


@pytest.mark.parametrize("name", sorted(EXPECTED["figures"]))
def test_figure_matches_the_hand_computed_value(name: str) -> None:
    got = _figures().to_dict()[name]
    if name == "recommendations":
        got = [{"rule": r["rule"], "subject": r["subject"]} for r in got]
    assert got == EXPECTED["figures"][name]


def _at(day: int, hour: int = 12) -> str:
    return f"2026-12-{day:02d}T{hour:02d}:00:00+00:00"


def _failure(run: int, attempt: int, day: int, **kw: Any) -> TrailRecord:
    values: dict[str, Any] = {"category": "network", "signature": "s", "action": "rerun", "result": "done"}
    values.update(kw)
    return make_record("failure", repository="o/r", run_id=run, attempt=attempt, job_id=1, at=_at(day), **values)


NOW = datetime(2026, 12, 15, tzinfo=timezone.utc)


def test_the_window_is_half_open_and_the_previous_one_as_long() -> None:
    win = metrics.window(7, NOW)
    assert (win.start, win.end) == (datetime(2026, 12, 8, tzinfo=timezone.utc), NOW)
    assert win.before() == metrics.Window(datetime(2026, 12, 1, tzinfo=timezone.utc), win.start)
    assert win.start in win and NOW not in win
    with pytest.raises(ValueError):
        metrics.window(0, NOW)


def test_a_heal_counts_only_for_earlier_attempts() -> None:
    records = [
        _failure(1, 1, 10),
        _failure(1, 2, 10),
        make_record("outcome", repository="o/r", run_id=1, attempt=2, result="healed", at=_at(10, 13)),
        # attempt 2 failed in another job after the green one: not healed by attempt 2
        _failure(1, 3, 11),
    ]
    fig = metrics.build(records, days=7, now=NOW)
    assert (fig.failures, fig.healed_failures, fig.healed_runs) == (3, 1, 1)


def test_a_fix_is_timed_from_the_first_failure_since_the_last_fix() -> None:
    fix: dict[str, Any] = {"repository": "o/r", "attempt": 1, "signature": "s", "workflow": "CI", "branch": "main"}
    records = [
        _failure(1, 1, 9, workflow="CI", branch="main"),
        make_record("fix", run_id=2, at=_at(9, 18), fix_sha="a" * 40, **fix),
        _failure(3, 1, 10, workflow="CI", branch="main"),
        _failure(4, 1, 11, workflow="CI", branch="main"),
        # another branch is another failing state
        _failure(5, 1, 8, workflow="CI", branch="dev"),
        make_record("fix", run_id=6, at=_at(12), fix_sha="b" * 40, **fix),
        # a fix that says its own time wins
        make_record("fix", run_id=7, at=_at(13), fix_sha="c" * 40, time_to_green_s=60.0, **fix),
        make_record("fix", run_id=8, at=_at(14), fix_sha="d" * 40, first_failure_at=_at(14, 10), **fix),
    ]
    fig = metrics.build(records, days=7, now=NOW)
    assert [r.seconds for r in fig.recoveries] == [6 * 3600, 2 * 86400, 60.0, 2 * 3600]
    assert fig.mttr_median_s == pytest.approx((2 * 3600 + 6 * 3600) / 2)


def test_a_long_window_is_bucketed_per_week() -> None:
    records = [_failure(i, 1, 1 + i) for i in range(10)]
    fig = metrics.build(records, days=60, now=NOW)
    assert fig.bucket_days == 7
    assert sum(b.total for b in fig.buckets) == 10
    assert all(b.start < NOW for b in fig.buckets)


def test_an_empty_trail_has_zeros_and_no_advice() -> None:
    fig = metrics.build([], days=7, now=NOW)
    assert (fig.failures, fig.healed_share, fig.mttr_s, fig.recommendations) == (0, None, None, [])
    assert len(fig.buckets) == 7
    later = metrics.build([], days=7, now=NOW.replace(hour=6))
    assert len(later.buckets) == 8  # a partial first day, six whole days, and today up to now
    assert fig.to_dict()["minutes"]["spent_on_failures_min"] == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "–"), (5, "5 s"), (600, "10 min"), (5400, "1.5 h"), (3 * 86400, "3.0 d")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert metrics.duration(seconds) == text
