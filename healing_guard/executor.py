"""Carry out a plan through the provider, one step at a time.

Each step is dispatched to the handler the registry (``remediations.py``) declares for its
remediation. One failing step never stops the others, whatever it raises: each outcome (done,
failed, skipped) goes to the result's one owner as soon as it is known, so the outputs and the
report say what was done even when a later step fails. In a dry run no request that changes
anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .config import GuardConfig
from .errors import GitHubConflictError, GitHubError
from .fixpr import APP_TOKEN_HOWTO, FixProposal, is_fix_branch, open_fix
from .markers import comment_marker, issue_marker, read_state
from .provider import Provider, RunInfo
from .recipes import WORKFLOWS_REFUSED, Dispatch, Repository, in_workflows, safe_path
from .render import jinja_env
from .results import Decision, JobResult, Outcome, ResultBuilder
from .sanitize import Redactor, clean, truncate

if TYPE_CHECKING:
    from .notify import Integrations
    from .remediations import PlannedStep

MAX_BODY = 60000  # GitHub refuses bodies over 65,536 characters


@dataclass
class Executor:
    provider: Provider
    config: GuardConfig
    run: RunInfo
    #: the result's one owner: outcomes and errors are handed to it, snapshots read from it
    results: ResultBuilder
    pull_request: int | None
    redact: Redactor
    sleep: Callable[[float], None]
    dry_run: bool
    #: issue 10: the notification channels and incident services (none configured: nothing is sent)
    integrations: Integrations | None = field(default=None)

    def execute(self, steps: Sequence[PlannedStep]) -> None:
        for step in steps:
            outcome = self._carry_out(step)
            self.results.outcome(outcome)
            if outcome.status == "done" and outcome.mutates:  # issue 10: every decision is recorded
                self.results.decision(Decision("acted", f"{outcome.action}: {outcome.detail}", key=outcome.key))

    def _carry_out(self, step: PlannedStep) -> Outcome:
        if self.dry_run:
            return self._outcome(step, "planned", self._describe(step))
        handler = step.remedy.handler
        if handler is None:
            return self._outcome(step, "skipped", "nothing to do")
        try:
            return handler(self, step)
        except GitHubConflictError as exc:
            return self._outcome(step, "skipped", f"not eligible now: {exc}")
        except GitHubError as exc:
            self.results.error(self.redact(str(exc)))
            return self._outcome(step, "failed", str(exc))
        except Exception as exc:  # a bug or a malformed answer: this step fails, the others go on
            message = f"{step.action} failed with an internal error: {type(exc).__name__}: {exc}"
            self.results.error(self.redact(message))
            return self._outcome(step, "failed", message)

    def _outcome(self, step: PlannedStep, status: str, detail: str, url: str = "") -> Outcome:
        return Outcome(
            step.action,
            status,
            self.redact(detail),
            url,
            mutates=step.remedy.mutates_repository,
            key=step.key,
            jobs=tuple(step.jobs),
        )

    def _job(self, job_id: int) -> JobResult:
        return next(r for r in self.results.build().results if r.job is not None and r.job.id == job_id)

    def _describe(self, step: PlannedStep) -> str:
        names = ", ".join(self._job(j).name for j in step.jobs) if step.jobs else ""
        delay = f" after {step.delay_seconds:.0f} s" if step.delay_seconds else ""
        return f"{names + ': ' if names else ''}{step.reason}{delay}"

    def _cache_ref(self) -> str:
        if self.run.event.startswith("pull_request") and self.pull_request is not None:
            return f"refs/pull/{self.pull_request}/merge"
        return f"refs/heads/{self.run.head_branch}"

    # -- handlers (the registry names them) ------------------------------------------------------

    def rerun(self, step: PlannedStep) -> Outcome:
        """Re-run every failed job of the run, or the one job of the step."""
        if step.delay_seconds:
            self.sleep(step.delay_seconds)
        if step.whole_run:
            self.provider.rerun_failed_jobs(self.run.id)
            return self._outcome(
                step, "done", f"re-ran the failed jobs of run {self.run.id} ({step.reason})", self.run.html_url
            )
        job = self._job(step.jobs[0])
        self.provider.rerun_job(step.jobs[0])
        return self._outcome(step, "done", f"re-ran job {job.name}", job.url)

    def clear_cache(self, step: PlannedStep) -> Outcome:
        """Delete the cache entries named in the log on the run's ref; a key restored from another
        ref (the base branch of a pull request, say) is deleted there too, unless that ref is
        protected. Without a key nothing is deleted."""
        ref = self._cache_ref()
        keys: list[str] = []
        for job_id in step.jobs:
            key = self._job(job_id).diagnosis.params.get("key")
            if isinstance(key, str) and key.strip() and key.strip() not in keys:
                keys.append(key.strip())
        if not keys:
            return self._outcome(step, "skipped", "the log names no cache key; no cache was deleted")
        notes: list[str] = []
        for key in keys:
            elsewhere = {c.ref for c in self.provider.list_caches(key=key) if c.key == key and c.ref != ref}
            refs = [ref, *sorted(elsewhere)]
            allowed = [r for r in refs if r == ref or not self.config.is_protected(r)]
            kept = [r for r in refs if r not in allowed]
            deleted = sum(self.provider.delete_cache(key, r) for r in allowed)
            notes.append(f"deleted {deleted} cache(s) for {key} on {', '.join(allowed)}")
            if kept:
                notes.append(f"left {key} on protected {', '.join(kept)}")
        return self._outcome(step, "done", "; ".join(notes))

    def fix_pr(self, step: PlannedStep) -> Outcome:
        """Open (or update) the pull request with the change the strategy's recipe proposes, or
        dispatch the fix workflow when the change needs the project's toolchain."""
        r = self._job(step.jobs[0])
        recipe = step.remedy.recipe(r.diagnosis) if step.remedy.recipe else None
        if recipe is None:
            return self._outcome(step, "skipped", f"no fix recipe for {r.diagnosis.strategy}")
        base = self.run.head_branch
        if is_fix_branch(base):
            return self._outcome(step, "skipped", f"{base} is the guard's own fix branch: a fix is not fixed again")
        repo = Repository(
            read=lambda path: self.provider.get_file(path, base),
            listdir=lambda path: self.provider.list_directory(path, base),
        )
        proposal = recipe.propose(r.diagnosis, repo, self.config.fixes)
        if isinstance(proposal, str):
            return self._outcome(step, "skipped", f"no pull request ({recipe.id}); advice instead: {proposal}")
        signature = r.diagnosis.signature
        if isinstance(proposal, Dispatch):
            workflow = self.config.fixes.workflow
            inputs = {
                "recipe": proposal.recipe,
                "sha": self.run.head_sha,
                "signature": signature,
                "run-id": str(self.run.id),
                "argument": proposal.argument,
            }
            self.provider.dispatch_workflow(workflow, base, inputs)
            return self._outcome(
                step,
                "done",
                f"dispatched the fix workflow {workflow} on {base} to run `{proposal.command}` "
                f"({self._line(proposal.summary)}); it hands the diff back to the guard in fix mode",
            )
        if in_workflows(proposal.path) or not safe_path(proposal.path):
            return self._outcome(step, "skipped", f"no pull request: {WORKFLOWS_REFUSED}")
        change = FixProposal(
            proposal.summary, ((proposal.path, proposal.content),), recipe.id, proposal.risk, proposal.verify
        )
        summary = self._line(change.summary)
        body = self._render(
            "fix_pr.md.j2",
            r=r,
            change=change,
            marker=issue_marker(signature),
            run_url=self.run.html_url,
            token_note=APP_TOKEN_HOWTO,
        )
        posted = open_fix(
            self.provider,
            base=base,
            signature=signature,
            proposal=change,
            title=f"fix(ci): {summary}"[:250],
            body=body,
            run_id=self.run.id,
        )
        verb = "opened" if posted.created else "updated"
        return self._outcome(step, "done", f"{verb} fix pull request #{posted.number}: {summary}", posted.html_url)

    def comment(self, step: PlannedStep) -> Outcome:
        """Post the diagnosis on the pull request, or update the guard's comment there."""
        assert self.pull_request is not None
        marker = comment_marker(self.run.workflow_id, self.run.name)
        body = self._render("comment.md.j2", marker=marker)
        posted = self.provider.upsert_comment(self.pull_request, marker, body)
        verb = "posted" if posted.created else "updated"
        return self._outcome(
            step, "done", f"{verb} the diagnosis on pull request #{self.pull_request}", posted.html_url
        )

    def escalate(self, step: PlannedStep) -> Outcome:
        """Open the failure signature's issue, or update it with one more occurrence."""
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

        title = self._line(f"CI failure: {r.diagnosis.category} in {r.name} ({r.diagnosis.strategy})")
        posted = self.provider.save_issue(marker, title[:250], render, labels, self.config.escalation.assignees)
        verb = "opened" if posted.created else "updated"
        return self._outcome(step, "done", f"{verb} issue #{posted.number} (seen {count} times)", posted.html_url)

    def _render(self, template: str, **context: object) -> str:
        text = jinja_env().get_template(template).render(res=self.results.build(), **context)
        # the template cleaned every value it placed; only the run's own secrets are looked for again
        return truncate(self.redact.known(text), MAX_BODY)

    def _line(self, text: str) -> str:
        """A title or commit subject made from names a workflow or a log chose: cleaned, one line."""
        return clean(text, self.redact).replace("\n", " ")

    # -- issue 10: approvals, notifications, incidents (the registry names these too) ---------------

    def request_approval(self, step: PlannedStep) -> Outcome:
        """Post the plan that waits for ``/heal approve`` (``approvals.py``)."""
        from .approvals import post_plan

        return post_plan(self, step)

    def notify(self, step: PlannedStep) -> Outcome:
        """Tell the configured channels about the failure (``notify/``)."""
        from .alerts import notify_step

        return notify_step(self, step)

    def incident(self, step: PlannedStep) -> Outcome:
        """Trigger a PagerDuty incident and/or open a Jira issue (``notify/``)."""
        from .alerts import incident_step

        return incident_step(self, step)
