"""What the guard remembers when it plans: a frozen view of the trail (``Memory.from_records``).

- **Flaky tests** (``flaky``): a test is known flaky when it flaked at least ``min_flakes`` times and
  in at least ``min_share`` of its failures; at ``quarantine_share`` or more it is listed for
  quarantine.
- **Adaptive healing** (``rates``): the smoothed success rate of each remediation per failure
  signature; after ``min_tries`` outcomes, a rate below ``skip_below`` makes the guard skip it. The
  outcomes of a mass failure (an hour with more failures of one cause than the brake's budget of
  re-runs: an outage) are left out: that a re-run did not help during an outage says nothing about
  the remediation, and counting them would stop the guard re-running that failure for good.
- **Learned fixes**: the latest ``fix`` record of each signature (the commit and its files).
- **The mass-failure brake**: re-runs the guard started in the last hour, per cause (the category
  for infrastructure and network failures, which many runs share at once; the signature for the
  rest), counted once per run attempt.
- **Probes**: the held attempts of each run that a probe (``mode: recover``) re-ran, and when the
  run was first held: a probe's failed re-run is held again and gives its retry back.

Everything here is data from the trail; nothing in it is executed. Test ids, file names and commit
ids were cleaned when the records were made, and are escaped again wherever they are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from ..testids import MAX_TESTS
from .flaky import FlakyTest, flaky_tests, is_known_flaky
from .policy import MemoryPolicy
from .rates import SuccessRate, success_rates
from .records import TrailRecord
from .recovery import HELD, probed_by, recovered_by

#: categories whose failures many runs share at once (an outage): the brake counts them per category
BRAKE_CATEGORIES: frozenset[str] = frozenset({"infrastructure", "network"})
#: the trail's actions that started a re-run (a cleared cache is followed by one)
RERUN_ACTIONS: frozenset[str] = frozenset({"rerun", "clear-cache"})
#: how far back the brake looks
BRAKE_WINDOW = timedelta(hours=1)
#: the most files a learned fix shows
FIX_FILES_SHOWN = 5


def cause_of(category: str, signature: str) -> str:
    """What the brake counts a failure under: its category when an outage shares it, else its signature."""
    return category if category in BRAKE_CATEGORIES else f"signature {signature}"


@dataclass(frozen=True)
class LearnedFix:
    """The last human commit that turned a signature's failures green."""

    signature: str
    sha: str
    files: tuple[str, ...]
    at: str

    @property
    def short_sha(self) -> str:
        return self.sha[:12]

    @property
    def shown_files(self) -> tuple[str, ...]:
        return self.files[:FIX_FILES_SHOWN]

    @property
    def more_files(self) -> int:
        return max(0, len(self.files) - FIX_FILES_SHOWN)

    def text(self) -> str:
        """``last fixed by <sha>: <files>`` as plain text (escape it where it is shown)."""
        files = ", ".join(self.shown_files) or "no file listed"
        more = f" and {self.more_files} more" if self.more_files else ""
        return f"last fixed by {self.short_sha}: {files}{more}"


