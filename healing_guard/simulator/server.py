"""``FakeGitHub``: the fake GitHub REST server on 127.0.0.1 and its Python API.

The socket is bound when the object is made (port 0 picks a free port), so ``url`` is known
before ``start()``; ``start()`` serves from a daemon thread (``ThreadingHTTPServer``, HTTP/1.1
keep-alive) and ``stop()`` shuts it down.  Use it as a context manager::

    with FakeGitHub() as gh:
        run = gh.add_run(conclusion="failure")
        gh.add_job(run["id"], "test (3.11)", conclusion="failure", log="...")
        client = Github(base_url=gh.url, auth=Auth.Token(gh.token))

Every seeding method returns the GitHub payload of what it made; every inspection property
returns fresh payload copies.  All of them take the state lock, so tests may call them while
a client thread is talking to the server.
"""

from __future__ import annotations

import re
import secrets
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from healing_guard.simulator.dispatcher import Dispatcher
from healing_guard.simulator.faults import Fault, make_fault, rate_limit_fault
from healing_guard.simulator.objects import JSONDict
from healing_guard.simulator.protocol import DOCS_ROOT, Response, error_body
from healing_guard.simulator.recording import RecordedRequest
from healing_guard.simulator.records import BlobFetch, Outcome
from healing_guard.simulator.state import BOT_LOGIN, SimState

DEFAULT_TOKEN = "ghs_fake_token"
DEFAULT_PERMISSIONS: Mapping[str, str] = {
    "actions": "write",
    "contents": "write",
    "issues": "write",
    "pull-requests": "write",
}

#: A step: ``(name, conclusion)`` or ``(name, conclusion, step log)``.
StepSpec = tuple[str, str | None] | tuple[str, str | None, str]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    dispatcher: Dispatcher

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a keep-alive socket closed while the server waited for its next
        request, a client that stopped reading) is the client's business, as on github.com; any
        other exception is reported as ``socketserver`` does."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid a 40 ms stall
    server_version = "GitHub.com"
    sys_version = ""
    timeout = 30

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        dispatcher = cast(_HTTPServer, self.server).dispatcher
        try:
            response = dispatcher.handle(self.command, self.path, dict(self.headers.items()), raw)
        except Exception:  # a simulator bug must not look like a network failure
            dispatcher.errors.append(traceback.format_exc())
            response = Response(500, error_body(500, "Simulator error (see FakeGitHub.errors)", DOCS_ROOT))
        payload = response.payload()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.drip is None:
            self.wfile.write(payload)
            return
        size, delay = response.drip
        try:
            for start in range(0, len(payload), max(size, 1)):
                self.wfile.write(payload[start : start + max(size, 1)])
                self.wfile.flush()
                time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up: that is the point
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return "GitHub.com"

    def log_message(self, format: str, *args: Any) -> None:
        return


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "ci"


def _step_specs(
    steps: Sequence[StepSpec] | None, job_name: str, conclusion: str | None
) -> list[tuple[str, str | None, str | None]]:
    if steps is None:
        done = "success" if conclusion is not None else None
        return [
            ("Set up job", done, None),
            (f"Run {job_name}", conclusion, None),
            ("Complete job", done, None),
        ]
    specs: list[tuple[str, str | None, str | None]] = []
    for step in steps:
        specs.append((step[0], step[1], step[2] if len(step) > 2 else None))
    return specs


