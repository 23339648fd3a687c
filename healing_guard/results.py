"""What one run of the guard found and did: plain dataclasses the report is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .models import Diagnosis
from .planner import JobDecision, Plan, action_names
from .provider import JobInfo, RunInfo


@dataclass
class JobResult:
    """One diagnosed log (a failed job, or a log file in the in-job mode)."""

    name: str
    diagnosis: Diagnosis
    job: JobInfo | None = None
    decision: JobDecision | None = None
    url: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """The result of one remediation: done, failed, skipped or planned (dry run)."""

    action: str
    status: str
    detail: str
    url: str = ""
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at, "action": self.action, "status": self.status, "detail": self.detail, "url": self.url}


@dataclass
class GuardResult:
    mode: str
    dry_run: bool = False
    run: RunInfo | None = None
    results: list[JobResult] = field(default_factory=list)
    plan: Plan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

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
        """Actions started (or, in a dry run, planned), in the ``action`` output's vocabulary."""
        wanted = "planned" if self.dry_run else "done"
        return action_names(o.action for o in self.outcomes if o.status == wanted)

    @property
    def healed(self) -> bool:
        return not self.dry_run and any(
            o.status == "done" and (o.action.startswith("rerun") or o.action in ("clear-cache", "fix-pr"))
            for o in self.outcomes
        )

    @property
    def headline(self) -> str:
        if not self.results:
            return self.notes[0] if self.notes else "nothing to diagnose"
        count = len(self.results)
        kinds = ", ".join(sorted({r.diagnosis.category for r in self.results}))
        what = "failed job" if self.mode == "run" else "log"
        done = ", ".join(self.actions)
        verb = "planned" if self.dry_run else "action"
        return f"{count} {what}{'s' if count != 1 else ''} diagnosed ({kinds}); {verb}: {done}"