@dataclass(frozen=True)
class Memory:
    """What the trail says, as the planner reads it. Build it with ``from_records``."""

    settings: MemoryPolicy
    now: datetime
    #: every test that failed, by id
    tests: Mapping[str, FlakyTest] = field(default_factory=lambda: MappingProxyType({}))
    #: (signature, action) -> its success rate
    by_signature: Mapping[tuple[str, str], SuccessRate] = field(default_factory=lambda: MappingProxyType({}))
    #: (strategy, action) -> its success rate
    by_strategy: Mapping[tuple[str, str], SuccessRate] = field(default_factory=lambda: MappingProxyType({}))
    #: signature -> its latest learned fix
    fixes: Mapping[str, LearnedFix] = field(default_factory=lambda: MappingProxyType({}))
    #: cause -> the run attempts the guard re-ran for it in the last hour
    reruns: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    #: run -> its held attempts a probe re-ran
    probed: Mapping[int, frozenset[int]] = field(default_factory=lambda: MappingProxyType({}))
    #: run -> when it was first held
    first_held: Mapping[int, datetime] = field(default_factory=lambda: MappingProxyType({}))
    #: how many records it was built from
    records: int = 0

    @classmethod
    def from_records(cls, records: Iterable[TrailRecord], *, now: datetime, settings: MemoryPolicy) -> Memory:
        kept = [r for r in records if r.moment <= now]
        tests = {t.test: t for t in flaky_tests(kept)}
        mass = mass_failures(kept, settings.reruns_per_hour)
        taught = [r for r in kept if r.kind != "outcome" or (r.run_id, r.previous_attempt) not in mass]
        by_signature = {(s.value, s.action): s for s in success_rates(taught, by="signature") if s.value}
        by_strategy = {(s.value, s.action): s for s in success_rates(taught, by="strategy") if s.value}
        fixes: dict[str, LearnedFix] = {}
        for r in sorted((r for r in kept if r.kind == "fix" and r.signature and r.fix_sha), key=lambda r: r.moment):
            fixes[r.signature] = LearnedFix(r.signature, r.fix_sha, r.files, r.at)
        since = now - BRAKE_WINDOW
        attempts: dict[str, set[tuple[int, int]]] = {}
        failed = {(r.run_id, r.attempt): r for r in kept if r.kind == "failure"}
        first_held: dict[int, datetime] = {}
        probed: dict[int, set[int]] = {}
        for r in kept:
            if r.kind == "failure" and r.action in RERUN_ACTIONS and r.result == "done" and r.moment >= since:
                attempts.setdefault(cause_of(r.category, r.signature), set()).add((r.run_id, r.attempt))
            # a held run the recovery re-ran counts for its failure's cause: if the outage is not
            # over after all, the re-runs that fail again are braked, not re-run once more
            held = failed.get((r.run_id, r.attempt))
            recovery = r.kind == "decision" and r.result == "done" and recovered_by(r)
            if held is not None and recovery and r.moment >= since:
                attempts.setdefault(cause_of(held.category, held.signature), set()).add((r.run_id, r.attempt))
            if r.kind == "decision" and r.action == HELD:
                first_held[r.run_id] = min(first_held.get(r.run_id, r.moment), r.moment)
            if recovery and probed_by(r):
                probed.setdefault(r.run_id, set()).add(r.attempt)
        return cls(
            settings=settings,
            now=now,
            tests=MappingProxyType(tests),
            by_signature=MappingProxyType(by_signature),
            by_strategy=MappingProxyType(by_strategy),
            fixes=MappingProxyType(fixes),
            reruns=MappingProxyType({cause: len(seen) for cause, seen in attempts.items()}),
            probed=MappingProxyType({run: frozenset(seen) for run, seen in probed.items()}),
            first_held=MappingProxyType(first_held),
            records=len(kept),
        )

    # -- flaky tests --------------------------------------------------------------------------

    def is_known_flaky(self, test: str) -> bool:
        found = self.tests.get(test)
        return found is not None and is_known_flaky(
            found, min_flakes=self.settings.min_flakes, min_share=self.settings.min_share
        )

    def known_flaky(self) -> list[FlakyTest]:
        """Every known flaky test, most flaky first."""
        return [t for t in sorted(self.tests.values(), key=_flakiest) if self.is_known_flaky(t.test)]

    def all_flaky(self, tests: Sequence[str]) -> tuple[FlakyTest, ...] | None:
        """The history of ``tests`` when every one of them is known flaky (None otherwise, when empty, and
        when the list may have been cut at the most ids a diagnosis keeps: the rest are unknown)."""
        if not tests or len(tests) >= MAX_TESTS or not all(self.is_known_flaky(t) for t in tests):
            return None
        return tuple(self.tests[t] for t in tests)

    def to_quarantine(self, tests: Iterable[str] | None = None) -> tuple[FlakyTest, ...]:
        """Known flaky tests at or above the quarantine share (of ``tests``, or all), most flaky first."""
        pool = self.known_flaky() if tests is None else [self.tests[t] for t in tests if self.is_known_flaky(t)]
        out = [t for t in pool if t.score >= self.settings.quarantine_share]
        return tuple(sorted(dict.fromkeys(out), key=_flakiest))

    # -- adaptive healing ---------------------------------------------------------------------

    def rate(self, signature: str, action: str) -> SuccessRate | None:
        return self.by_signature.get((signature, action))

    def futile(self, signature: str, action: str) -> SuccessRate | None:
        """The rate that says ``action`` keeps failing for ``signature`` (None when history does not say so)."""
        found = self.rate(signature, action)
        if found is None or found.tries < self.settings.min_tries or found.rate >= self.settings.skip_below:
            return None
        return found

    # -- learned fixes and the brake ----------------------------------------------------------

    def fix_for(self, signature: str) -> LearnedFix | None:
        return self.fixes.get(signature)

    def reruns_for(self, cause: str) -> int:
        return self.reruns.get(cause, 0)

    def braked(self, cause: str) -> bool:
        """Whether another re-run for ``cause`` would go beyond the budget of re-runs per hour."""
        return self.reruns_for(cause) >= self.settings.reruns_per_hour

    # -- probes ---------------------------------------------------------------------------------

    def probes_before(self, run_id: int, attempt: int) -> int:
        """How many held attempts of the run before ``attempt`` a probe re-ran (each failed: the
        run is still failing), the retries the outage took rather than the run."""
        return sum(1 for a in self.probed.get(run_id, ()) if a < attempt)

    def held_since(self, run_id: int, attempt: int) -> datetime | None:
        """When the run was first held, if its attempt ``attempt`` is a held attempt a probe re-ran."""
        return self.first_held.get(run_id) if attempt in self.probed.get(run_id, ()) else None


def mass_failures(records: Sequence[TrailRecord], budget: int) -> set[tuple[int, int]]:
    """The (run, attempt) of failures that belong to a mass failure: some hour around them saw more
    failed runs of their cause than ``budget``."""
    by_cause: dict[str, list[tuple[datetime, int, int]]] = {}
    for r in records:
        if r.kind == "failure":
            by_cause.setdefault(cause_of(r.category, r.signature), []).append((r.moment, r.run_id, r.attempt))
    out: set[tuple[int, int]] = set()
    for failures in by_cause.values():
        failures.sort()
        first = 0
        for last, (moment, _, _) in enumerate(failures):
            while failures[first][0] < moment - BRAKE_WINDOW:
                first += 1
            window = failures[first : last + 1]
            if len({run for _, run, _ in window}) > budget:
                out.update((run, attempt) for _, run, attempt in window)
    return out


def _flakiest(t: FlakyTest) -> tuple[float, int, str]:
    return (-t.score, -t.flakes, t.test)


def describe_rate(action: str, rate: SuccessRate) -> str:
    """``rerun healed 0 of 4 for this signature (smoothed 17 %)``."""
    return f"{action} healed {rate.successes} of {rate.tries} for this signature (smoothed {round(rate.rate * 100)} %)"


def describe_flaky(tests: Sequence[FlakyTest], limit: int = 3) -> str:
    """``tests/a.py::t flaked 3 of 4, …``: the evidence of a flaky re-run, bounded."""
    shown = ", ".join(f"{t.test} flaked {t.flakes} of {t.failures}" for t in tests[:limit])
    more = f" and {len(tests) - limit} more" if len(tests) > limit else ""
    return shown + more
