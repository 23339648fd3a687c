"""Carry out a plan through the provider, one step at a time.

One failing step never stops the others: each outcome (done, failed, skipped) is recorded and
the report shows it. In a dry run no request that changes anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .config import GuardConfig
from .errors import GitHubConflictError, GitHubError
from .fixes import propose
from .markers import comment_marker, issue_marker, occurrences_in, read_state
from .planner import PlannedStep
from .provider import Provider, RunInfo
from .render import jinja_env
from .results import GuardResult, JobResult, Outcome
from .sanitize import Redactor, truncate

MAX_BODY = 60000  # GitHub refuses bodies over 65,536 characters

__all__ = ["Executor", "issue_marker", "occurrences_in"]  # the markers live in markers.py


@dataclass
class Executor:
    provider: Provider
    config: GuardConfig
    result: GuardResult
    pull_request: int | None
    redact: Redactor
    sleep: Callable[[float], None]
    dry_run: bool
    #: escalation issues the guard already looked up, by signature (None: there is none)
    issues: Mapping[str, tuple[int, str] | None] = field(default_factory=dict)

    @property
    def run(self) -> RunInfo:
        assert self.result.run is not None
        return self.result.run

    def execute(self, steps: list[PlannedStep]) -> None:
        for step in steps:
            if self.dry_run:
                self._record(step.action, "planned", self._describe(step))
                continue
            try:
                handler = getattr(self, "_" + step.action.replace("-", "_"))
                handler(step)
            except GitHubConflictError as exc:
                self._record(step.action, "skipped", f"not eligible now: {exc}")
            except GitHubError as exc:
                self._record(step.action, "failed", str(exc))
                self.result.errors.append(str(exc))

    def _record(self, action: str, status: str, detail: str, url: str = "") -> None:
        self.result.outcomes.append(Outcome(action, status, self.redact(detail), url))

    def _job(self, job_id: int) -> JobResult:
        return next(r for r in self.result.results if r.job is not None and r.job.id == job_id)

    def _describe(self, step: PlannedStep) -> str:
        names = ", ".join(self._job(j).name for j in step.jobs) if step.jobs else ""
        delay = f" after {step.delay_seconds:.0f} s" if step.delay_seconds else ""
        return f"{names + ': ' if names else ''}{step.reason}{delay}"

    def _cache_ref(self) -> str:
        if self.run.event.startswith("pull_request") and self.pull_request is not None:
            return f"refs/pull/{self.pull_request}/merge"
        return f"refs/heads/{self.run.head_branch}"

    # -- handlers ------------------------------------------------------------------------------

    def _clear_cache(self, step: PlannedStep) -> None:
        """Delete the corrupt cache on the run's ref; a key restored from another ref (the base
        branch of a pull request, say) is deleted there too, unless that ref is protected."""
        ref = self._cache_ref()
        keys: list[str] = []
        for job_id in step.jobs:
            key = self._job(job_id).diagnosis.params.get("key")
            if isinstance(key, str) and key and key not in keys:
                keys.append(key)
        if not keys:
            keys = sorted({c.key for c in self.provider.list_caches(ref=ref)})
            self._record("clear-cache", "done", self._delete(keys, [ref]))
            return
        notes: list[str] = []
        for key in keys:
            elsewhere = {c.ref for c in self.provider.list_caches(key=key) if c.key == key and c.ref != ref}
            refs = [ref, *sorted(elsewhere)]
            allowed = [r for r in refs if r == ref or not self.config.is_protected(r)]
            kept = [r for r in refs if r not in allowed]
            notes.append(self._delete([key], allowed))
            if kept:
                notes.append(f"left {key} on protected {', '.join(kept)}")
        self._record("clear-cache", "done", "; ".join(notes))

    def _delete(self, keys: list[str], refs: list[str]) -> str:
        deleted = sum(self.provider.delete_cache(k, r) for k in keys for r in refs)
        return f"deleted {deleted} cache(s) for {', '.join(keys) or 'no key'} on {', '.join(refs)}"

    def _rerun_failed_jobs(self, step: PlannedStep) -> None:
        if step.delay_seconds:
            self.sleep(step.delay_seconds)
        self.provider.rerun_failed_jobs(self.run.id)
        self._record("rerun", "done", f"re-ran the failed jobs of run {self.run.id} ({step.reason})", self.run.html_url)

    def _rerun_job(self, step: PlannedStep) -> None:
        if step.delay_seconds:
            self.sleep(step.delay_seconds)
        job = self._job(step.jobs[0])
        self.provider.rerun_job(step.jobs[0])
        self._record("rerun", "done", f"re-ran job {job.name}", job.url)

    def _fix_pr(self, step: PlannedStep) -> None:
        r = self._job(step.jobs[0])
        base = self.run.head_branch
        change = propose(r.diagnosis, lambda path: self.provider.get_file(path, base))
        if isinstance(change, str):
            self._record("fix-pr", "skipped", change)
            return
        body = self._render("fix_pr.md.j2", r=r, change=change, marker=issue_marker(r.diagnosis.signature))
        posted = self.provider.open_fix_pull_request(
            base=base,
            branch=f"healing-guard/fix-{r.diagnosis.signature}",
            path=change.path,
            content=change.content,
            sha=change.sha,
            message=f"fix(ci): {change.summary}\n\nProposed by Self-Healing Pipeline Guard for run {self.run.id}.",
            title=f"fix(ci): {change.summary}",
            body=body,
        )
        self._record(
            "fix-pr",
            "done",
            f"{'opened' if posted.created else 'already open'}: #{posted.number} {change.summary}",
            posted.html_url,
        )

    def _comment(self, step: PlannedStep) -> None:
        assert self.pull_request is not None
        marker = comment_marker(self.run.workflow_id, self.run.name)
        body = self._render("comment.md.j2", marker=marker)
        posted = self.provider.upsert_comment(self.pull_request, marker, body)
        verb = "posted" if posted.created else "updated"
        self._record("comment", "done", f"{verb} the diagnosis on pull request #{self.pull_request}", posted.html_url)

    def _escalate(self, step: PlannedStep) -> None:
        r = self._job(step.jobs[0])
        marker = issue_marker(step.signature)
        labels = self.config.escalation.labels
        count = 0

        def render(previous: str | None) -> str:
            nonlocal count
            state = read_state(previous).add(self.run.id, self.run.attempt)
            count = state.occurrences
            return self._render(
                "issue.md.j2",
                r=r,
                marker=marker,
                state=state.comment(),
                occurrences=state.occurrences,
                runs=state.run_links(self.run.html_url),
            )

        title = f"CI failure: {r.diagnosis.category} in {r.name} ({r.diagnosis.strategy})"
        posted = self.provider.save_issue(marker, title[:250], render, labels, self.config.escalation.assignees)
        verb = "opened" if posted.created else "updated"
        self._record("escalate", "done", f"{verb} issue #{posted.number} (seen {count} times)", posted.html_url)

    def _render(self, template: str, **context: object) -> str:
        text = jinja_env().get_template(template).render(res=self.result, **context)
        return truncate(self.redact(text), MAX_BODY)
