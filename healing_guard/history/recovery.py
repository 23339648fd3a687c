"""Recovery after a mass failure: the re-runs the brake held, started once the cause has gone.

The mass-failure brake (``memory.py``) stops re-running when many runs fail at once for one cause,
so an outage does not burn runner minutes on re-runs that fail again. Each failure it held (a
re-run every other gate allowed) is a ``held`` decision record in the trail. When a later run of
the same workflow passes, started after the held failure, the cause is gone for that workflow: the
guard that handles the passing run re-runs the failed jobs of every held run of that workflow from
the last ``memory.brake.recover_within_hours`` hours, oldest first, at most
``memory.brake.recover_max`` of them.

A held run is re-run at most once by recovery, and never when it has moved on: its latest attempt
must still be the held one, completed and failed (a person may have re-run it, or a re-run may be
in progress); nor when the passing run is on the same branch at another commit (superseded: the
branch is green again without it). The re-run is recorded as a ``decision`` record with action ``rerun`` for the held
run's attempt, so a second guard (the same passing run handled twice, or two passing runs at once)
finds it done; two guards that read the trail at the same instant both ask, and GitHub refuses a
re-run of a run that is already running (403 "already running"), which is reported as skipped.
When the re-run's attempt concludes, its outcome is the guard's (``outcomes.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..errors import GitHubConflictError, HealingGuardError
from ..provider import Provider, RunInfo
from ..results import Outcome
from .policy import MemoryPolicy
from .records import TrailRecord, parse_time

#: the decision a held failure is recorded as (one per run attempt)
HELD = "held"
#: the action of the decision record a recovery re-run is recorded as
RERUN = "rerun"
#: a workflow is probed only when nothing of it was held or re-run by recovery for this long: the
#: outage has gone quiet (while failures keep coming, a passing run will release the holds)
PROBE_QUIET = timedelta(minutes=30)
FAILED = ("failure", "timed_out")


@dataclass(frozen=True)
class HeldRun:
    """One run attempt the brake held, from its ``held`` record."""

    run_id: int
    attempt: int
    workflow: str
    at: datetime
    detail: str
    branch: str = ""
    sha: str = ""
    workflow_id: int = 0


def hold_key(run_id: int, attempt: int, job_id: int) -> str:
    """The key of the ``held`` decision for one job of a run attempt."""
    return f"hold:{run_id}:{attempt}:{job_id}"


def recovery_key(run_id: int, attempt: int) -> str:
    return f"recover:{run_id}:{attempt}"


def probe_key(run_id: int, attempt: int) -> str:
    """A recovery key (``recovered_by`` knows it) that says a probe re-ran the held attempt: no
    run had passed, so a failure of the re-run means the outage goes on."""
    return f"{recovery_key(run_id, attempt)}:probe"


def recovered_by(record: TrailRecord) -> bool:
    """Whether ``record`` is a recovery's decision record (its key names the held attempt)."""
    return recovery_key(record.run_id, record.attempt) in record.key


def probed_by(record: TrailRecord) -> bool:
    """Whether ``record`` is the decision record of a probe's re-run (``probe_key``)."""
    return probe_key(record.run_id, record.attempt) in record.key


def _same_workflow(held: HeldRun, run: RunInfo) -> bool:
    if held.workflow_id and run.workflow_id:
        return held.workflow_id == run.workflow_id
    return bool(held.workflow) and held.workflow == run.name


def _started(run: RunInfo) -> datetime | None:
    """When the passing attempt started: ``run_started_at``, else the run's creation (attempt 1)."""
    for value in (run.started_at, run.created_at if run.attempt == 1 else ""):
        if value:
            try:
                return parse_time(value)
            except ValueError:
                continue
    return None


@dataclass
class _Holds:
    """What the trail says of holds: every held run attempt, which are still open (not moved on, not
    re-run by recovery), and when each workflow last had a hold or a recovery re-run."""

    held: dict[tuple[int, int], HeldRun]
    later: dict[int, int]
    recovered: set[tuple[int, int]]
    last: dict[str, datetime]

    def open(self) -> list[HeldRun]:
        return [
            h
            for key, h in self.held.items()
            if key not in self.recovered and self.later.get(h.run_id, 0) <= h.attempt
        ]


def _holds(records: Sequence[TrailRecord], repository: str) -> _Holds:
    out = _Holds({}, {}, set(), {})
    for r in records:
        if (r.repository or repository) != repository:
            continue
        out.later[r.run_id] = max(out.later.get(r.run_id, 0), r.attempt)
        recovery = r.kind == "decision" and r.action == RERUN and recovered_by(r)
        if recovery and r.result in ("done", "skipped"):
            out.recovered.add((r.run_id, r.attempt))
        if r.kind != "decision" or not (recovery or r.action == HELD):
            continue
        out.last[r.workflow] = max(out.last.get(r.workflow, r.moment), r.moment)
        if r.action == HELD:
            found = HeldRun(r.run_id, r.attempt, r.workflow, r.moment, r.detail, r.branch, r.sha, r.workflow_id)
            out.held.setdefault((r.run_id, r.attempt), found)
    return out