class FakeGitHub:
    """A stateful fake of the GitHub REST API for one repository (see the package docstring)."""

    def __init__(
        self,
        owner: str = "octo-org",
        repo: str = "octo-repo",
        *,
        token: str = DEFAULT_TOKEN,
        permissions: Mapping[str, str] | None = None,
        default_branch: str = "main",
        private: bool = False,
        actor: str = "octocat",
        rate_limit: int = 1000,
        has_issues: bool = True,
        allow_actions_to_create_prs: bool = True,
        identity: str = BOT_LOGIN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        """``identity`` is who the token acts as: ``github-actions[bot]`` (a ``GITHUB_TOKEN``),
        ``<app-slug>[bot]`` (a GitHub App installation token) or a user's login (a personal
        token).  Issues, comments, pull requests and commits made through the API are theirs;
        ``GET /user`` answers 403 for the two kinds of installation token, as GitHub does."""
        self._state = SimState(
            owner,
            repo,
            token=token,
            permissions=dict(DEFAULT_PERMISSIONS if permissions is None else permissions),
            default_branch=default_branch,
            private=private,
            actor=actor,
            rate_limit=rate_limit,
            has_issues=has_issues,
            allow_actions_to_create_prs=allow_actions_to_create_prs,
            app_login=identity,
        )
        self._server = _HTTPServer((host, port), _Handler)
        bound_host, bound_port = cast(tuple[str, int], self._server.server_address)[:2]
        #: Base URL for clients: ``Github(base_url=gh.url, ...)``.
        self.url = f"http://{bound_host}:{bound_port}"
        self._dispatcher = Dispatcher(self._state, self.url)
        self._server.dispatcher = self._dispatcher
        self._thread: threading.Thread | None = None
        self._state.add_branch(default_branch, None)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> FakeGitHub:
        """Serve requests from a background thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                daemon=True,
                name=f"FakeGitHub {self.url}",
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<FakeGitHub {self.full_name} at {self.url}>"

    # ----------------------------------------------------------------- identity and access

    @property
    def owner(self) -> str:
        """Owner (organisation) of the simulated repository."""
        return self._state.owner

    @property
    def repo(self) -> str:
        """Name of the simulated repository."""
        return self._state.repo

    @property
    def full_name(self) -> str:
        """``owner/repo``."""
        return f"{self._state.owner}/{self._state.repo}"

    @property
    def token(self) -> str:
        """The only token the server accepts."""
        return self._state.token

    @property
    def identity(self) -> str:
        """The login the token acts as (see ``__init__``)."""
        return self._state.app_login

    @property
    def permissions(self) -> dict[str, str]:
        """A copy of the token's permissions (``{"actions": "write", ...}``)."""
        with self._state.lock:
            return dict(self._state.permissions)

    @permissions.setter
    def permissions(self, value: Mapping[str, str]) -> None:
        with self._state.lock:
            self._state.permissions = dict(value)

    def set_permission(self, scope: str, level: str) -> None:
        """Change one permission (``level``: ``none``, ``read``, ``write``)."""
        with self._state.lock:
            self._state.permissions[scope] = level

    # ----------------------------------------------------------------- seeding: actions

    def add_run(
        self,
        *,
        name: str = "CI",
        head_branch: str | None = "main",
        head_sha: str | None = None,
        event: str = "push",
        status: str = "completed",
        conclusion: str | None = "failure",
        run_attempt: int = 1,
        display_title: str | None = None,
        path: str | None = None,
        actor: str | None = None,
        head_repository: str | None = None,
        pull_requests: Iterable[int | dict[str, object]] = (),
        created_at: datetime | None = None,
        run_id: int | None = None,
    ) -> JSONDict:
        """Add a workflow run (attempts before ``run_attempt`` are completed failures).

        ``pull_requests`` takes numbers of seeded pull requests (rendered as GitHub's
        ``pull-request-minimal``) or ready-made dicts.  ``head_repository`` (``"fork/repo"``)
        makes a fork run.  A missing ``head_branch`` of a non-fork run is created at
        ``head_sha``."""
        with self._state.lock:
            state = self._state
            sha = head_sha or secrets.token_hex(20)
            run = state.add_run(
                name=name,
                path=path or f".github/workflows/{_slug(name)}.yml",
                head_branch=head_branch,
                head_sha=sha,
                event=event,
                status=status,
                conclusion=conclusion,
                run_attempt=run_attempt,
                display_title=display_title or name,
                actor=actor or state.actor,
                head_repository=head_repository,
                pull_requests=list(pull_requests),
                created_at=created_at,
                run_id=run_id,
            )
            home = head_repository in (None, self.full_name)
            if home and head_branch and f"refs/heads/{head_branch}" not in state.refs:
                state.add_branch(head_branch, sha)
            return self._dispatcher.render.run(run)

    def add_job(
        self,
        run_id: int,
        name: str,
        *,
        conclusion: str | None = "success",
        status: str | None = None,
        log: str = "",
        steps: Sequence[StepSpec] | None = None,
        run_attempt: int | None = None,
        labels: Sequence[str] = ("ubuntu-latest",),
        runner_name: str | None = "GitHub Actions 2",
    ) -> JSONDict:
        """Add a job to attempt ``run_attempt`` (default: the latest) of run ``run_id``.

        ``status`` defaults to ``completed`` when a conclusion is given, else ``queued``.
        ``steps`` are ``(name, conclusion)`` or ``(name, conclusion, log)`` tuples (default:
        "Set up job", "Run <name>", "Complete job").  Without step logs the job ``log`` goes
        into the failing step's file of the run-log zip."""
        with self._state.lock:
            run = self._state.runs[run_id]
            attempt = run_attempt or run.latest.number
            if attempt not in run.attempts:
                raise KeyError(f"run {run_id} has no attempt {attempt}")
            job = self._state.add_job(
                run,
                name=name,
                attempt=attempt,
                status=status or ("completed" if conclusion is not None else "queued"),
                conclusion=conclusion,
                log=log,
                steps=_step_specs(steps, name, conclusion),
                labels=list(labels),
                runner_name=runner_name,
            )
            return self._dispatcher.render.job(job)

    def complete_attempt(
        self,
        run_id: int,
        conclusion: str = "success",
        *,
        job_conclusions: Mapping[str, str] | None = None,
        logs: Mapping[str, str] | None = None,
    ) -> JSONDict:
        """Finish the latest attempt of a run: unfinished jobs end with ``job_conclusions[name]``
        (default ``conclusion``) and ``logs[name]`` (default: a short synthetic log)."""
        with self._state.lock:
            run = self._state.runs[run_id]
            self._state.complete_attempt(run, conclusion, dict(job_conclusions or {}), dict(logs or {}))
            return self._dispatcher.render.run(run)

    def set_rerun_outcome(
        self,
        run_id: int,
        conclusion: str = "success",
        *,
        job_conclusions: Mapping[str, str] | None = None,
        logs: Mapping[str, str] | None = None,
        after_polls: int = 0,
    ) -> None:
        """Script how the next re-run of ``run_id`` ends.  The new attempt stays ``queued`` for
        ``after_polls`` reads of the run (``get-workflow-run``/``-attempt``), then completes as
        ``complete_attempt`` would.  Calls queue up: one outcome per future re-run."""
        with self._state.lock:
            self._state.runs[run_id].outcomes.append(
                Outcome(conclusion, dict(job_conclusions or {}), dict(logs or {}), after_polls)
            )

    def add_cache(
        self,
        key: str,
        *,
        ref: str = "refs/heads/main",
        size_in_bytes: int = 1024,
        version: str | None = None,
        created_at: datetime | None = None,
        last_accessed_at: datetime | None = None,
    ) -> JSONDict:
        """Add an Actions cache entry."""
        with self._state.lock:
            cache = self._state.add_cache(
                key=key,
                ref=ref,
                size_in_bytes=size_in_bytes,
                version=version,
                created_at=created_at,
                last_accessed_at=last_accessed_at,
            )
            return self._dispatcher.render.cache(cache)

    # ----------------------------------------------------------------- seeding: issues, pulls, git

    def add_issue(
        self,
        title: str,
        *,
        body: str | None = None,
        labels: Iterable[str] = (),
        state: str = "open",
        user: str | None = None,
        assignees: Iterable[str] = (),
        number: int | None = None,
    ) -> JSONDict:
        """Add an issue (numbers are shared with pull requests)."""
        with self._state.lock:
            issue = self._state.add_issue(
                title=title,
                body=body,
                user=user or self._state.actor,
                labels=list(labels),
                assignees=list(assignees),
                state=state,
                number=number,
            )
            return self._dispatcher.render.issue(issue)

    def add_collaborator(self, login: str, role: str = "write") -> None:
        """Give ``login`` a role on the repository (``admin``, ``maintain``, ``write``, ``triage``,
        ``read``), as ``GET .../collaborators/{username}/permission`` reports it."""
        if role not in ("admin", "maintain", "write", "triage", "read"):
            raise ValueError(f"unknown role {role!r}")
        with self._state.lock:
            self._state.user(login)
            self._state.collaborators[login] = role

    def add_comment(self, issue_number: int, body: str, *, user: str | None = None) -> JSONDict:
        """Add a comment to an issue or pull request."""
        with self._state.lock:
            issue = self._state.issues[issue_number]
            comment = self._state.add_comment(issue, body, user or self._state.actor)
            return self._dispatcher.render.comment(comment)

    def add_pull(
        self,
        *,
        head_ref: str,
        number: int | None = None,
        head_sha: str | None = None,
        base_ref: str | None = None,
        title: str = "Update",
        body: str | None = None,
        state: str = "open",
        head_owner: str | None = None,
        user: str | None = None,
        draft: bool = False,
        labels: Iterable[str] = (),
    ) -> JSONDict:
        """Add a pull request.  ``head_owner`` other than the repository owner makes a fork PR;
        a same-repository head branch that does not exist is created at ``head_sha``."""
        with self._state.lock:
            state_ = self._state
            owner = head_owner or state_.owner
            home = owner.lower() == state_.owner.lower()
            existing = state_.refs.get(f"refs/heads/{head_ref}") if home else None
            sha = head_sha or existing or secrets.token_hex(20)
            if home and existing is None:
                state_.add_branch(head_ref, sha)
            pull = state_.add_pull(
                title=title,
                body=body,
                user=user or (state_.actor if home else owner),
                head_owner=owner,
                head_ref=head_ref,
                head_sha=sha,
                base_ref=base_ref or state_.default_branch,
                state=state,
                draft=draft,
                number=number,
                labels=list(labels),
            )
            return self._dispatcher.render.pull(pull, full=True)

    def add_branch(self, name: str, sha: str | None = None) -> str:
        """Create or move ``refs/heads/<name>``; returns its sha.  Without ``sha`` the branch
        starts at the default branch's head.  An unknown sha becomes a commit holding the
        default branch's files."""
        with self._state.lock:
            return self._state.add_branch(name, sha)

    def delete_branch(self, name: str) -> None:
        """Delete ``refs/heads/<name>`` (as ``git push --delete`` would); its commits stay."""
        with self._state.lock:
            self._state.refs.pop(f"refs/heads/{name}", None)

    def add_file(
        self, path: str, content: str | bytes, *, branch: str | None = None, message: str | None = None
    ) -> str:
        """Commit a file on ``branch`` (default branch; created if missing); returns the commit sha."""
        with self._state.lock:
            state = self._state
            name = branch or state.default_branch
            if state.branch_commit(name) is None:
                state.add_branch(name, None)
            data = content.encode() if isinstance(content, str) else content
            return state.commit_file(
                name, path, data, message or f"Add {path}", "Octo Cat", "octocat@github.com", state.actor
            ).sha

    def drip_downloads(self, size: int = 64, delay: float = 0.05) -> None:
        """Serve every later log download ``size`` bytes at a time, ``delay`` seconds apart (a
        storage server that never stalls long enough for a per-read timeout, yet never ends
        in time); ``size=0`` turns it off."""
        with self._state.lock:
            self._state.blob_drip = (size, delay) if size > 0 else None

    # ----------------------------------------------------------------- clock

    def advance_clock(self, seconds: float) -> None:
        """Move the server's clock forward (expires log URLs, ages runs) without sleeping."""
        with self._state.lock:
            self._state.clock_offset += seconds

    # ----------------------------------------------------------------- inspection

    @property
    def dispatches(self) -> list[dict[str, object]]:
        """Every ``workflow_dispatch`` event received: workflow path, ref, inputs, queued run id."""
        with self._state.lock:
            return [dict(d) for d in self._state.dispatches]

    @property
    def runs(self) -> dict[int, JSONDict]:
        """Every run by id, as of its latest attempt."""
        with self._state.lock:
            return {rid: self._dispatcher.render.run(run) for rid, run in self._state.runs.items()}

    def run(self, run_id: int, attempt: int | None = None) -> JSONDict:
        """One run (optionally as of attempt ``attempt``)."""
        with self._state.lock:
            return self._dispatcher.render.run(self._state.runs[run_id], attempt)

    @property
    def jobs(self) -> dict[int, JSONDict]:
        """Every job execution by id (all attempts)."""
        with self._state.lock:
            return {jid: self._dispatcher.render.job(job) for jid, job in self._state.jobs.items()}

    def job_log(self, job_id: int) -> str:
        """The full log text of a job."""
        with self._state.lock:
            return self._state.jobs[job_id].log

    @property
    def issues(self) -> dict[int, JSONDict]:
        """Issues by number (pull requests excluded: see ``pulls``)."""
        with self._state.lock:
            render = self._dispatcher.render
            return {n: render.issue(i) for n, i in self._state.issues.items() if not i.is_pull}

    @property
    def comments(self) -> dict[int, JSONDict]:
        """Comments on issues and pull requests, by comment id."""
        with self._state.lock:
            return {cid: self._dispatcher.render.comment(c) for cid, c in self._state.comments.items()}

    @property
    def caches(self) -> list[JSONDict]:
        """Cache entries in id order."""
        with self._state.lock:
            return [self._dispatcher.render.cache(self._state.caches[cid]) for cid in sorted(self._state.caches)]

    @property
    def pulls(self) -> dict[int, JSONDict]:
        """Pull requests by number (full ``pull-request`` payloads)."""
        with self._state.lock:
            return {n: self._dispatcher.render.pull(p, full=True) for n, p in self._state.pulls.items()}

    @property
    def refs(self) -> dict[str, str]:
        """Git refs (``refs/heads/main`` -> sha)."""
        with self._state.lock:
            return dict(self._state.refs)

    def file(self, path: str, ref: str | None = None) -> str | None:
        """A file's text on a branch/sha (default branch), or ``None`` when absent."""
        with self._state.lock:
            commit = self._state.resolve_ref(ref)
            data = commit.tree.get(path) if commit else None
            return data.decode("utf-8", "replace") if data is not None else None

    @property
    def blob_fetches(self) -> list[BlobFetch]:
        """Downloads of pre-signed log URLs (with whether they carried ``Authorization``)."""
        with self._state.lock:
            return list(self._state.blob_fetches)

    @property
    def rate_limit_used(self) -> int:
        """API requests counted against the primary rate limit this hour."""
        with self._state.lock:
            return self._state.rate_used

    # ----------------------------------------------------------------- recording

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first."""
        with self._state.lock:
            return list(self._dispatcher.requests)

    def writes(self) -> list[RecordedRequest]:
        """The requests that could change state (POST, PATCH, PUT, DELETE)."""
        return [r for r in self.requests if r.is_write]

    def reset_requests(self) -> None:
        """Forget the recorded requests (and blob downloads)."""
        with self._state.lock:
            self._dispatcher.requests.clear()
            self._state.blob_fetches.clear()

    @property
    def errors(self) -> list[str]:
        """Tracebacks of simulator bugs (each answered as a 500); empty in a healthy test."""
        with self._state.lock:
            return list(self._dispatcher.errors)

    # ----------------------------------------------------------------- faults

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int | None = 1,
        skip: int = 0,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Fault:
        """Answer matching requests with ``status``: the first ``skip`` pass, the next ``times``
        fail (``None``: all).  ``method`` may be ``"*"``; ``path_regex`` is searched in the path.
        ``body`` replaces GitHub's error document (``str``/``bytes`` are sent as they are)."""
        fault = make_fault(method, path_regex, status, times=times, skip=skip, headers=dict(headers or {}), body=body)
        with self._state.lock:
            self._dispatcher.faults.append(fault)
        return fault

    def inject_rate_limit(
        self,
        method: str,
        path_regex: str,
        *,
        kind: str = "primary",
        status: int = 403,
        times: int | None = 1,
        skip: int = 0,
        retry_after: int | None = 1,
        reset_in: int = 2,
    ) -> Fault:
        """Answer matching requests with a primary (``x-ratelimit-remaining: 0``, reset in
        ``reset_in`` s) or secondary (``retry-after``) rate-limit error, as 403 or 429."""
        fault = rate_limit_fault(
            method,
            path_regex,
            kind=kind,
            status=status,
            times=times,
            skip=skip,
            retry_after=retry_after,
            reset_in=reset_in,
        )
        with self._state.lock:
            self._dispatcher.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._state.lock:
            self._dispatcher.faults.clear()
