"""The figures of a report over a window of the trail: pure functions of records, a window and ``now``.

Every figure the ``stats``, ``trends`` and ``report`` commands show is defined here, once:

- **Window**: ``[now - days, now)``; the *previous* window is the one of equal length before it,
  ``[now - 2·days, now - days)``. A record belongs to a window by its ``at``.
- **Failures**: ``failure`` records in the window, one per failed job of one run attempt (a job
  that failed on attempts 1 and 2 is two failures). Each has a ``category`` (``unknown`` when the
  record has none). **Change** is this window's count minus the previous window's, and the
  relative change is that over the previous count (none when the previous window had none).
- **Healed without a person**: a failure is healed when a later attempt of the same run concluded
  green after the guard's remediation: an ``outcome`` record of that run with ``result`` ``healed``
  and an ``attempt`` above the failure's. A re-run runs the same commit, so no person's commit came
  in between (a person's fix is a new commit, hence a new run: that is a ``fix`` record, not an
  outcome). The share is healed failures over failures. The outcome may come after the window;
  the failure's time decides.
- **Recoveries and MTTR** (mean time to green): a recovery is a failing state that turned green,
  counted when it turned green (the recovery's record's ``at`` is in the window):

  * *by the guard*: a healed ``outcome`` record; its time is its ``time_to_green_s`` (the first
    failure of the run to the green attempt). An outcome without it is not timed.
  * *by a person*: a ``fix`` record; its time runs from the first failure it fixed to the fixing
    commit's green run (the fix record's ``at``). The record's own ``time_to_green_s`` wins when it
    has one, then its ``first_failure_at``; otherwise the first failure is the earliest ``failure``
    record with the same signature, workflow and branch after the previous fix of that signature
    there (a fix with no such failure is not timed).

  MTTR is the mean of the window's timed recoveries; the median is given beside it. The trend is
  the mean per bucket: per day for windows up to 31 days, per week (7 days from the window's
  start) beyond.
- **Remediation success per strategy**: ``rates.success_rates`` over the window's outcomes
  (smoothed: one of one is 67 %).
- **Flaky tests**: ``flaky.flaky_tests`` over the whole trail up to ``now`` (a week is too little
  evidence), listing the tests that failed or flaked in the window. A test is listed for
  **quarantine** when it flaked at least ``quarantine_flakes`` times in at least
  ``quarantine_share`` of its failures.
- **Learned fixes**: the window's ``fix`` records.
- **Runner minutes** (from ``job_duration_s``; a record without it adds nothing and is counted in
  ``untimed``):

  * *spent on failures*: the durations of the window's failed jobs;
  * *of which futile re-runs*: failed jobs that were themselves the attempt of a guard re-run that
    did not heal (an outcome ``not_healed`` of the same run and attempt);
  * *spent on healing re-runs*: the durations healed outcomes carry (when they carry one);
  * *not spent* (an estimate, not a measurement): the durations of the failures the guard chose
    not to re-run (its action implies no re-run: it escalated, commented or opened a fix). A blind
    retry would have re-run each of them at least once, and the re-run of a deterministic failure
    takes about as long and fails again.

  Healing saves a person's attention, not runner minutes: a re-run costs the same minutes whoever
  starts it. So the report counts **re-runs a person did not have to start** (the runs healed)
  apart from the minutes, and never turns them into minutes.
- **Recommendations**: rules over the figures above (see ``recommendations``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from .flaky import FlakyTest, flaky_tests
from .rates import SuccessRate, success_rates
from .records import TrailRecord, parse_time

UNKNOWN = "unknown"
#: the remediations that start the failed jobs again (``remediations.REGISTRY``'s ``implies_rerun``)
RERUN_ACTIONS = frozenset({"rerun", "clear-cache"})
#: a test is listed for quarantine when it flaked this often in at least this share of its failures
QUARANTINE_FLAKES = 3
QUARANTINE_SHARE = 0.5
#: a strategy is flagged when it was tried this often and its smoothed success rate is below this
WEAK_STRATEGY_TRIES = 3
WEAK_STRATEGY_RATE = 0.5
#: a category is flagged when it has this many failures and at least this factor of the previous window's
GROWTH_MIN_FAILURES = 3
GROWTH_FACTOR = 2.0
#: MTTR is flagged when it rose by at least this factor over the previous window
MTTR_GROWTH_FACTOR = 1.5
#: futile re-runs are flagged above this share of the minutes spent on failures
FUTILE_SHARE = 0.25
#: windows up to this many days are bucketed per day, longer ones per week
DAILY_UP_TO = 31


@dataclass(frozen=True)
class Window:
    """``[start, end)``."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end

    def before(self) -> Window:
        """The window of equal length just before this one."""
        return Window(self.start - (self.end - self.start), self.start)

    def to_dict(self) -> dict[str, Any]:
        return {"start": _iso(self.start), "end": _iso(self.end), "days": round(self.days, 3)}


