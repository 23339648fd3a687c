"""What one run of the guard found and did: frozen dataclasses the report is rendered from.

A ``GuardResult`` is built by one owner, a ``ResultBuilder``: the guard adds the jobs and their
decisions, the executor hands each outcome to it, and every reader (the report, the comment and
issue bodies) gets a frozen snapshot. Whatever happens later, what was already done is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .models import Diagnosis
from .provider import JobInfo, RunInfo

if TYPE_CHECKING:
    from .history.flaky import FlakyTest
    from .remediations import JobDecision


@dataclass(frozen=True)
class JobResult:
    """One diagnosed log (a failed job, or a log file in the in-job mode)."""

    name: str
    diagnosis: Diagnosis
    job: JobInfo | None = None
    decision: JobDecision | None = None
    url: str = ""
    notes: Sequence[str] = ()


@dataclass(frozen=True)
class Outcome:
    """The result of one remediation: done, failed, skipped or planned (dry run)."""

    action: str
    status: str
    detail: str
    url: str = ""
    #: the remediation changes the repository or its runs (re-run, cache deletion, fix PR)
    mutates: bool = False
    #: what makes it idempotent (the registry's key)
    key: str = ""
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    #: the jobs it was done for (empty: the run as a whole, like a comment)
    jobs: tuple[int, ...] = ()
    #: the run it was done for when not the result's own (a held run re-run by recovery)
    run: RunInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "action": self.action,
            "status": self.status,
            "detail": self.detail,
            "url": self.url,
            "key": self.key,
        }


@dataclass(frozen=True)
class Decision:
    """One decision the guard took, as plain data (issue 10): acted, waiting, approved by whom,
    rejected, expired, superseded, notified, failed to notify, incident opened or resolved.

    The audit trail (issue 9) records ``to_dict()``; the summary shows them."""

    kind: str
    detail: str
    #: who decided, when a person did (the commenter of ``/heal approve``)
    by: str = ""
    #: the idempotency key of the step it is about
    key: str = ""
    #: where: a channel's name (never its URL), a comment or issue link
    target: str = ""
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "kind": self.kind,
            "detail": self.detail,
            "by": self.by,
            "key": self.key,
            "target": self.target,
        }


@dataclass(frozen=True)
class GuardResult:
    mode: str
    dry_run: bool = False
    run: RunInfo | None = None
    results: Sequence[JobResult] = ()
    outcomes: Sequence[Outcome] = ()
    notes: Sequence[str] = ()
    errors: Sequence[str] = ()
    decisions: Sequence[Decision] = ()
    #: known flaky tests of this run above the quarantine share, from the trail (issue 9)
    quarantine: Sequence[FlakyTest] = ()

    @property
    def primary(self) -> JobResult | None:
        """The failure that stands for the run: the most certain known cause, else the first."""
        if not self.results:
            return None
        known = [r for r in self.results if r.diagnosis.category != "unknown"]
        pool = known or self.results
        return max(pool, key=lambda r: r.diagnosis.confidence)

    @property
    def actions(self) -> list[str]:
        """Remediations started (or, in a dry run, planned), in the ``action`` output's vocabulary,
        once each, in order; ``["none"]`` when there are none."""
        wanted = "planned" if self.dry_run else "done"
        out: list[str] = []
        for o in self.outcomes:
            if o.status == wanted and o.action not in out:
                out.append(o.action)
        return out or ["none"]

    @property
    def healed(self) -> bool:
        return not self.dry_run and any(o.status == "done" and o.mutates for o in self.outcomes)

    @property
    def headline(self) -> str:
        if not self.results:
            return self.notes[0] if self.notes else "nothing to diagnose"
        count = len(self.results)
        kinds = ", ".join(sorted({r.diagnosis.category for r in self.results}))
        what = "failed job" if self.mode in ("run", "approve") else "log"
        done = ", ".join(self.actions)
        verb = "planned" if self.dry_run else "action"
        return f"{count} {what}{'s' if count != 1 else ''} diagnosed ({kinds}); {verb}: {done}"


class ResultBuilder:
    """The one place a result grows: append-only, read through frozen snapshots."""

    def __init__(self, mode: str, *, dry_run: bool = False) -> None:
        self._result = GuardResult(mode=mode, dry_run=dry_run)

    def build(self) -> GuardResult:
        return self._result

    def set_run(self, run: RunInfo) -> None:
        self._result = replace(self._result, run=run)

    def add_job(self, job: JobResult) -> None:
        self._result = replace(self._result, results=(*self._result.results, job))

    def decide(self, decisions: list[JobDecision]) -> None:
        """Attach each job's decision to its result."""
        by_job = {d.job.id: d for d in decisions}
        self._result = replace(
            self._result,
            results=tuple(
                replace(r, decision=by_job[r.job.id]) if r.job is not None and r.job.id in by_job else r
                for r in self._result.results
            ),
        )

    def outcome(self, outcome: Outcome) -> None:
        self._result = replace(self._result, outcomes=(*self._result.outcomes, outcome))

    def decision(self, decision: Decision) -> None:
        self._result = replace(self._result, decisions=(*self._result.decisions, decision))

    def note(self, *notes: str) -> None:
        self._result = replace(self._result, notes=(*self._result.notes, *notes))

    def error(self, message: str) -> None:
        self._result = replace(self._result, errors=(*self._result.errors, message))

    def quarantine(self, tests: Sequence[FlakyTest]) -> None:
        self._result = replace(self._result, quarantine=tuple(tests))