def held_runs(
    records: Sequence[TrailRecord], green: RunInfo, *, repository: str, now: datetime, policy: MemoryPolicy
) -> list[HeldRun]:
    """The held run attempts a passing attempt ``green`` releases, oldest first: same repository and
    workflow, held within the window and before ``green`` started, not moved on in the trail (a later
    attempt recorded) and not re-run by recovery already."""
    if not policy.recovers or green.conclusion != "success":
        return []
    started = _started(green)
    if started is None:  # without a start, a run that began during the outage could release it
        return []
    since = now - timedelta(hours=policy.recover_within_hours)
    out = [
        h
        for h in _holds(records, repository).open()
        if h.run_id != green.id and _same_workflow(h, green) and since <= h.at <= started
    ]
    return sorted(out, key=lambda h: (h.at, h.run_id))[: policy.recover_max]


def probes(records: Sequence[TrailRecord], *, repository: str, now: datetime, policy: MemoryPolicy) -> list[HeldRun]:
    """For ``mode: recover`` on a schedule: per workflow with held runs, the newest one, when the
    workflow has been quiet for ``PROBE_QUIET`` (no hold, no recovery re-run). If its re-run
    passes, that passing run releases the others; if it fails, the planner holds the failure again
    without spending a retry (``planner._outage_goes_on``), for ``recover_within_hours`` after the
    run's first hold."""
    if not policy.recovers:
        return []
    since = now - timedelta(hours=policy.recover_within_hours)
    holds = _holds(records, repository)
    newest: dict[str, HeldRun] = {}
    for h in holds.open():
        if h.at < since or holds.last[h.workflow] > now - PROBE_QUIET:
            continue
        if h.workflow not in newest or (h.at, h.run_id) > (newest[h.workflow].at, newest[h.workflow].run_id):
            newest[h.workflow] = h
    return sorted(newest.values(), key=lambda h: h.workflow)


def _superseded(h: HeldRun, green: RunInfo) -> bool:
    """``green`` passed on the held run's branch at another commit."""
    return bool(h.branch and h.branch == green.head_branch and h.sha and green.head_sha and h.sha != green.head_sha)


def recover(
    provider: Provider, held: Sequence[HeldRun], *, why: str, dry_run: bool, green: RunInfo | None = None
) -> list[Outcome]:
    """Re-run the failed jobs of each held run that is still where the brake left it; one outcome
    each (``run`` names the held run, so the trail records it there). ``green``: the passing run
    that releases them (a held run it supersedes is skipped); None for a probe."""
    out: list[Outcome] = []
    for h in held:
        key = recovery_key(h.run_id, h.attempt) if green else probe_key(h.run_id, h.attempt)
        if green and _superseded(h, green):
            superseded = RunInfo(h.run_id, h.workflow, h.attempt, "completed", "failure", "", h.branch, h.sha, "")
            why_not = f"held run {h.run_id} is superseded: run {green.id} passed on a newer commit of {h.branch}"
            out.append(Outcome(RERUN, "skipped", f"{why_not}; not re-run", key=key, run=superseded))
            continue
        try:
            run = provider.get_run(h.run_id)
        except HealingGuardError as exc:
            out.append(Outcome(RERUN, "failed", f"held run {h.run_id}: it could not be read ({exc})", key=key))
            continue
        if run.attempt != h.attempt or run.status != "completed" or run.conclusion not in FAILED:
            state = f"attempt {run.attempt} is {run.status}" + (f" ({run.conclusion})" if run.conclusion else "")
            out.append(
                Outcome(
                    RERUN,
                    "skipped",
                    f"held run {h.run_id} attempt {h.attempt} has moved on ({state}); not re-run",
                    run.html_url,
                    key=key,
                    run=replace(run, attempt=h.attempt),  # recorded on the held attempt
                )
            )
            continue
        what = f"the failed jobs of held run {h.run_id} attempt {h.attempt} ({why})"
        if dry_run:
            out.append(Outcome(RERUN, "planned", f"would re-run {what}", run.html_url, True, key))
            continue
        try:
            provider.rerun_failed_jobs(h.run_id)
        except GitHubConflictError as exc:  # not eligible: already running (another guard), too old
            out.append(Outcome(RERUN, "skipped", f"held run {h.run_id}: {exc}", run.html_url, True, key, run=run))
            continue
        except HealingGuardError as exc:
            out.append(Outcome(RERUN, "failed", f"held run {h.run_id}: {exc}", run.html_url, True, key, run=run))
            continue
        out.append(Outcome(RERUN, "done", f"re-ran {what}", run.html_url, True, key, run=run))
    return out
