"""``history backfill``: the trail of the past, read from the Actions API, so that a new installation
does not start from nothing.

For every completed run created in the last ``days`` days (at most ``limit`` runs, newest first):

- a ``failure`` record for each failed job of each attempt (run, attempt, job, workflow, branch,
  commit, job duration). The logs of at most ``diagnose`` such jobs are downloaded and diagnosed
  (signature, category, strategy, root line, failing tests), newest first; the others are recorded
  without a diagnosis. ``action`` is empty: what was done then is unknown;
- an ``outcome`` record for each attempt after a failed one: its conclusion, the failing tests of
  the attempt before, the first failure's time and the time to green. Who started the attempt
  decides its ``result``: a bot (its ``triggering_actor`` ends in ``[bot]``; a re-run requested
  with a workflow's ``GITHUB_TOKEN``, as the guard's are, shows ``github-actions[bot]``) made it an
  automatic re-run, ``healed``/``not_healed`` with action ``rerun`` (healed without a person,
  whichever automation it was); a person's re-run is ``passed``/``failed``. The detail names who.

Keys are those the guard itself writes, so records the guard wrote live win and running the
backfill twice adds nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..classify import Classifier
from ..errors import HealingGuardError
from ..logsource import expand
from ..provider import JobInfo, Provider, RunInfo
from .recorder import Redact, run_fields, run_time
from .records import TrailRecord, make_record, parse_time

FAILED = ("failure", "timed_out")
DETAIL = "backfilled from the Actions API"


@dataclass
class Backfill:
    records: list[TrailRecord] = field(default_factory=list)
    runs: int = 0
    attempts: int = 0
    diagnosed: int = 0
    notes: list[str] = field(default_factory=list)


def _seconds(start: str, end: str) -> float | None:
    try:
        return max(0.0, (parse_time(end) - parse_time(start)).total_seconds())
    except ValueError:
        return None


def backfill(
    provider: Provider,
    *,
    repository: str,
    days: int,
    limit: int,
    diagnose: int,
    redactor: Redact,
    classifier: Classifier | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Backfill:
    since = (now() - timedelta(days=days)).date().isoformat()
    out = Backfill()
    budget = [diagnose]
    runs = provider.list_runs(created_since=since, limit=limit)
    with tempfile.TemporaryDirectory(prefix="healing-guard-backfill-") as tmp:
        for run in runs:
            if run.status != "completed":
                continue
            out.runs += 1
            try:
                _one_run(provider, run, Path(tmp), out, budget, repository, redactor, classifier)
            except HealingGuardError as exc:  # this run is skipped; the others go on
                out.notes.append(f"run {run.id}: {exc}")
    return out


def _one_run(
    provider: Provider,
    run: RunInfo,
    tmp: Path,
    out: Backfill,
    budget: list[int],
    repository: str,
    redactor: Redact,
    classifier: Classifier | None,
) -> None:
    attempts = [run if n == run.attempt else provider.get_run_attempt(run.id, n) for n in range(1, run.attempt + 1)]
    failures: dict[int, list[TrailRecord]] = {}
    for attempt in attempts:
        out.attempts += 1
        if attempt.conclusion not in FAILED:
            continue
        jobs = [j for j in provider.list_jobs(run.id, attempt.attempt) if j.conclusion in FAILED]
        failures[attempt.attempt] = [
            _failure(provider, attempt, job, tmp, out, budget, repository, redactor, classifier) for job in jobs
        ]
        out.records.extend(failures[attempt.attempt])
    first = next((a for a in attempts if a.attempt in failures), None)
    for attempt in attempts[1:]:
        before = failures.get(attempt.attempt - 1)
        if not before or first is None or attempt.conclusion is None:
            continue
        green = attempt.conclusion == "success"
        by = attempt.triggering_actor
        automatic = by.endswith("[bot]")
        if automatic:
            result, action = ("healed" if green else "not_healed"), "rerun"
        else:
            result, action = ("passed" if green else "failed"), ""
        detail = f"{DETAIL}; attempt {attempt.attempt} started by {by}" if by else DETAIL
        for r in before:
            ttg = _seconds(run_time(first), run_time(attempt)) if green else None
            out.records.append(
                make_record(
                    "outcome",
                    redactor=redactor,
                    at=run_time(attempt),
                    **run_fields(attempt, repository),
                    job_id=r.job_id,
                    job=r.job,
                    signature=r.signature,
                    category=r.category,
                    strategy=r.strategy,
                    result=result,
                    action=action,
                    detail=detail,
                    conclusion=attempt.conclusion,
                    previous_attempt=attempt.attempt - 1,
                    failing_tests=r.failing_tests,
                    first_failure_at=run_time(first),
                    time_to_green_s=ttg,
                )
            )


def _failure(
    provider: Provider,
    run: RunInfo,
    job: JobInfo,
    tmp: Path,
    out: Backfill,
    budget: list[int],
    repository: str,
    redactor: Redact,
    classifier: Classifier | None,
) -> TrailRecord:
    found: dict[str, object] = {}
    if classifier is not None and budget[0] > 0:
        budget[0] -= 1
        try:
            path = provider.download_job_log(job.id, tmp / f"job-{job.id}.log")
            d = classifier.diagnose(expand(str(path))[0])
            out.diagnosed += 1
            tests = d.params.get("tests") or getattr(d, "failing_tests", ()) or ()
            found = {
                "signature": d.signature,
                "category": d.category,
                "strategy": d.strategy,
                "confidence": round(float(d.confidence), 3),
                "risk": str(d.risk),
                "root_line": d.root_line.text if d.root_line else "",
                "failing_tests": tuple(tests) if isinstance(tests, (list, tuple)) else (),
            }
        except HealingGuardError as exc:
            out.notes.append(f"job {job.name} of run {run.id}: the log could not be diagnosed ({exc})")
    return make_record(
        "failure",
        redactor=redactor,
        at=run_time(run),
        **run_fields(run, repository),
        job_id=job.id,
        job=job.name,
        detail=DETAIL,
        job_duration_s=_seconds(job.started_at, job.completed_at) if job.started_at and job.completed_at else None,
        **found,
    )
