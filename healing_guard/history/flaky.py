"""Flaky tests from the trail: a test that failed on one attempt and passed when the same commit ran again.

An ``outcome`` record whose ``conclusion`` is ``success`` lists the tests that failed on the attempt
before it (``failing_tests``): the same commit passed, so each of them flaked once. A ``failure``
record lists the tests that failed in a job: each is one failure of that test. A test's score is
its flakes over its failures (a failure that was never re-run is not evidence either way, but it
counts as a failure, so the score is conservative).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .records import TrailRecord


@dataclass(frozen=True)
class Flake:
    """One piece of evidence: the run and attempt where the test passed again, and when."""

    run_id: int
    attempt: int
    at: str


@dataclass(frozen=True)
class FlakyTest:
    test: str
    failures: int
    flakes: int
    last_seen: str
    evidence: tuple[Flake, ...] = field(default=())

    @property
    def score(self) -> float:
        """Flakes per failure, 0 to 1."""
        return min(1.0, self.flakes / self.failures) if self.failures else 0.0


def flaky_tests(records: Iterable[TrailRecord]) -> list[FlakyTest]:
    """Every test that failed at least once, most flaky first (score, then flakes, then name)."""
    failures: dict[str, set[tuple[int, int]]] = {}
    flakes: dict[str, list[Flake]] = {}
    last: dict[str, str] = {}
    for r in records:
        if r.kind == "failure":
            for test in r.failing_tests:
                failures.setdefault(test, set()).add((r.run_id, r.attempt))
                last[test] = max(last.get(test, ""), r.at)
        elif r.kind == "outcome" and r.conclusion == "success":
            for test in r.failing_tests:
                flakes.setdefault(test, []).append(Flake(r.run_id, r.attempt, r.at))
                last[test] = max(last.get(test, ""), r.at)
    out = []
    for test in set(failures) | set(flakes):
        found = tuple(sorted(set(flakes.get(test, ())), key=lambda f: (f.at, f.run_id, f.attempt)))
        # a flake proves a failure even when the failure record itself was lost or never written
        count = max(len(failures.get(test, ())), len(found))
        out.append(FlakyTest(test, count, len(found), last[test], found))
    out.sort(key=lambda t: (-t.score, -t.flakes, t.test))
    return out


def is_known_flaky(test: FlakyTest, *, min_flakes: int = 2, min_share: float = 0.5) -> bool:
    """The default rule: flaked at least twice, and in at least half of its failures."""
    return test.flakes >= min_flakes and test.score >= min_share
