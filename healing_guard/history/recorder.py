"""What one guard run adds to the trail: ``failure`` and ``decision`` records from its result.

One ``failure`` record per diagnosed failed job: the run, attempt, job, workflow, branch and commit;
the diagnosis (signature, category, strategy, confidence, risk, the root line — cleaned, redacted
and bounded by ``make_record`` — and the failing tests when the diagnosis names them); what the
guard decided for the job (``action``) and how that went (``result``: the status of the remediation
that covered the job: done, failed, skipped; ``not_carried_out`` when none did); and timings. One
``decision`` record for every other thing the result carries (a pull request comment, an
escalation issue). Keys are the run, attempt and job (and the action of a decision), so handling
the same attempt twice writes nothing new.

A record's time is when the attempt completed (the run's ``updated_at``), not when the guard wrote
it: the time from the first failure to green is measured between the attempts' completions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..provider import JobInfo, RunInfo
from ..remediations import REGISTRY
from ..results import Decision, GuardResult, JobResult, Outcome
from .records import TrailRecord, make_record, parse_time, utc_now

Redact = Callable[[str], str]
NOT_CARRIED_OUT = "not_carried_out"


def run_time(run: RunInfo) -> str:
    """When the run's attempt last changed (completed), else now."""
    if run.updated_at:
        try:
            return parse_time(run.updated_at).astimezone(timezone.utc).isoformat(timespec="seconds")
        except ValueError:
            pass
    return utc_now()


def failing_tests(result: JobResult) -> tuple[str, ...]:
    """The tests the diagnosis names: ``Diagnosis.failing_tests`` when the diagnosis has it, else its
    ``tests`` parameter (the test-runner strategies extract it)."""
    tests: Any = getattr(result.diagnosis, "failing_tests", ()) or result.diagnosis.params.get("tests") or ()
    if isinstance(tests, str):
        tests = (tests,)
    return tuple(str(t) for t in tests) if isinstance(tests, (list, tuple)) else ()


def _seconds(start: str, end: str) -> float | None:
    try:
        return max(0.0, (parse_time(end) - parse_time(start)).total_seconds())
    except ValueError:
        return None


def _job_duration(job: JobInfo) -> float | None:
    return _seconds(job.started_at, job.completed_at) if job.started_at and job.completed_at else None


def _covering(outcomes: Sequence[Outcome], action: str, job_id: int) -> Outcome | None:
    for o in outcomes:
        if o.action == action and (job_id in o.jobs or not o.jobs):
            return o
    return None


def run_fields(run: RunInfo, repository: str) -> dict[str, Any]:
    return {
        "repository": run.repository or repository,
        "run_id": run.id,
        "attempt": run.attempt,
        "workflow": run.name,
        "workflow_id": run.workflow_id,
        "branch": run.head_branch,
        "sha": run.head_sha,
        "event": run.event,
    }


def failure_records(
    result: GuardResult, *, repository: str, redactor: Redact, guard_seconds: float | None = None
) -> list[TrailRecord]:
    """One ``failure`` record per diagnosed failed job of ``result``'s run."""
    run = result.run
    if run is None:
        return []
    at = run_time(run)
    out = []
    for r in result.results:
        if r.job is None:
            continue
        d = r.diagnosis
        action = r.decision.action if r.decision is not None else ""
        done = _covering(result.outcomes, action, r.job.id) if action else None
        root = d.root_line
        out.append(
            make_record(
                "failure",
                redactor=redactor,
                at=at,
                **run_fields(run, repository),
                job_id=r.job.id,
                job=r.job.name,
                signature=d.signature,
                category=d.category,
                strategy=d.strategy,
                confidence=round(float(d.confidence), 3),
                risk=str(d.risk),
                action=action,
                result=done.status if done is not None else (NOT_CARRIED_OUT if action else ""),
                detail=(r.decision.reason if r.decision is not None else "") or (done.detail if done else ""),
                root_line=root.text if root is not None else "",
                failing_tests=failing_tests(r),
                job_duration_s=_job_duration(r.job),
                guard_duration_s=guard_seconds,
            )
        )
    return out


def decision_records(result: GuardResult, *, repository: str, redactor: Redact) -> list[TrailRecord]:
    """A ``decision`` record for each remediation outcome no job's failure record stands for."""
    run = result.run
    if run is None:
        return []
    decided = {(r.job.id, r.decision.action) for r in result.results if r.job is not None and r.decision is not None}
    out = []
    for o in result.outcomes:
        if o.jobs and all((j, o.action) in decided for j in o.jobs):
            continue
        if o.run is not None:
            out.append(held_run_record(o, repository, redactor, at=run_time(run)))
            continue
        out.append(
            make_record(
                "decision",
                redactor=redactor,
                at=run_time(run),
                **run_fields(run, repository),
                job_id=o.jobs[0] if o.jobs else 0,
                action=o.action,
                result=o.status,
                detail=o.detail,
            )
        )
    # approvals, notifications, incidents (issue 10), holds (issue 9): who decided what
    out.extend(decision_record(run, d, repository, redactor) for d in result.decisions)
    return out


def decision_record(run: RunInfo, decision: Decision, repository: str, redactor: Redact) -> TrailRecord:
    """The ``decision`` record of one decision taken for ``run``'s attempt."""
    fields = run_fields(run, repository)
    return make_record(
        "decision",
        redactor=redactor,
        at=decision.at or run_time(run),
        **fields,
        action=decision.kind,
        result=decision.by,
        detail=decision.detail,
        key=f"decision:{fields['repository']}:{run.id}:{run.attempt}:{decision.kind}:{_about(decision)}",
    )


def held_run_record(outcome: Outcome, repository: str, redactor: Redact, at: str | None = None) -> TrailRecord:
    """The ``decision`` record of an outcome for another run than the result's (a held run the
    recovery re-ran): on that run's attempt, keyed by what it was and how it went (a failed try
    does not hide a later one)."""
    about = outcome.run
    assert about is not None
    return make_record(
        "decision",
        redactor=redactor,
        at=at or utc_now(),
        **run_fields(about, repository),
        action=outcome.action,
        result=outcome.status,
        detail=outcome.detail,
        key=f"decision:{repository}:{about.id}:{about.attempt}:{outcome.key}:{outcome.status}",
    )


def _about(decision: Decision) -> str:
    """What a decision is about, for its record's key: its step's key or target, else a digest of
    its words (never the words: they may be long, and keys are not cleaned like text fields)."""
    if decision.key or decision.target:
        return decision.key or decision.target
    return hashlib.sha256(decision.detail.encode("utf-8")).hexdigest()[:16]


def implies_rerun(action: str) -> bool:
    remedy = REGISTRY.get(action)
    return bool(remedy and remedy.implies_rerun)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
