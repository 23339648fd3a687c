"""Flaky tests and remediation success rates, checked against figures worked out by hand."""

from __future__ import annotations

from typing import Any

import pytest

from healing_guard.history.flaky import flaky_tests, is_known_flaky
from healing_guard.history.rates import success_rates
from healing_guard.history.records import TrailRecord, make_record


def _failure(run: int, attempt: int, tests: list[str], day: int = 1) -> TrailRecord:
    return make_record(
        "failure",
        repository="o/r",
        run_id=run,
        attempt=attempt,
        job_id=1,
        failing_tests=tests,
        at=f"2026-12-{day:02d}T00:00:00+00:00",
    )


def _outcome(run: int, attempt: int, tests: list[str], conclusion: str, **kw: Any) -> TrailRecord:
    return make_record(
        "outcome",
        repository="o/r",
        run_id=run,
        attempt=attempt,
        failing_tests=tests,
        conclusion=conclusion,
        result="healed" if conclusion == "success" else "not_healed",
        at="2026-12-05T00:00:00+00:00",
        **kw,
    )


def test_flaky_scores() -> None:
    records = [
        # test a: failed 3 times, passed on re-run twice -> 2/3, known flaky
        _failure(1, 1, ["a", "b"]),
        _outcome(1, 2, ["a", "b"], "success"),
        _failure(2, 1, ["a"]),
        _outcome(2, 2, ["a"], "success"),
        _failure(3, 1, ["a", "b"]),
        _outcome(3, 2, ["a", "b"], "failure"),
        # test c: failed once, never re-run -> 0
        _failure(4, 1, ["c"]),
    ]
    got = {t.test: t for t in flaky_tests(records)}
    assert (got["a"].failures, got["a"].flakes, round(got["a"].score, 3)) == (3, 2, 0.667)
    assert (got["b"].failures, got["b"].flakes) == (2, 1)
    assert got["c"].score == 0
    assert [t.test for t in flaky_tests(records)] == ["a", "b", "c"]
    assert is_known_flaky(got["a"]) and not is_known_flaky(got["b"]) and not is_known_flaky(got["c"])
    assert [(f.run_id, f.attempt) for f in got["a"].evidence] == [(1, 2), (2, 2)]


def test_success_rates_are_smoothed() -> None:
    records = [
        _outcome(1, 2, [], "success", strategy="net", action="rerun", signature="s1"),
        _outcome(2, 2, [], "success", strategy="net", action="rerun", signature="s1"),
        _outcome(3, 2, [], "failure", strategy="net", action="rerun", signature="s2"),
        _outcome(4, 2, [], "success", strategy="oom", action="rerun", signature="s3"),
    ]
    by_strategy = {s.value: s for s in success_rates(records)}
    assert (by_strategy["net"].tries, by_strategy["net"].successes) == (3, 2)
    assert by_strategy["net"].rate == pytest.approx(3 / 5)
    assert by_strategy["oom"].rate == pytest.approx(2 / 3)  # one of one is not 100 %
    by_sig = {s.value: s.rate for s in success_rates(records, by="signature")}
    assert by_sig["s2"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        success_rates(records, by="colour")
