"""After the guard has handled a completed run: close what earlier attempts left open, and write
what this one did, to the repository's trail. Never raises: a trail that cannot be read or written
becomes a note in the summary, and the healing stands.

What it costs: a run the guard never touched and that fixes nothing reads one shard (one request);
records are written in one append (about eight requests, more when racing another guard).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from ..config import HistoryPolicy
from ..provider import Provider, RunInfo
from ..results import GuardResult
from .github_trail import GitHubTrail
from .outcomes import failures_fixed, fix_records, outcome_records
from .recorder import Redact, decision_records, failure_records
from .records import ReadResult, TrailRecord, parse_time, shard_name


class _Skip(Exception):
    """Nothing to close."""


def _describe(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 500 else text[:500] + "…"


def months_to_read(run: RunInfo, now: datetime) -> list[datetime]:
    """The months whose shards can hold this run's earlier attempts: from its creation to now."""
    moments = [now]
    if run.created_at:
        try:
            created = parse_time(run.created_at)
        except ValueError:
            return moments
        if shard_name(created) != shard_name(now) and created < now:
            moments.insert(0, created)
    return moments


def remember(
    provider: Provider,
    policy: HistoryPolicy,
    result: GuardResult,
    *,
    repository: str,
    redactor: Redact,
    guard_seconds: float | None = None,
    trail: GitHubTrail | None = None,
    close: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    known: ReadResult | None = None,
) -> list[str]:
    """Write this run's records; returns the notes for the summary (empty when all went well quietly).

    ``close`` is False when the guard handled an attempt that is not the run's latest: what it knows
    of the run then is the latest attempt's, so no outcome or fix is derived from it. ``known``: the
    shards already read for this run (they cover ``months_to_read``), so they are not read again."""
    run = result.run
    if run is None or run.status != "completed" or not policy.enabled:
        return []
    trail = trail or GitHubTrail(provider, branch=policy.branch, retention_days=policy.retention_days)
    notes: list[str] = []
    records: list[TrailRecord] = []
    try:
        if not close:
            raise _Skip
        if known is None:
            known = ReadResult()
            for moment in months_to_read(run, now()):
                known.extend(trail.read_month(moment))
        if known.corrupt:
            notes.append(
                f"audit trail: {known.corrupt} corrupt line(s) skipped while reading it "
                f"({'; '.join(known.warnings[:3])})"
            )
        elif known.warnings:
            notes.append("audit trail: " + "; ".join(known.warnings[:3]))
        records += outcome_records(
            run,
            known.records,
            lambda: provider.list_jobs(run.id, run.attempt),
            repository=repository,
            redactor=redactor,
        )
        records += fix_records(
            run,
            failures_fixed(run, known.records),
            provider.compare,
            provider.identity,
            repository=repository,
            redactor=redactor,
        )
    except _Skip:
        pass
    except Exception as exc:  # the memory must never cost the healing
        notes.append(
            f"audit trail: it could not be read ({_describe(exc)}); outcomes of earlier attempts and learned "
            "fixes were not recorded this time"
        )
    records += failure_records(result, repository=repository, redactor=redactor, guard_seconds=guard_seconds)
    records += decision_records(result, repository=repository, redactor=redactor)
    if records:
        try:
            trail.append(records)
            notes.extend(_closed(records))
        except Exception as exc:  # the healing above stands; say what was lost
            notes.append(
                f"audit trail: {len(records)} record(s) could not be written to branch {policy.branch} "
                f"({_describe(exc)}). The healing above was done; the trail misses this run. The job needs "
                "`permissions: contents: write` for the trail"
            )
    notes.extend(f"audit trail: {n}" for n in trail.notes)
    return [redactor(n) for n in notes]


def _closed(records: list[TrailRecord]) -> list[str]:
    """What the outcomes and fixes just written say, in a line each."""
    out = []
    for r in records:
        if r.kind == "outcome":
            ttg = (
                f", {r.time_to_green_s:.0f} s from the first failure to green" if r.time_to_green_s is not None else ""
            )
            out.append(
                f"audit trail: {r.job}: attempt {r.attempt} concluded {r.conclusion} after the guard's "
                f"{r.action or 'diagnosis'} of attempt {r.previous_attempt}: {r.result}{ttg}"
            )
        elif r.kind == "fix":
            shown = ", ".join(r.files[:5]) + (" …" if len(r.files) > 5 else "")
            out.append(
                f"audit trail: learned fix: {r.fix_sha[:12]} turned {r.workflow} green on {r.branch} after failures "
                f"with signature {r.signature}" + (f" (changed {shown})" if shown else "")
            )
    return out
