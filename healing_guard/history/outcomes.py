"""Closing the loop on a completed run: ``outcome`` records for what the guard did before, ``fix``
records for failures a later commit repaired.

Outcome: the trail holds ``failure`` records of an earlier attempt ``M`` of this run (the guard saw
it fail). When attempt ``N > M`` completes, one ``outcome`` per job of attempt ``M``: its
conclusion on attempt ``N`` (the job's own when it ran again, else the run's), ``result``
``healed``/``not_healed`` when the guard's remediation re-ran it (``passed``/``failed`` when the
guard did not re-run it and someone else did), what the guard did (action, strategy, signature),
the tests that failed on the attempt before (a success on the same commit makes them flakes),
when the run first failed and, on success, the seconds from then to green.

Fix: a successful run of a workflow on a branch whose latest trail records for that workflow and
branch are failures on another commit that nothing of the guard healed: the head commit fixed
them. ``fix_sha`` is the head, ``files`` what changed since the failing commit (the compare API,
bounded), one record per failure signature. When every commit in between was made by the guard's
own account (its fix pull request), the record says so (``result`` ``guard_fix``, else ``fixed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import HealingGuardError
from ..provider import Comparison, JobInfo, RunInfo
from .recorder import Redact, implies_rerun, run_fields, run_time
from .records import TrailRecord, make_record, parse_time
from .recovery import recovered_by

SUCCESS = "success"


def outcome_records(
    run: RunInfo,
    trail: Sequence[TrailRecord],
    jobs: Callable[[], list[JobInfo]],
    *,
    repository: str,
    redactor: Redact,
) -> list[TrailRecord]:
    """The outcomes attempt ``run.attempt`` closes (``jobs()`` lists its jobs; called only when needed)."""
    mine = [r for r in trail if r.kind == "failure" and r.run_id == run.id]
    earlier = [r for r in mine if r.attempt < run.attempt]
    if not earlier or run.conclusion is None:
        return []
    acted = max(r.attempt for r in earlier)
    recovered = any(
        r.kind == "decision" and r.run_id == run.id and r.attempt == acted and r.result == "done" and recovered_by(r)
        for r in trail
    )
    before = {r.job: r for r in mine if r.attempt == run.attempt - 1}
    first = min(earlier, key=lambda r: r.moment)
    finished = run_time(run)
    try:
        conclusions = {j.name: j.conclusion for j in jobs()}
    except HealingGuardError:  # the run's conclusion stands for every job then
        conclusions = {}
    out = []
    for r in (r for r in earlier if r.attempt == acted):
        conclusion = conclusions.get(r.job) or run.conclusion
        green = conclusion == SUCCESS
        by_guard = implies_rerun(r.action) and r.result == "done"
        if by_guard or recovered:
            result = "healed" if green else "not_healed"
            detail = (
                f"the guard's {r.action} of attempt {acted}"
                if by_guard
                else f"the guard's re-run of attempt {acted} after the mass failure it held ended"
            )
        else:
            result = "passed" if green else "failed"
            detail = f"attempt {run.attempt} was started by someone else (the guard's action was {r.action or 'none'})"
        previous = before.get(r.job, r)
        ttg = (parse_time(finished) - first.moment).total_seconds() if green else None
        out.append(
            make_record(
                "outcome",
                redactor=redactor,
                at=finished,
                **run_fields(run, repository),
                job_id=r.job_id,
                job=r.job,
                signature=r.signature,
                category=r.category,
                strategy=r.strategy,
                action=r.action if by_guard or not recovered else "rerun",
                result=result,
                detail=detail,
                conclusion=conclusion,
                previous_attempt=acted,
                failing_tests=previous.failing_tests,
                first_failure_at=first.at,
                time_to_green_s=max(0.0, ttg) if ttg is not None else None,
            )
        )
    return out


def failures_fixed(run: RunInfo, trail: Sequence[TrailRecord]) -> list[TrailRecord]:
    """The failure records a green ``run`` fixed (those of the latest failing run of its workflow
    and branch, on another commit, not healed since); empty when there are none."""
    if run.conclusion != SUCCESS:
        return []
    same = [
        r
        for r in trail
        if r.workflow == run.name and r.branch == run.head_branch and r.kind in ("failure", "outcome", "fix")
    ]
    if not same:
        return []
    latest = max(same, key=lambda r: (r.moment, r.kind == "fix", r.kind == "outcome"))
    if latest.kind == "fix" or (latest.kind == "outcome" and latest.conclusion == SUCCESS) or latest.run_id == run.id:
        return []
    failing = [r for r in same if r.kind == "failure" and r.run_id == latest.run_id]
    if not failing:
        return []
    last = max(r.attempt for r in failing)
    failing = [r for r in failing if r.attempt == last]
    if any(r.sha == run.head_sha for r in failing):
        return []  # the same commit passed: not a fix (a flake, or something outside the repository)
    return failing


def fix_records(
    run: RunInfo,
    fixed: Sequence[TrailRecord],
    compare: Callable[[str, str], Comparison],
    identity: Callable[[], str],
    *,
    repository: str,
    redactor: Redact,
) -> list[TrailRecord]:
    """One ``fix`` record per signature of ``fixed`` (see ``failures_fixed``)."""
    if not fixed:
        return []
    base = fixed[0].sha
    files: tuple[str, ...] = ()
    result = "fixed"
    detail = f"run {fixed[0].run_id} failed on {base[:12]}; {run.head_sha[:12]} turned {run.name} green"
    try:
        found = compare(base, run.head_sha)
        files = found.files
        if not found.complete:
            detail += "; the list of files is cut"
        if found.authors and all(a and a == identity() for a in found.authors):
            result = "guard_fix"
            detail += "; every commit in between was the guard's own (its fix pull request)"
    except HealingGuardError as exc:
        detail += f"; the changed files are unknown ({exc})"
    out = []
    seen: set[str] = set()
    for r in fixed:
        if r.signature in seen:
            continue
        seen.add(r.signature)
        values: dict[str, Any] = {**run_fields(run, repository), "job_id": 0}
        out.append(
            make_record(
                "fix",
                redactor=redactor,
                at=run_time(run),
                **values,
                job=r.job,
                signature=r.signature,
                category=r.category,
                strategy=r.strategy,
                result=result,
                detail=detail,
                fix_sha=run.head_sha,
                files=files,
                first_failure_at=min(x.at for x in fixed if x.signature == r.signature),
            )
        )
    return out
