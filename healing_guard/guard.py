"""``PipelineGuard``: diagnose a failed run (or log files), plan, heal, and return what happened.

The engine works on dataclasses and a ``Provider``; it never reads the environment (that is the
edge's job, ``action.py``) and never prints (that is ``report.py``'s).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .catalogue import Catalogue, load_catalogue
from .classify import Classifier
from .config import GuardConfig, LoadedConfig, load_config
from .errors import GitHubError, HealingGuardError, SettingsError
from .executor import Executor, issue_marker, occurrences_in
from .logsource import LogInput, expand
from .models import Diagnosis, Remediation
from .planner import plan_run
from .provider import JobInfo, Provider, RunInfo
from .results import GuardResult, JobResult
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

    @property
    def provider(self) -> Provider:
        if self._provider is None:
            from .github_api import GitHubClient

            self._provider = GitHubClient(self.settings.token, self.settings.repository, api_url=self.settings.api_url)
        return self._provider

    def run(self) -> GuardResult:
        if self.settings.mode == "logs":
            return self.diagnose_logs(self.settings.log_paths)
        return self.heal_run()

    # -- in-job step: diagnose files the job wrote ---------------------------------------------

    def diagnose_logs(self, paths: tuple[str, ...]) -> GuardResult:
        result = GuardResult(mode="logs", dry_run=self.dry_run)
        for path in paths:
            full = path if Path(path).is_absolute() or path == "-" else str(self.settings.workspace / path)
            try:
                sources = expand(full)
            except HealingGuardError as exc:
                result.errors.append(str(exc))
                continue
            for source in sources:
                self._diagnose_into(result, source, name=source.job or path)
        result.notes.append(
            "in-job step: the guard diagnoses and reports; it cannot re-run the job it is running in "
            "(use the workflow_run healer workflow for that)"
        )
        return result

    def _diagnose_into(self, result: GuardResult, source: LogInput, *, name: str, job: JobInfo | None = None) -> None:
        try:
            diagnosis = self.classifier.diagnose(source)
        except HealingGuardError as exc:
            result.errors.append(str(exc))
            diagnosis = _unreadable(str(exc))
        diagnosis = replace(diagnosis, source=name)
        result.results.append(JobResult(name=name, diagnosis=diagnosis, job=job, url=job.html_url if job else ""))

    # -- healer workflow: a failed run through the API ----------------------------------------

    def heal_run(self) -> GuardResult:
        result = GuardResult(mode="run", dry_run=self.dry_run)
        run_id = self.settings.run_id
        if run_id is None:
            raise SettingsError("no run to heal: give 'run-id', or run the guard on a workflow_run event")
        run = self.provider.get_run(run_id)
        result.run = run
        attempt = self.settings.run_attempt or run.attempt
        if run_id == self.settings.own_run_id and self.settings.event_name != "workflow_run":
            result.notes.append(
                "the guard is running inside the run it was asked to heal; a run cannot re-run itself. "
                "Use log-path in this job, or the workflow_run healer workflow"
            )
            return result
        if run.status != "completed" and run.attempt == attempt:
            result.notes.append(f"run {run.id} is still {run.status}: nothing to heal until it completes")
            return result
        if run.attempt == attempt and run.conclusion not in FAILED:
            why = "cancelled (by a person or a concurrency group)" if run.conclusion == "cancelled" else run.conclusion
            result.notes.append(f"run {run.id} attempt {run.attempt} concluded {why}: nothing to heal")
            return result
        already = run.attempt != attempt or run.status != "completed"
        if already:
            run = replace(run, attempt=attempt)
            result.run = run
        jobs = self.provider.list_jobs(run.id, attempt)
        failed = [j for j in jobs if j.conclusion in FAILED]
        if not failed:
            result.notes.append(f"attempt {attempt} of run {run.id} has no failed job")
            return result
        with tempfile.TemporaryDirectory(prefix="healing-guard-") as tmp:
            for job in failed:
                self._diagnose_job(result, job, Path(tmp))
        pull = self._pull_request(result, run)
        issues = self._escalation_issues(result)
        occurrences = {sig: occurrences_in(found[1]) if found else 0 for sig, found in issues.items()}
        plan = plan_run(
            run,
            [(r.job, r.diagnosis) for r in result.results if r.job is not None],
            config=self.config,
            max_retries=self.max_retries,
            pull_request=pull,
            occurrences=occurrences,
            already_handled=already,
        )
        result.plan = plan
        for d in plan.decisions:
            for r in result.results:
                if r.job is not None and r.job.id == d.job.id:
                    r.decision = d
        result.notes.extend(plan.notes)
        executor = Executor(self.provider, self.config, result, pull, self.redact, self.sleep, self.dry_run, issues)
        executor.execute(plan.steps)
        return result

    def _diagnose_job(self, result: GuardResult, job: JobInfo, tmp: Path) -> None:
        try:
            path = self.provider.download_job_log(job.id, tmp / f"job-{job.id}.log")
        except GitHubError as exc:
            result.errors.append(str(exc))
            r = JobResult(name=job.name, diagnosis=_unreadable(str(exc)), job=job, url=job.html_url)
            r.notes.append("the log could not be downloaded; the diagnosis is unknown")
            result.results.append(r)
            return
        self._diagnose_into(result, expand(str(path))[0], name=job.name, job=job)
        r = result.results[-1]
        if r.diagnosis.failed_step is None and job.failed_step:
            r.diagnosis = replace(r.diagnosis, failed_step=job.failed_step)

    def _pull_request(self, result: GuardResult, run: RunInfo) -> int | None:
        try:
            return self.provider.find_pull_request(run)
        except GitHubError as exc:
            result.errors.append(str(exc))
            return None

    def _escalation_issues(self, result: GuardResult) -> dict[str, tuple[int, str] | None]:
        """The open escalation issue of each failure signature (its body keeps the count), looked up
        once: the planner reads the counts, the executor updates the issues."""
        found: dict[str, tuple[int, str] | None] = {}
        for r in result.results:
            sig = r.diagnosis.signature
            if sig in found or (r.diagnosis.category == "unknown" and not r.diagnosis.evidence):
                continue
            try:
                found[sig] = self.provider.find_issue(issue_marker(sig), self.config.escalation.labels)
            except GitHubError as exc:
                result.errors.append(str(exc))
        return found

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