def window(days: float, now: datetime) -> Window:
    if days <= 0:
        raise ValueError(f"days must be positive, not {days}")
    end = now.astimezone(timezone.utc)
    return Window(end - timedelta(days=days), end)


@dataclass(frozen=True)
class CategoryFigure:
    category: str
    failures: int
    previous: int
    healed: int

    @property
    def change(self) -> int:
        return self.failures - self.previous

    @property
    def change_share(self) -> float | None:
        """The change over the previous window's count; None when it had none."""
        return self.change / self.previous if self.previous else None

    def to_dict(self) -> dict[str, Any]:
        share = self.change_share
        return {
            "category": self.category,
            "failures": self.failures,
            "previous": self.previous,
            "change": self.change,
            "change_share": None if share is None else round(share, 4),
            "healed": self.healed,
        }


@dataclass(frozen=True)
class Recovery:
    """A failing state that turned green: by the guard (a healed outcome) or a person (a fix)."""

    by: str
    repository: str
    run_id: int
    workflow: str
    branch: str
    signature: str
    green_at: datetime
    seconds: float | None
    fix_sha: str = ""


@dataclass(frozen=True)
class Bucket:
    """One day (or week) of the window: failures per category and the recoveries' mean time."""

    start: datetime
    failures: dict[str, int]
    recoveries: int
    mean_s: float | None

    @property
    def total(self) -> int:
        return sum(self.failures.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _iso(self.start),
            "failures": dict(sorted(self.failures.items())),
            "recoveries": self.recoveries,
            "mean_time_to_green_s": _round(self.mean_s),
        }


@dataclass(frozen=True)
class Minutes:
    """Runner seconds (the report shows minutes); see the module docstring for each one."""

    failed_s: float = 0.0
    futile_rerun_s: float = 0.0
    healing_rerun_s: float = 0.0
    not_rerun_s: float = 0.0
    untimed: int = 0
    person_reruns_avoided: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "spent_on_failures_min": round(self.failed_s / 60, 1),
            "futile_reruns_min": round(self.futile_rerun_s / 60, 1),
            "healing_reruns_min": round(self.healing_rerun_s / 60, 1),
            "not_spent_estimate_min": round(self.not_rerun_s / 60, 1),
            "untimed_records": self.untimed,
            "person_reruns_avoided": self.person_reruns_avoided,
        }


@dataclass(frozen=True)
class Recommendation:
    """What to do about a figure. ``subject`` comes from the trail (a test, a strategy, a category;
    empty for a figure of the whole window) and is hostile text; ``message`` is the guard's own
    words and numbers."""

    rule: str
    subject: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "subject": self.subject, "message": self.message}


