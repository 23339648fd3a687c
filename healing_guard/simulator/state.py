"""The fake GitHub's in-memory data: one repository and everything the guard touches in it.

``SimState`` holds the records (``records.py``) and the operations that change them; the route
modules call it and ``objects.py`` renders what it holds.  Nothing here knows about HTTP.

Model (what a re-run does, how files live, which ids are used):

* A ``Run`` has numbered ``Attempt``s.  Each attempt lists the job ids that make it up.  A
  re-run appends attempt ``n+1`` (status ``queued``, conclusion ``None``): re-run jobs are
  *copied* to new ids under the new attempt; jobs that were not re-run (a failed-jobs or
  single-job re-run) stay listed in the new attempt with their old id and old ``run_attempt``.
  Run-level ``filter=latest`` is the latest attempt's list; ``filter=all`` is every job.
* Job dependencies (``needs:``) are not modelled: "failed jobs and their dependents" re-runs
  only the failed (failure/cancelled/timed_out/startup_failure) jobs.
* Git data is a small commit graph: a ``Commit`` holds a full file tree (path -> bytes); a
  branch is a ref ``refs/heads/<name>`` pointing at a commit.  Writing a file makes a new
  commit on the branch.  File ``sha``s are real git blob hashes.
* Issues and pull requests share one number sequence, as on GitHub; every pull request has an
  ``Issue`` record too (``is_pull``), so the Issues API lists it and comments on it.
* Ids come from separate ranges (runs 7_000_000_001+, jobs 21_000_000_001+, ...) so a run id
  can never be mistaken for a job id in a test.
* Time is the real UTC clock plus ``clock_offset`` (``advance_clock`` moves it forward), so
  the 60-second log URLs and the 30-day re-run window can be tested without sleeping.

Callers hold ``SimState.lock`` (an ``RLock``) around every read or write.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone

from healing_guard.simulator.gitdata import GitObjects
from healing_guard.simulator.logs import synthetic_log
from healing_guard.simulator.records import (
    Attempt,
    Blob,
    BlobFetch,
    Cache,
    Comment,
    Commit,
    Issue,
    Job,
    Label,
    Pull,
    Run,
    Step,
    User,
    git_blob_sha,
)

#: The login of the identity behind an Actions ``GITHUB_TOKEN``.
BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282

#: Job conclusions that "re-run failed jobs" picks up.
FAILED_CONCLUSIONS = frozenset({"failure", "cancelled", "timed_out", "startup_failure"})

#: Lifetime of a pre-signed log download URL (GitHub: "expires after 1 minute").
BLOB_TTL_SECONDS = 60.0

#: Re-runs are allowed for this long after a run was created.
RERUN_WINDOW = timedelta(days=30)


def _random_sha() -> str:
    return secrets.token_hex(20)


class SimState:
    """Everything the fake server knows; guarded by ``lock``."""

    def __init__(
        self,
        owner: str,
        repo: str,
        *,
        token: str,
        permissions: dict[str, str],
        default_branch: str = "main",
        private: bool = False,
        actor: str = "octocat",
        app_login: str = BOT_LOGIN,
        rate_limit: int = 1000,
        has_issues: bool = True,
        allow_actions_to_create_prs: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.owner = owner
        self.repo = repo
        self.repo_id = 700000001
        self.token = token
        self.permissions = dict(permissions)
        self.default_branch = default_branch
        self.private = private
        self.actor = actor
        self.app_login = app_login
        self.has_issues = has_issues
        self.allow_actions_to_create_prs = allow_actions_to_create_prs
        self.created_at = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=400)
        self.clock_offset = 0.0

        self.rate_limit = rate_limit
        self.rate_used = 0
        self.rate_reset = int(time.time()) + 3600

        self.users: dict[str, User] = {}
        #: Collaborators' roles (``admin``, ``maintain``, ``write``, ``triage``, ``read``) by login.
        self.collaborators: dict[str, str] = {}
        self.runs: dict[int, Run] = {}
        self.jobs: dict[int, Job] = {}
        self.workflows: dict[str, int] = {}
        #: ``workflow_dispatch`` events received: workflow path, ref, inputs, the run it queued
        self.dispatches: list[dict[str, object]] = []
        self.caches: dict[int, Cache] = {}
        self.labels: dict[str, Label] = {}
        self.issues: dict[int, Issue] = {}
        self.comments: dict[int, Comment] = {}
        self.pulls: dict[int, Pull] = {}
        self.commits: dict[str, Commit] = {}
        self.refs: dict[str, str] = {}
        #: trees and blobs by their git sha (the Git Data API)
        self.git = GitObjects()
        self.blobs: dict[str, Blob] = {}
        self.blob_fetches: list[BlobFetch] = []
        #: ``(bytes per write, seconds between writes)`` for new downloads; ``None``: all at once.
        self.blob_drip: tuple[int, float] | None = None

        self._run_ids = itertools.count(7_000_000_001)
        self._job_ids = itertools.count(21_000_000_001)
        self._check_suite_ids = itertools.count(30_000_000_001)
        self._cache_ids = itertools.count(101)
        self._label_ids = itertools.count(5_000_001)
        self._issue_ids = itertools.count(1_000_000_001)
        self._comment_ids = itertools.count(2_000_000_001)
        self._pull_ids = itertools.count(3_000_000_001)
        self._user_ids = itertools.count(1001)
        self._workflow_ids = itertools.count(160_001)
        self._runner_ids = itertools.count(1)
        self._run_numbers: dict[int, int] = {}

        self.user(owner, "Organization")
        self.user(actor)
        if app_login == BOT_LOGIN:
            self.users[app_login] = User(app_login, BOT_ID, "Bot")
        else:
            self.user(app_login)

    @property
    def installation_token(self) -> bool:
        """Whether the token is an installation token (a ``GITHUB_TOKEN`` or a GitHub App's):
        its identity is a bot, ``GET /user`` is refused; otherwise it is a user's token (a PAT)."""
        return self.app_login.endswith("[bot]")

    # ----------------------------------------------------------------- clock and quota

    def now(self) -> datetime:
        """Current (possibly advanced) UTC time, whole seconds."""
        moment = datetime.now(timezone.utc) + timedelta(seconds=self.clock_offset)
        return moment.replace(microsecond=0)

    def epoch(self) -> float:
        """Current (possibly advanced) time as a Unix timestamp."""
        return time.time() + self.clock_offset

    def consume_quota(self) -> bool:
        """Count one API request; ``False`` when the primary rate limit is exhausted."""
        now = int(self.epoch())
        if now >= self.rate_reset:
            self.rate_used = 0
            self.rate_reset = now + 3600
        if self.rate_used >= self.rate_limit:
            return False
        self.rate_used += 1
        return True

    # ----------------------------------------------------------------- users, ids

    def user(self, login: str, kind: str = "User") -> User:
        """The account called ``login`` (created on first use)."""
        found = self.users.get(login)
        if found is None:
            kind = "Bot" if login.endswith("[bot]") else kind
            found = self.users[login] = User(login, next(self._user_ids), kind)
        return found

    def workflow_id(self, path: str) -> int:
        """A stable id for the workflow file ``path``."""
        if path not in self.workflows:
            self.workflows[path] = next(self._workflow_ids)
        return self.workflows[path]

    def next_issue_number(self) -> int:
        """The next free number shared by issues and pull requests."""
        return max(self.issues, default=0) + 1

    # ----------------------------------------------------------------- runs and jobs

    def add_run(
        self,
        *,
        name: str,
        path: str,
        head_branch: str | None,
        head_sha: str,
        event: str,
        status: str,
        conclusion: str | None,
        run_attempt: int,
        display_title: str,
        actor: str,
        head_repository: str | None,
        pull_requests: list[int | dict[str, object]],
        created_at: datetime | None,
        run_id: int | None = None,
    ) -> Run:
        """Create a run whose latest attempt is ``run_attempt`` (earlier attempts failed)."""
        workflow_id = self.workflow_id(path)
        self._run_numbers[workflow_id] = self._run_numbers.get(workflow_id, 0) + 1
        created = created_at or self.now()
        run = Run(
            id=run_id if run_id is not None else next(self._run_ids),
            name=name,
            workflow_id=workflow_id,
            path=path,
            head_branch=head_branch,
            head_sha=head_sha,
            event=event,
            display_title=display_title,
            run_number=self._run_numbers[workflow_id],
            actor=actor,
            head_repository=head_repository or f"{self.owner}/{self.repo}",
            check_suite_id=next(self._check_suite_ids),
            created_at=created,
            pull_requests=list(pull_requests),
        )
        self.user(actor)
        for number in range(1, run_attempt + 1):
            latest = number == run_attempt
            run.attempts[number] = Attempt(
                number=number,
                status=status if latest else "completed",
                conclusion=conclusion if latest else "failure",
                created_at=created,
                updated_at=created,
                run_started_at=created,
                triggering_actor=actor,
            )
        self.runs[run.id] = run
        self.ensure_commit(head_sha)
        return run

    def add_job(
        self,
        run: Run,
        *,
        name: str,
        attempt: int,
        status: str,
        conclusion: str | None,
        log: str,
        steps: list[tuple[str, str | None, str | None]],
        labels: list[str],
        runner_name: str | None,
    ) -> Job:
        """Add a job execution to attempt ``attempt`` of ``run``."""
        now = self.now()
        completed = status == "completed"
        job = Job(
            id=next(self._job_ids),
            run_id=run.id,
            run_attempt=attempt,
            name=name,
            status=status,
            conclusion=conclusion,
            created_at=now,
            started_at=now,
            completed_at=now if completed else None,
            steps=[],
            log=log,
            labels=list(labels),
            runner_id=next(self._runner_ids) if status != "queued" else None,
            runner_name=runner_name if status != "queued" else None,
            runner_group_name="GitHub Actions" if status != "queued" else None,
        )
        job.steps = build_steps(steps, job.status, now)
        job.step_template = [(s.name, s.conclusion) for s in job.steps]
        if not log and any(s.log for s in job.steps):
            job.log = "".join(s.log if s.log.endswith("\n") else s.log + "\n" for s in job.steps if s.log)
        self.jobs[job.id] = job
        run.attempts[attempt].job_ids.append(job.id)
        return job

    def rerun(self, run: Run, selected: set[int] | None, *, debug: bool) -> Attempt:
        """Start attempt n+1; copy the ``selected`` jobs of attempt n (all when ``None``)."""
        previous = run.latest
        now = self.now()
        attempt = Attempt(
            number=previous.number + 1,
            status="queued",
            conclusion=None,
            created_at=now,
            updated_at=now,
            run_started_at=now,
            triggering_actor=self.app_login,
            debug_logging=debug,
        )
        for job_id in previous.job_ids:
            old = self.jobs[job_id]
            if selected is not None and job_id not in selected:
                attempt.job_ids.append(job_id)
                continue
            new = Job(
                id=next(self._job_ids),
                run_id=run.id,
                run_attempt=attempt.number,
                name=old.name,
                status="queued",
                conclusion=None,
                created_at=now,
                started_at=now,
                completed_at=None,
                steps=[],
                log="",
                labels=list(old.labels),
                runner_id=None,
                runner_name=None,
                runner_group_name=None,
                step_template=list(old.step_template),
            )
            self.jobs[new.id] = new
            attempt.job_ids.append(new.id)
        run.attempts[attempt.number] = attempt
        run.active_outcome = run.outcomes.popleft() if run.outcomes else None
        return attempt

    def cancel(self, run: Run) -> None:
        """Cancel the latest attempt and its unfinished jobs."""
        attempt = run.latest
        now = self.now()
        attempt.status, attempt.conclusion, attempt.updated_at = "completed", "cancelled", now
        for job in self.attempt_jobs(attempt):
            if job.status != "completed":
                job.status, job.conclusion, job.completed_at = "completed", "cancelled", now
                for step in job.steps:
                    if step.status != "completed":
                        step.status, step.conclusion, step.completed_at = "completed", "cancelled", now
        run.active_outcome = None

    def complete_attempt(
        self,
        run: Run,
        conclusion: str,
        job_conclusions: dict[str, str] | None = None,
        logs: dict[str, str] | None = None,
    ) -> Attempt:
        """Finish the latest attempt: its unfinished jobs end as ``job_conclusions`` say."""
        attempt = run.latest
        now = self.now()
        for job in self.attempt_jobs(attempt):
            if job.run_attempt != attempt.number or job.status == "completed":
                continue
            result = (job_conclusions or {}).get(job.name, conclusion)
            template = job.step_template or [("Set up job", "success"), (f"Run {job.name}", result)]
            failed_before = {name for name, concl in template if concl in FAILED_CONCLUSIONS}
            specs: list[tuple[str, str | None, str | None]] = []
            for name, _ in template:
                if result == "success":
                    specs.append((name, "success", None))
                else:
                    bad = name in failed_before or (not failed_before and name == template[-1][0])
                    specs.append((name, result if bad else "success", None))
            job.status, job.conclusion = "completed", result
            job.started_at, job.completed_at = now, now
            job.runner_id = job.runner_id or next(self._runner_ids)
            job.runner_name = job.runner_name or "GitHub Actions 1"
            job.runner_group_name = job.runner_group_name or "GitHub Actions"
            job.steps = build_steps(specs, "completed", now)
            job.log = (logs or {}).get(job.name) or synthetic_log(job.name, result, now)
        attempt.status, attempt.conclusion, attempt.updated_at = "completed", conclusion, now
        run.active_outcome = None
        return attempt

    def poll_outcome(self, run: Run) -> None:
        """Advance a scripted re-run outcome by one read of the run."""
        outcome = run.active_outcome
        if outcome is None or run.latest.status == "completed":
            return
        if outcome.after_polls > 0:
            outcome.after_polls -= 1
            return
        self.complete_attempt(run, outcome.conclusion, outcome.job_conclusions, outcome.logs)

    def attempt_jobs(self, attempt: Attempt) -> list[Job]:
        """The jobs listed under ``attempt`` (re-run copies and carried-over jobs)."""
        return [self.jobs[job_id] for job_id in attempt.job_ids]

    def run_jobs(self, run: Run, which: str) -> list[Job]:
        """Run-level job list: ``latest`` (the latest attempt's list) or ``all``."""
        if which == "latest":
            return self.attempt_jobs(run.latest)
        seen: dict[int, Job] = {}
        for number in sorted(run.attempts):
            for job in self.attempt_jobs(run.attempts[number]):
                seen.setdefault(job.id, job)
        return sorted(seen.values(), key=lambda job: (job.run_attempt, job.id))

    # ----------------------------------------------------------------- caches

    def add_cache(
        self,
        *,
        key: str,
        ref: str,
        size_in_bytes: int,
        version: str | None,
        created_at: datetime | None,
        last_accessed_at: datetime | None,
    ) -> Cache:
        """Add a cache entry."""
        now = self.now()
        cache = Cache(
            id=next(self._cache_ids),
            key=key,
            ref=ref,
            version=version or hashlib.sha256(key.encode()).hexdigest(),
            size_in_bytes=size_in_bytes,
            created_at=created_at or now,
            last_accessed_at=last_accessed_at or created_at or now,
        )
        self.caches[cache.id] = cache
        return cache

    # ----------------------------------------------------------------- issues, comments, pulls

    def label(self, name: str) -> Label:
        """The label ``name`` (created on first use, as GitHub does when an issue names it)."""
        if name not in self.labels:
            self.labels[name] = Label(next(self._label_ids), name)
        return self.labels[name]

    def add_issue(
        self,
        *,
        title: str,
        body: str | None,
        user: str,
        labels: list[str],
        assignees: list[str],
        state: str = "open",
        number: int | None = None,
        is_pull: bool = False,
    ) -> Issue:
        """Create an issue (or the issue half of a pull request)."""
        now = self.now()
        number = number if number is not None else self.next_issue_number()
        for name in labels:
            self.label(name)
        for login in (user, *assignees):
            self.user(login)
        issue = Issue(
            number=number,
            id=next(self._issue_ids),
            title=title,
            body=body,
            user=user,
            state=state,
            labels=list(dict.fromkeys(labels)),
            assignees=list(assignees),
            created_at=now,
            updated_at=now,
            is_pull=is_pull,
        )
        if state == "closed":
            issue.closed_at, issue.state_reason = now, "completed"
        self.issues[number] = issue
        return issue

    def add_comment(self, issue: Issue, body: str, user: str) -> Comment:
        """Add a comment to ``issue``."""
        now = self.now()
        self.user(user)
        comment = Comment(next(self._comment_ids), issue.number, body, user, now, now)
        self.comments[comment.id] = comment
        issue.updated_at = now
        return comment

    def add_pull(
        self,
        *,
        title: str,
        body: str | None,
        user: str,
        head_owner: str,
        head_ref: str,
        head_sha: str,
        base_ref: str,
        state: str = "open",
        draft: bool = False,
        number: int | None = None,
        labels: list[str] | None = None,
    ) -> Pull:
        """Create a pull request and its issue record."""
        issue = self.add_issue(
            title=title,
            body=body,
            user=user,
            labels=labels or [],
            assignees=[],
            state=state,
            number=number,
            is_pull=True,
        )
        self.user(head_owner, "Organization" if head_owner == self.owner else "User")
        pull = Pull(
            number=issue.number,
            id=next(self._pull_ids),
            head_owner=head_owner,
            head_ref=head_ref,
            head_sha=head_sha,
            base_ref=base_ref,
            draft=draft,
            maintainer_can_modify=head_owner != self.owner,
        )
        self.pulls[pull.number] = pull
        self.ensure_commit(head_sha)
        return pull

    # ----------------------------------------------------------------- git data

    def ensure_commit(self, sha: str) -> Commit:
        """The commit ``sha``; an unknown sha becomes a commit with the default branch's files."""
        found = self.commits.get(sha)
        if found is None:
            base = self.branch_commit(self.default_branch)
            found = Commit(
                sha=sha,
                tree=dict(base.tree) if base else {},
                message="Seeded commit",
                parents=[base.sha] if base else [],
                author_name="Octo Cat",
                author_email="octocat@github.com",
                date=self.now(),
                author_login=self.actor,
            )
            self.commits[sha] = found
        return found

    def branch_commit(self, branch: str) -> Commit | None:
        """The commit branch ``branch`` points at, if the branch exists."""
        sha = self.refs.get(f"refs/heads/{branch}")
        return self.commits.get(sha) if sha else None

    def add_branch(self, name: str, sha: str | None) -> str:
        """Point ``refs/heads/<name>`` at ``sha`` (a new empty-tree commit when ``None``)."""
        if sha is None:
            base = self.branch_commit(self.default_branch)
            sha = base.sha if base and name != self.default_branch else _random_sha()
        self.ensure_commit(sha)
        self.refs[f"refs/heads/{name}"] = sha
        return sha

    def commit_file(
        self,
        branch: str,
        path: str,
        content: bytes,
        message: str,
        author_name: str = "github-actions[bot]",
        author_email: str = "41898282+github-actions[bot]@users.noreply.github.com",
        author_login: str | None = None,
    ) -> Commit:
        """Write ``path`` on ``branch`` as a new commit (the branch must exist)."""
        parent = self.branch_commit(branch)
        tree = dict(parent.tree) if parent else {}
        tree[path] = content
        seed = f"{parent.sha if parent else ''}\0{path}\0{git_blob_sha(content)}\0{message}\0{len(self.commits)}"
        commit = Commit(
            sha=hashlib.sha1(seed.encode()).hexdigest(),
            tree=tree,
            message=message,
            parents=[parent.sha] if parent else [],
            author_name=author_name,
            author_email=author_email,
            date=self.now(),
            author_login=author_login,
        )
        self.commits[commit.sha] = commit
        self.refs[f"refs/heads/{branch}"] = commit.sha
        return commit

    def ancestors(self, sha: str) -> list[str]:
        """``sha`` and every commit reachable from it through parents, nearest first."""
        order: list[str] = []
        seen: set[str] = set()
        queue = [sha]
        while queue:
            current = queue.pop(0)
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            order.append(current)
            queue.extend(self.commits[current].parents)
        return order

    def resolve_ref(self, ref: str | None) -> Commit | None:
        """The commit named by a branch, ``refs/...`` name, tag or sha (default branch if ``None``)."""
        name = ref or self.default_branch
        for candidate in (name, f"refs/heads/{name}", f"refs/tags/{name}", f"refs/{name}"):
            if candidate in self.refs:
                return self.commits.get(self.refs[candidate])
        return self.commits.get(name)

    # ----------------------------------------------------------------- pre-signed downloads

    def new_blob(self, kind: str, content: bytes, content_type: str, filename: str | None = None) -> Blob:
        """Store a download that expires after ``BLOB_TTL_SECONDS``."""
        self.prune_blobs()
        blob = Blob(
            token=secrets.token_urlsafe(24),
            kind=kind,
            content=content,
            content_type=content_type,
            expires_at=self.epoch() + BLOB_TTL_SECONDS,
            filename=filename,
            drip=self.blob_drip,
        )
        self.blobs[blob.token] = blob
        return blob

    def prune_blobs(self) -> None:
        """Forget downloads that expired more than an hour ago."""
        limit = self.epoch() - 3600
        for token in [t for t, b in self.blobs.items() if b.expires_at < limit]:
            del self.blobs[token]


def build_steps(specs: list[tuple[str, str | None, str | None]], job_status: str, now: datetime) -> list[Step]:
    """Steps from ``(name, conclusion, log)`` triples.  A job log given without step logs is
    put in the first failed step (or the last step) when the archive is built, not here."""
    steps: list[Step] = []
    for number, (name, conclusion, log) in enumerate(specs, start=1):
        if job_status == "completed" or conclusion is not None:
            status = "completed"
        elif job_status == "in_progress" and not any(s.status == "in_progress" for s in steps):
            status = "in_progress"
        else:
            status = "queued"
        steps.append(
            Step(
                name=name,
                number=number,
                status=status,
                conclusion=conclusion if status == "completed" else None,
                started_at=now if status != "queued" else None,
                completed_at=now if status == "completed" else None,
                log=log or "",
            )
        )
    return steps
