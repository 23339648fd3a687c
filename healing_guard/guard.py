"""``PipelineGuard``: diagnose a failed run (or log files), plan, heal, and return what happened.

The engine works on dataclasses and a ``Provider``; it never reads the environment (that is the
edge's job, ``action.py``) and never prints (that is ``report.py``'s).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .classify import Classifier
from .config import GuardConfig, LoadedConfig, load_config
from .errors import HealingGuardError, SettingsError
from .executor import Executor
from .history.github_trail import GitHubTrail
from .history.memory import Memory
from .history.recorder import held_run_record
from .history.records import ReadResult, shard_name
from .history.recovery import HELD, PROBE_QUIET, held_runs, hold_key, probes, recover
from .history.remember import months_to_read, remember
from .history.store import Trail
from .logsource import LogInput, expand
from .markers import issue_marker, occurrences_before
from .models import Diagnosis, Remediation
from .notify import Integrations
from .planner import plan_run
from .provider import JobInfo, Provider, RunInfo
from .results import Decision, GuardResult, JobResult, ResultBuilder
from .sanitize import Redactor
from .settings import Settings
from .signature import signature

FAILED = ("failure", "timed_out")


def restrict(catalogue: Catalogue, strategy: str) -> Catalogue:
    """The catalogue the ``strategy`` input asks for: all of it, or one strategy and the catch-alls."""
    if strategy in ("", "auto-detect", "auto"):
        return catalogue
    try:
        chosen = catalogue.get(strategy)
    except HealingGuardError as exc:
        raise SettingsError(f"input 'strategy': {exc}") from None
    keep = [s for s in catalogue.strategies if s.id == chosen.id or s.is_generic]
    return Catalogue(keep, dict(catalogue.retired))


class PipelineGuard:
    """The whole loop for one failed run, or for log files."""

    def __init__(
        self,
        settings: Settings,
        *,
        provider: Provider | None = None,
        loaded: LoadedConfig | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redactor: Redactor | None = None,
        trail: Trail | None = None,
    ) -> None:
        self.settings = settings
        self.loaded = loaded or load_config(settings.config_path, catalogue=load_catalogue())
        self.config: GuardConfig = self.loaded.config
        self.classifier = Classifier(restrict(self.loaded.catalogue, settings.strategy))
        self._provider = provider
        self.sleep = sleep
        self.redact = redactor or Redactor([settings.token])
        self.dry_run = settings.dry_run or self.config.dry_run
        self.max_retries = min(settings.max_retries, self.config.retry.max_retries)
        self._integrations: Integrations | None = None
        self.trail = trail
        #: the trail shards a passing run read for recovery, reused by ``remember`` (one read per run)
        self._known: ReadResult | None = None

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            from .github_api import GitHubClient

            self._provider = GitHubClient(self.settings.token, self.settings.repository, api_url=self.settings.api_url)
        return self._provider

    def run(self) -> GuardResult:
        if self.settings.mode == "approve":  # issue 10: /heal approve, /heal reject
            from .approvals import approve

            return approve(self)
        if self.settings.mode == "logs":
            return self.diagnose_logs(self.settings.log_paths)
        if self.settings.mode == "recover":
            return self.probe_held()
        return self.heal_run()

    # -- in-job step: diagnose files the job wrote ---------------------------------------------

    def diagnose_logs(self, paths: tuple[str, ...]) -> GuardResult:
        out = ResultBuilder("logs", dry_run=self.dry_run)
        for path in paths:
            full = path if Path(path).is_absolute() or path == "-" else str(self.settings.workspace / path)
            try:
                sources = expand(full)
            except HealingGuardError as exc:
                out.error(str(exc))
                continue
            for source in sources:
                out.add_job(self._diagnose(out, source, name=source.job or path))
        out.note(
            "in-job step: the guard diagnoses and reports; it cannot re-run the job it is running in "
            "(use the workflow_run healer workflow for that)"
        )
        return out.build()

    def _diagnose(self, out: ResultBuilder, source: LogInput, *, name: str, job: JobInfo | None = None) -> JobResult:
        """One log's diagnosis; whatever goes wrong while reading it is that log's error."""
        notes: tuple[str, ...] = ()
        try:
            diagnosis = self.classifier.diagnose(source)
        except HealingGuardError as exc:
            out.error(f"{name}: {exc}")
            diagnosis = _unreadable(str(exc))
        except Exception as exc:  # a hostile log must not stop the other jobs
            out.error(f"{name}: the log could not be diagnosed ({_describe(exc)})")
            diagnosis = _unreadable(_describe(exc))
            notes = ("the guard failed while reading this log; the diagnosis is unknown",)
        diagnosis = replace(diagnosis, source=name)
        if job is not None and diagnosis.failed_step is None and job.failed_step:
            diagnosis = replace(diagnosis, failed_step=job.failed_step)
        return JobResult(name=name, diagnosis=diagnosis, job=job, url=job.html_url if job else "", notes=notes)

    # -- healer workflow: a failed run through the API ----------------------------------------

    def heal_run(self) -> GuardResult:
        """Diagnose, plan and heal one failed run attempt.

        Once the run is known, nothing is raised: an error is recorded where it happened (one job,
        one remediation) and the rest goes on, so the result always says what was done."""
        out = ResultBuilder("run", dry_run=self.dry_run)
        run_id = self.settings.run_id
        if run_id is None:
            raise SettingsError("no run to heal: give 'run-id', or run the guard on a workflow_run event")
        started = time.monotonic()
        run = self.provider.get_run(run_id)
        if not run.repository:  # the repository being healed, for the fork gate
            run = replace(run, repository=self.settings.repository)
        out.set_run(run)
        try:
            self._heal(out, run)
        except Exception as exc:  # recorded with whatever was done before it
            out.error(_describe(exc))
        self.remember(out, run, started)
        return out.build()

    # -- memory (issue 9): the audit trail on the repository's state branch -------------------

    def remember(self, out: ResultBuilder, run: RunInfo, started: float) -> None:
        """Write what this run did to the trail and close earlier attempts' outcomes (never in a
        dry run); a trail that cannot be written is a note, the healing stands."""
        if self.dry_run or not self.config.history.enabled:
            return
        handled = out.build()
        notes = remember(
            self.provider,
            self.config.history,
            handled,
            repository=self.settings.repository,
            redactor=self.redact,
            guard_seconds=round(time.monotonic() - started, 3),
            close=handled.run is not None and handled.run.attempt == run.attempt,
            known=self._known,
        )
        out.note(*notes)

    # -- issue 10: approved plans, integrations, incidents resolved on green ----------------------

    @property
    def integrations(self) -> Integrations:
        if self._integrations is None:
            self._integrations = Integrations(
                self.config.notifications,
                self.config.incidents,
                self.settings.environment,
                redact=self.redact,
            )
        return self._integrations

    def heal_approved(self, out: ResultBuilder, run: RunInfo, attempt: int, keys: frozenset[str]) -> None:
        """Carry out an approved plan: attempt ``attempt`` of ``run`` diagnosed and planned again
        with the approval gate passed; only the steps whose keys are in ``keys`` are carried out."""
        self._heal(out, run, approved=keys, attempt=attempt)

    def _resolve_incidents(self, out: ResultBuilder, run: RunInfo) -> None:
        if run.conclusion == "success" and self.config.incidents.pagerduty is not None and not self.dry_run:
            from .alerts import resolve_incidents

            resolve_incidents(self.provider, self.integrations, run, self.config.escalation.labels, out)

    # -------------------------------------------------------------------------------------------

    def _heal(
        self, out: ResultBuilder, run: RunInfo, approved: frozenset[str] | None = None, attempt: int | None = None
    ) -> None:
        attempt = attempt or self.settings.run_attempt or run.attempt
        if run.id == self.settings.own_run_id and self.settings.event_name != "workflow_run":
            out.note(
                "the guard is running inside the run it was asked to heal; a run cannot re-run itself. "
                "Use log-path in this job, or the workflow_run healer workflow"
            )
            return
        if run.status != "completed" and run.attempt == attempt:
            out.note(f"run {run.id} is still {run.status}: nothing to heal until it completes")
            return
        if run.attempt == attempt and run.conclusion not in FAILED:
            why = "cancelled (by a person or a concurrency group)" if run.conclusion == "cancelled" else run.conclusion
            out.note(f"run {run.id} attempt {run.attempt} concluded {why}: nothing to heal")
            self._resolve_incidents(out, run)
            self._recover(out, run)
            return
        already = run.attempt != attempt or run.status != "completed"
        if already:
            run = replace(run, attempt=attempt)
            out.set_run(run)
        jobs = self.provider.list_jobs(run.id, attempt)
        failed = [j for j in jobs if j.conclusion in FAILED]
        if not failed:
            out.note(f"attempt {attempt} of run {run.id} has no failed job")
            return
        with tempfile.TemporaryDirectory(prefix="healing-guard-") as tmp:
            for job in failed:
                out.add_job(self._diagnose_job(out, job, Path(tmp)))
        diagnosed = out.build().results
        pull = self._pull_request(out, run)
        issues = self._escalation_issues(out, diagnosed)
        occurrences = {
            sig: occurrences_before(found[1], run.id, attempt) if found else 0 for sig, found in issues.items()
        }
        plan = plan_run(
            run,
            [(r.job, r.diagnosis) for r in diagnosed if r.job is not None],
            config=self.config,
            max_retries=self.max_retries,
            pull_request=pull,
            occurrences=occurrences,
            already_handled=already,
            approved=approved is not None,
            memory=self._memory(out),
        )
        out.decide(list(plan.decisions))
        for d in plan.decisions:
            if d.held:  # the recovery re-runs it once the workflow passes again (history/recovery.py)
                out.decision(Decision(HELD, d.reason, key=hold_key(run.id, attempt, d.job.id)))
        out.note(*plan.notes)
        if plan.quarantine:
            out.quarantine(plan.quarantine)
        steps = plan.steps if approved is None else tuple(s for s in plan.steps if s.key in approved)
        executor = Executor(
            self.provider, self.config, run, out, pull, self.redact, self.sleep, self.dry_run, self.integrations
        )
        executor.execute(steps)

    # -- memory (issue 9): runs the mass-failure brake held, re-run once the workflow passes ----

    def _recover(self, out: ResultBuilder, run: RunInfo) -> None:
        """On a passing run: re-run the failed jobs of the runs of its workflow the brake held."""
        policy = self.config.memory
        if not self.config.history.enabled or not policy.recovers or run.conclusion != "success":
            return
        now = self.now()
        try:
            known = self._read_recent(run, now)
        except Exception as exc:  # the passing run needs nothing else; say what was not done
            out.note(
                f"the trail could not be read, so no run held by the mass-failure brake was re-run ({_describe(exc)})"
            )
            return
        held = held_runs(known.records, run, repository=self.settings.repository, now=now, policy=policy)
        why = f"run {run.id} of {run.name} passed after the mass failure"
        for outcome in recover(self.provider, held, why=why, dry_run=self.dry_run, green=run):
            out.outcome(outcome)

    def probe_held(self) -> GuardResult:
        """``mode: recover`` (a scheduled workflow): when an outage has gone quiet and no run of a
        workflow passed to release its held runs, re-run the newest one as a probe."""
        out = ResultBuilder("recover", dry_run=self.dry_run)
        policy, history = self.config.memory, self.config.history
        if not history.enabled or not policy.recovers:
            out.note("recovery is off (history.enabled, memory.brake.recover_within_hours): nothing to probe")
            return out.build()
        now = self.now()
        trail = self.trail or GitHubTrail(self.provider, branch=history.branch, retention_days=history.retention_days)
        try:
            read = trail.read(since=now - timedelta(hours=policy.recover_within_hours))
        except Exception as exc:  # nothing was done; say why
            out.error(f"the trail could not be read, so no held run was probed ({_describe(exc)})")
            return out.build()
        found = probes(read.records, repository=self.settings.repository, now=now, policy=policy)
        if found:
            shown = ", ".join(f"run {h.run_id} of {h.workflow}" for h in found)
            out.note(f"recovery probe: the newest held run of each quiet workflow is re-run ({shown})")
        else:
            out.note(
                f"no held run to probe: none in the last {policy.recover_within_hours:g} h, or its workflow had a "
                f"hold or a recovery re-run in the last {int(PROBE_QUIET.total_seconds() // 60)} minutes"
            )
        why = "a probe: its workflow has been quiet since the mass failure, and a pass releases the other held runs"
        outcomes = recover(self.provider, found, why=why, dry_run=self.dry_run)
        for outcome in outcomes:
            out.outcome(outcome)
        records = [held_run_record(o, self.settings.repository, self.redact) for o in outcomes if o.run]
        if records and not self.dry_run:
            try:
                trail.append(records)
            except Exception as exc:  # the re-runs stand; a later probe may try them again
                out.note(f"audit trail: the probe's {len(records)} record(s) could not be written ({_describe(exc)})")
        return out.build()

    def _read_recent(self, run: RunInfo, now: datetime) -> ReadResult:
        """The trail's records a passing run needs: the shards of the recovery window and of the run's
        earlier attempts. From the repository's trail they are kept for ``remember``, which then
        reads nothing again."""
        window = now - timedelta(hours=self.config.memory.recover_within_hours)
        moments = [window, *months_to_read(run, now)]
        if self.trail is not None:
            return self.trail.read(since=min(moments))
        trail = GitHubTrail(
            self.provider, branch=self.config.history.branch, retention_days=self.config.history.retention_days
        )
        known = ReadResult()
        for moment in sorted({shard_name(m): m for m in moments}.values()):  # one read per month's shard
            known.extend(trail.read_month(moment))
        self._known = known
        return known

    # -- memory (issue 9): what the trail says, read once per run ------------------------------

    def _memory(self, out: ResultBuilder) -> Memory | None:
        """The memory of the trail, or None (no trail; or it could not be read: a note, and the guard
        plans as without one)."""
        trail = self.trail
        if trail is None and self.config.history.enabled:  # the repository's own trail
            history = self.config.history
            trail = GitHubTrail(self.provider, branch=history.branch, retention_days=history.retention_days)
        if trail is None:
            return None
        now = self.now()
        try:
            read = trail.read(since=now - timedelta(days=self.config.history.retention_days))
        except Exception as exc:  # the healing goes on without history
            out.note(f"the trail could not be read, so the guard planned without its memory ({_describe(exc)})")
            return None
        if read.corrupt:
            out.note(f"the trail has {read.corrupt} corrupt record(s), skipped: {'; '.join(read.warnings[:3])}")
        if self.trail is None:  # the repository's trail, read whole since the retention: remember reads no more
            self._known = ReadResult(records=list(read.records))
        return Memory.from_records(read.records, now=now, settings=self.config.memory)

    @staticmethod
    def now() -> datetime:
        return datetime.now(timezone.utc)

    # -- end of memory -------------------------------------------------------------------------

    def _diagnose_job(self, out: ResultBuilder, job: JobInfo, tmp: Path) -> JobResult:
        try:
            path = self.provider.download_job_log(job.id, tmp / f"job-{job.id}.log")
            source = expand(str(path))[0]
        except Exception as exc:  # this job's log is unknown; the other jobs go on
            out.error(f"{job.name}: {_describe(exc)}")
            return JobResult(
                name=job.name,
                diagnosis=_unreadable(_describe(exc)),
                job=job,
                url=job.html_url,
                notes=("the log could not be downloaded; the diagnosis is unknown",),
            )
        return self._diagnose(out, source, name=job.name, job=job)

    def _pull_request(self, out: ResultBuilder, run: RunInfo) -> int | None:
        try:
            return self.provider.find_pull_request(run)
        except Exception as exc:  # no comment then; the rest goes on
            out.error(_describe(exc))
            return None

    def _escalation_issues(self, out: ResultBuilder, results: Sequence[JobResult]) -> dict[str, tuple[int, str] | None]:
        """The open escalation issue of each failure signature (its body keeps the count), looked up
        once: the planner reads the counts, the executor updates the issues."""
        found: dict[str, tuple[int, str] | None] = {}
        for r in results:
            sig = r.diagnosis.signature
            if sig in found or (r.diagnosis.category == "unknown" and not r.diagnosis.evidence):
                continue
            try:
                found[sig] = self.provider.find_issue(issue_marker(sig), self.config.escalation.labels)
            except Exception as exc:  # the count starts again; the rest goes on
                out.error(_describe(exc))
        return found


def _describe(exc: Exception) -> str:
    """An error as the report shows it: the guard's own errors as they are, anything else (a bug, a
    malformed answer) with its type, bounded."""
    text = str(exc) if isinstance(exc, HealingGuardError) else f"internal error: {type(exc).__name__}: {exc}"
    return text if len(text) <= 2000 else text[:2000] + "…"


def _unreadable(reason: str) -> Diagnosis:
    return Diagnosis(
        category="unknown",
        confidence=0.0,
        risk="high",
        strategy="unknown",
        params={},
        evidence=(),
        failed_step=None,
        signature=signature("unreadable", "", {}),
        remediation=Remediation("escalate", f"The log could not be read ({reason}); a person should look at the job."),
    )