@dataclass(frozen=True)
class Figures:
    """Everything a report shows for one window."""

    window: Window
    previous: Window
    records: int
    failures: int
    previous_failures: int
    runs: int
    healed_failures: int
    healed_runs: int
    reruns: int
    categories: list[CategoryFigure]
    recoveries: list[Recovery]
    previous_mttr_s: float | None
    buckets: list[Bucket]
    bucket_days: int
    strategies: list[SuccessRate]
    flaky: list[FlakyTest]
    quarantine: list[FlakyTest]
    fixes: list[TrailRecord]
    minutes: Minutes
    recommendations: list[Recommendation] = field(default_factory=list)
    repositories: tuple[str, ...] = ()

    @property
    def healed_share(self) -> float | None:
        return self.healed_failures / self.failures if self.failures else None

    @property
    def timed(self) -> list[float]:
        return [r.seconds for r in self.recoveries if r.seconds is not None]

    @property
    def mttr_s(self) -> float | None:
        return mean(self.timed)

    @property
    def mttr_median_s(self) -> float | None:
        timed = self.timed
        return statistics.median(timed) if timed else None

    def to_dict(self) -> dict[str, Any]:
        share = self.healed_share
        return {
            "window": self.window.to_dict(),
            "previous_window": self.previous.to_dict(),
            "repositories": list(self.repositories),
            "records": self.records,
            "failures": self.failures,
            "previous_failures": self.previous_failures,
            "runs": self.runs,
            "healed_failures": self.healed_failures,
            "healed_share": None if share is None else round(share, 4),
            "healed_runs": self.healed_runs,
            "reruns": self.reruns,
            "categories": [c.to_dict() for c in self.categories],
            "recoveries": len(self.recoveries),
            "recoveries_by_guard": sum(r.by == "guard" for r in self.recoveries),
            "recoveries_by_person": sum(r.by == "person" for r in self.recoveries),
            "mttr_s": _round(self.mttr_s),
            "mttr_median_s": _round(self.mttr_median_s),
            "previous_mttr_s": _round(self.previous_mttr_s),
            "bucket_days": self.bucket_days,
            "buckets": [b.to_dict() for b in self.buckets],
            "strategies": [
                {
                    "strategy": s.value,
                    "action": s.action,
                    "tries": s.tries,
                    "successes": s.successes,
                    "rate": round(s.rate, 4),
                }
                for s in self.strategies
            ],
            "flaky_tests": [
                {"test": t.test, "failures": t.failures, "flakes": t.flakes, "score": round(t.score, 4)}
                for t in self.flaky
            ],
            "quarantine": [t.test for t in self.quarantine],
            "fixes": [
                {
                    "at": f.at,
                    "signature": f.signature,
                    "fix_sha": f.fix_sha,
                    "files": list(f.files),
                    "branch": f.branch,
                    "workflow": f.workflow,
                }
                for f in self.fixes
            ],
            "minutes": self.minutes.to_dict(),
            "recommendations": [r.to_dict() for r in self.recommendations],
        }


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def category_of(record: TrailRecord) -> str:
    return record.category or UNKNOWN


def healed_attempts(records: Iterable[TrailRecord]) -> dict[tuple[str, int], int]:
    """For each (repository, run) the guard healed: the first attempt that concluded green after it."""
    out: dict[tuple[str, int], int] = {}
    for r in records:
        if r.kind == "outcome" and r.result == "healed":
            key = (r.repository, r.run_id)
            out[key] = min(out.get(key, r.attempt), r.attempt)
    return out


def is_healed(failure: TrailRecord, healed: dict[tuple[str, int], int]) -> bool:
    green = healed.get((failure.repository, failure.run_id))
    return green is not None and green > failure.attempt


def recoveries(records: Sequence[TrailRecord]) -> list[Recovery]:
    """Every recovery in the records (oldest first); see the module docstring for the times."""
    out: list[Recovery] = []
    # the first failure since the last fix, per (repository, signature, workflow, branch)
    open_since: dict[tuple[str, str, str, str], datetime] = {}
    for r in sorted(records, key=lambda r: r.moment):
        key = (r.repository, r.signature, r.workflow, r.branch)
        if r.kind == "failure" and r.signature:
            open_since.setdefault(key, r.moment)
        elif r.kind == "outcome" and r.result == "healed":
            out.append(
                Recovery(
                    "guard", r.repository, r.run_id, r.workflow, r.branch, r.signature, r.moment, r.time_to_green_s
                )
            )
        elif r.kind == "fix":
            first = open_since.pop(key, None)
            seconds: float | None
            if r.time_to_green_s is not None:
                seconds = r.time_to_green_s
            elif r.first_failure_at:
                seconds = (r.moment - parse_time(r.first_failure_at)).total_seconds()
            elif first is not None:
                seconds = (r.moment - first).total_seconds()
            else:
                seconds = None
            out.append(
                Recovery(
                    "person", r.repository, r.run_id, r.workflow, r.branch, r.signature, r.moment, seconds, r.fix_sha
                )
            )
    return out


def _buckets(win: Window, failures: Sequence[TrailRecord], recovered: Sequence[Recovery]) -> tuple[list[Bucket], int]:
    size = 1 if win.days <= DAILY_UP_TO else 7
    # days start at midnight UTC (a window of whole days ending now has a partial first and last day)
    first = datetime(win.start.year, win.start.month, win.start.day, tzinfo=timezone.utc)
    starts: list[datetime] = []
    moment = first
    while moment < win.end:
        starts.append(moment)
        moment += timedelta(days=size)

    def index(at: datetime) -> int:
        return int((at - first).total_seconds() // (size * 86400))

    counts: list[dict[str, int]] = [{} for _ in starts]
    for f in failures:
        bucket = counts[index(f.moment)]
        bucket[category_of(f)] = bucket.get(category_of(f), 0) + 1
    times: list[list[float]] = [[] for _ in starts]
    numbers = [0 for _ in starts]
    for rec in recovered:
        i = index(rec.green_at)
        numbers[i] += 1
        if rec.seconds is not None:
            times[i].append(rec.seconds)
    return [Bucket(s, counts[i], numbers[i], mean(times[i])) for i, s in enumerate(starts)], size


def minutes(failures: Sequence[TrailRecord], outcomes: Sequence[TrailRecord], healed_runs: int) -> Minutes:
    futile = {(o.repository, o.run_id, o.attempt) for o in outcomes if o.result == "not_healed"}
    failed = futile_s = not_rerun = healing = 0.0
    untimed = 0
    for f in failures:
        if f.job_duration_s is None:
            untimed += 1
            continue
        failed += f.job_duration_s
        if (f.repository, f.run_id, f.attempt) in futile:
            futile_s += f.job_duration_s
        if f.action and f.action not in RERUN_ACTIONS:
            not_rerun += f.job_duration_s
    for o in outcomes:
        if o.result == "healed":
            if o.job_duration_s is None:
                untimed += 1
            else:
                healing += o.job_duration_s
    return Minutes(failed, futile_s, healing, not_rerun, untimed, healed_runs)


def recommendations(figures: Figures) -> list[Recommendation]:
    """Rule-based advice from the figures, most urgent first (quarantine, weak strategies, growth, MTTR, waste)."""
    out: list[Recommendation] = []
    for t in figures.quarantine:
        out.append(
            Recommendation(
                "quarantine",
                t.test,
                f"flaked {t.flakes} times in {t.failures} failures ({t.score:.0%}): quarantine it or fix its flakiness",
            )
        )
    for s in figures.strategies:
        if s.tries >= WEAK_STRATEGY_TRIES and s.rate < WEAK_STRATEGY_RATE:
            out.append(
                Recommendation(
                    "weak-strategy",
                    s.value,
                    f"{s.action} healed {s.successes} of {s.tries} ({s.rate:.0%} smoothed): "
                    "review the strategy, or let the guard escalate these failures at once",
                )
            )
    for c in figures.categories:
        grew = c.previous == 0 or c.failures >= GROWTH_FACTOR * c.previous
        if c.failures >= GROWTH_MIN_FAILURES and grew and c.change > 0:
            out.append(
                Recommendation(
                    "category-grew",
                    c.category,
                    f"{c.failures} failures, {c.previous} the window before: look for a common cause",
                )
            )
    now, before = figures.mttr_s, figures.previous_mttr_s
    if now is not None and before and now >= MTTR_GROWTH_FACTOR * before:
        out.append(
            Recommendation(
                "mttr-rose",
                "",
                f"mean time to green rose from {duration(before)} to {duration(now)}",
            )
        )
    m = figures.minutes
    if m.failed_s and m.futile_rerun_s / m.failed_s > FUTILE_SHARE:
        out.append(
            Recommendation(
                "futile-reruns",
                "",
                f"{m.futile_rerun_s / 60:.0f} of {m.failed_s / 60:.0f} failed-job minutes were re-runs that failed "
                "again: lower max-retries or check the strategies above",
            )
        )
    return out


def duration(seconds: float | None) -> str:
    """Seconds as people read them: ``45 s``, ``12 min``, ``3.5 h``, ``2.1 d``; ``–`` for none."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def build(
    records: Iterable[TrailRecord],
    *,
    days: float,
    now: datetime,
    quarantine_flakes: int = QUARANTINE_FLAKES,
    quarantine_share: float = QUARANTINE_SHARE,
) -> Figures:
    """The figures of the window of ``days`` ending at ``now``, from the trail's records up to ``now``."""
    win = window(days, now)
    prev = win.before()
    known = sorted((r for r in records if r.moment < win.end), key=lambda r: r.moment)
    in_win = [r for r in known if r.moment in win]
    failures = [r for r in in_win if r.kind == "failure"]
    before = [r for r in known if r.kind == "failure" and r.moment in prev]
    outcomes = [r for r in in_win if r.kind == "outcome"]
    healed_at = healed_attempts(known)

    cats: dict[str, list[int]] = {}
    for f in failures:
        figure = cats.setdefault(category_of(f), [0, 0, 0])
        figure[0] += 1
        figure[2] += is_healed(f, healed_at)
    for f in before:
        cats.setdefault(category_of(f), [0, 0, 0])[1] += 1
    categories = [CategoryFigure(name, *counts) for name, counts in cats.items()]
    categories.sort(key=lambda c: (-c.failures, -c.previous, c.category))

    runs = {(f.repository, f.run_id) for f in failures}
    healed_runs = {(f.repository, f.run_id) for f in failures if is_healed(f, healed_at)}
    all_recoveries = recoveries(known)
    in_window = [r for r in all_recoveries if r.green_at in win]
    previous_times = [r.seconds for r in all_recoveries if r.green_at in prev and r.seconds is not None]
    buckets, size = _buckets(win, failures, in_window)

    # a test that failed but never passed on a re-run of the same commit is not flaky
    flaky = [t for t in flaky_tests(known) if t.flakes and parse_time(t.last_seen) in win]
    quarantine = [t for t in flaky if t.flakes >= quarantine_flakes and t.score >= quarantine_share]
    figures = Figures(
        window=win,
        previous=prev,
        records=len(in_win),
        failures=len(failures),
        previous_failures=len(before),
        runs=len(runs),
        healed_failures=sum(c.healed for c in categories),
        healed_runs=len(healed_runs),
        reruns=sum(1 for f in failures if f.action in RERUN_ACTIONS and f.result == "done"),
        categories=categories,
        recoveries=in_window,
        previous_mttr_s=mean(previous_times),
        buckets=buckets,
        bucket_days=size,
        strategies=success_rates(outcomes, by="strategy"),
        flaky=flaky,
        quarantine=quarantine,
        fixes=[r for r in in_win if r.kind == "fix"],
        minutes=minutes(failures, outcomes, len(healed_runs)),
        repositories=tuple(sorted({r.repository for r in in_win})),
    )
    return replace(figures, recommendations=recommendations(figures))
