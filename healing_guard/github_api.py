"""The one module that talks to GitHub.

PyGithub underneath (its requester, with our own retry policy). Every call goes through
``_call``, which owns the retry and rate-limit policy and turns PyGithub's exceptions into the
guard's ``GitHubError`` family with a message that says what was being done and how to fix it.
Every answer is checked for the shape the guard reads before it is used (a malformed answer is a
``GitHubError`` naming the endpoint, never a ``KeyError``). Everything returned is a plain
dataclass from ``provider``.

Identity: the guard finds its own comment, issue and fix pull request by a hidden marker *and*
by their author, which must be the account the token acts as (``identity()``):
``github-actions[bot]`` for a ``GITHUB_TOKEN``, ``<app-slug>[bot]`` for a GitHub App
installation token, the token's user for a personal token. Installation tokens (prefix
``ghs_``) cannot call ``GET /user`` (403 "Resource not accessible by integration"), so they ask
GraphQL's ``viewer``; other tokens ask ``GET /user`` and fall back to ``viewer`` on that 403.

Writes that create something look again right before creating and right after: when two guards
race, both see both objects and the newer one is removed by the guard that made it.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urljoin

import requests
from github import Auth, Github, GithubException

from .errors import (
    GitHubAuthError,
    GitHubConflictError,
    GitHubError,
    GitHubNotFoundError,
    GitHubPermissionError,
    GitHubRateLimitError,
    GitHubServerError,
    GitHubValidationError,
)
from .provider import (
    CacheInfo,
    Comparison,
    FileData,
    GitCommit,
    JobInfo,
    Posted,
    RunInfo,
    StepInfo,
    TreeEntry,
)

T = TypeVar("T")

#: The largest job log the guard downloads; the rest is cut (the failure is usually near the end,
#: so the *last* part would be better, but storage URLs do not always honour Range requests).
MAX_LOG_BYTES = 512 << 20
#: The longest one log download may take, all reads together (a per-read timeout never ends a
#: download that drips a few bytes at a time).
LOG_DEADLINE_SECONDS = 120.0
#: Redirects followed from the log's storage URL before giving up.
MAX_REDIRECTS = 5
MAX_SERVER_RETRIES = 3
MAX_RATE_LIMIT_RETRIES = 3
#: Issues and comments the guard reads when it looks for its own.
MAX_LISTED = 1000
NOT_ELIGIBLE = ("already running", "cannot be retried", "cannot be rerun", "cannot be re-run")
DOCS = "https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication"

#: The identity behind a workflow's ``GITHUB_TOKEN``.
GITHUB_ACTIONS_BOT = "github-actions[bot]"
#: GitHub's token prefix for installation ("server-to-server") tokens: ``GITHUB_TOKEN`` and App tokens.
INSTALLATION_TOKEN_PREFIX = "ghs_"
#: GitHub's 403 message for an endpoint an installation token may not call.
INTEGRATION_DENIED = "resource not accessible by integration"
#: GitHub's 422 message when ``git/create-ref`` finds the ref there already.
BRANCH_EXISTS = "reference already exists"
#: GitHub's 422 messages when ``git/update-ref`` (without force) finds the ref moved elsewhere, or gone.
NOT_FAST_FORWARD = "update is not a fast forward"
REF_MISSING = "reference does not exist"
#: The most changed files the guard keeps from a comparison (GitHub lists at most 300).
COMPARE_FILES = 300
#: GitHub's 422 message when ``pulls/create`` finds an open pull request for the same head.
PULL_EXISTS = "a pull request already exists"
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")


class _BadAnswer(Exception):
    """An answer without the shape the guard reads (turned into a ``GitHubError`` by ``_call``)."""


def _is_rate_limit(status: int, headers: dict[str, Any], data: Any) -> bool:
    if status not in (403, 429):
        return False
    message = str(data.get("message", "") if isinstance(data, dict) else "").lower()
    lower = {k.lower(): v for k, v in (headers or {}).items()}
    return (
        "rate limit" in message
        or "retry-after" in lower
        or str(lower.get("x-ratelimit-remaining", "")) == "0"
        or status == 429
    )


def _message(exc: GithubException) -> str:
    """GitHub's message and its 422 details, lower-cased (to match known error texts)."""
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or "")]
    for error in data.get("errors") or []:
        parts.append(str(error.get("message") or "") if isinstance(error, dict) else str(error))
    return " ".join(parts).lower()


def _expect(data: Any, kind: type, endpoint: str) -> Any:
    if not isinstance(data, kind):
        raise _BadAnswer(
            f"{endpoint} answered {type(data).__name__}, not a JSON {'list' if kind is list else 'object'}"
        )
    return data


def _login(item: Any) -> str:
    user = item.get("user") if isinstance(item, dict) else None
    return str(user.get("login") or "") if isinstance(user, dict) else ""


def _body(item: dict[str, Any]) -> str:
    body = item.get("body")
    return body if isinstance(body, str) else ""


def _number(item: dict[str, Any], key: str, endpoint: str) -> int:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _BadAnswer(f"{endpoint} answered an item without a numeric {key!r}")
    return value


def _posted(item: Any, key: str, endpoint: str, *, created: bool) -> Posted:
    item = _expect(item, dict, endpoint)
    return Posted(_number(item, key, endpoint), str(item.get("html_url") or ""), created=created)


class GitHubClient:
    """GitHub REST calls for one repository, as the guard needs them."""

    def __init__(
        self,
        token: str,
        repository: str,
        *,
        api_url: str = "https://api.github.com",
        timeout: float = 30,
        seconds_between_writes: float = 0.8,
        max_rate_limit_wait: float = 120,
        backoff: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        log_deadline: float = LOG_DEADLINE_SECONDS,
        max_log_bytes: int = MAX_LOG_BYTES,
        identity: str | None = None,
    ) -> None:
        """``identity`` names the account the token acts as, when known (an App's
        ``<app-slug>[bot]``); otherwise it is asked from GitHub on first need."""
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._gh = Github(
            auth=Auth.Token(token) if token else None,
            base_url=self.api_url,
            timeout=int(timeout),
            retry=None,  # our own policy below: bounded waits, clear errors
            seconds_between_requests=0,
            seconds_between_writes=seconds_between_writes,
            per_page=100,
            lazy=True,
        )
        self._repo_path = f"/repos/{repository}"
        self._max_wait = max_rate_limit_wait
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._timeout = timeout
        self._log_deadline = log_deadline
        self._max_log_bytes = max_log_bytes
        self._identity = identity

    # -- the policy --------------------------------------------------------------------------

    def _call(self, what: str, permission: str | None, fn: Callable[[], T], *, retry_5xx: bool = True) -> T:
        """Run ``fn``; retry rate limits (every request: a limited request was not carried out)
        and, when ``retry_5xx``, server errors and network failures (reads only: a write that
        failed half-way may have been carried out, so it is never sent twice)."""
        server_tries = rate_tries = 0
        while True:
            try:
                return fn()
            except GithubException as exc:
                headers = dict(exc.headers or {})
                if _is_rate_limit(exc.status, headers, exc.data):
                    wait = self._rate_limit_wait(headers, rate_tries)
                    if wait is None or rate_tries >= MAX_RATE_LIMIT_RETRIES:
                        raise self._rate_limit_error(what, exc, rate_tries) from exc
                    rate_tries += 1
                    self._sleep(wait)
                    continue
                if exc.status >= 500 and retry_5xx and server_tries < MAX_SERVER_RETRIES:
                    server_tries += 1
                    self._sleep(self._backoff * 2 ** (server_tries - 1))
                    continue
                raise self._translate(exc, what, permission, server_tries, retry_5xx) from exc
            except requests.RequestException as exc:
                if retry_5xx and server_tries < MAX_SERVER_RETRIES:
                    server_tries += 1
                    self._sleep(self._backoff * 2 ** (server_tries - 1))
                    continue
                tried = (
                    f"after {server_tries} retries"
                    if retry_5xx
                    else "and did not retry, since the request changes something and may have been carried out"
                )
                raise GitHubError(
                    f"{what}: could not reach {self.api_url} ({type(exc).__name__}: {exc}) {tried}", operation=what
                ) from exc
            except _BadAnswer as exc:
                raise GitHubError(
                    f"{what}: GitHub's answer was not what its API documents: {exc}", operation=what
                ) from exc
            except ValueError as exc:  # PyGithub's json.loads of a body that is not JSON
                raise GitHubError(f"{what}: GitHub's answer was not valid JSON ({exc})", operation=what) from exc

    def _rate_limit_wait(self, headers: dict[str, Any], tries: int) -> float | None:
        lower = {k.lower(): str(v) for k, v in headers.items()}
        if "retry-after" in lower:
            try:
                wait = float(lower["retry-after"])
            except ValueError:
                wait = 60.0
        elif lower.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in lower:
            try:
                wait = max(0.0, float(lower["x-ratelimit-reset"]) - self._clock()) + 1
            except ValueError:
                wait = 60.0
        else:
            wait = 60.0 * 2**tries
        return wait if wait <= self._max_wait else None

    def _rate_limit_error(self, what: str, exc: GithubException, tries: int) -> GitHubRateLimitError:
        lower = {k.lower(): str(v) for k, v in dict(exc.headers or {}).items()}
        when = ""
        if lower.get("x-ratelimit-reset", "").isdigit():
            reset = datetime.fromtimestamp(int(lower["x-ratelimit-reset"]), tz=timezone.utc)
            when = f"; the limit resets at {reset:%H:%M} UTC"
        waited = f" {tries + 1} times" if tries else ""
        if "secondary" in _message(exc):
            kind = (
                "a secondary rate limit (too many requests or writes in a short time; GitHub allows about "
                "80 writes a minute)"
            )
        else:
            kind = "its API rate limit (the GITHUB_TOKEN allows 1,000 requests an hour per repository)"
        return GitHubRateLimitError(
            f"{what}: GitHub answered {exc.status}{waited}: {kind}{when}. The guard gave up rather than hold "
            "the job; it will act on the next failure.",
            status=exc.status,
            operation=what,
        )

    def _translate(
        self, exc: GithubException, what: str, permission: str | None, retries: int, retried: bool
    ) -> GitHubError:
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or exc.message or "").strip()
        status = exc.status
        if status == 401:
            return GitHubAuthError(
                f"{what}: GitHub refused the token (401 {message or 'Bad credentials'}). The token is missing, "
                "expired or revoked; the input 'github-token' defaults to ${{ github.token }}.",
                status=status,
                operation=what,
            )
        if status in (403, 409) and any(s in message.lower() for s in NOT_ELIGIBLE):
            return GitHubConflictError(f"{what}: {message} ({status})", status=status, operation=what)
        if status == 403:
            need = (
                f" The token needs `{permission}`: add `permissions: {{{permission}}}` to the job."
                if permission
                else ""
            )
            return GitHubPermissionError(
                f"{what}: GitHub answered 403 {message or 'Forbidden'}.{need} See {DOCS}",
                status=status,
                operation=what,
            )
        if status == 404:
            return GitHubNotFoundError(
                f"{what}: not found (404). It may have been deleted, belong to another repository, "
                "or be invisible to this token.",
                status=status,
                operation=what,
            )
        if status == 409:
            return GitHubConflictError(f"{what}: {message} (409)", status=status, operation=what)
        if status == 422:
            details = "; ".join(
                str(e.get("message") or e.get("code") or e) if isinstance(e, dict) else str(e)
                for e in data.get("errors", [])
            )
            return GitHubValidationError(
                f"{what}: GitHub refused the request (422 {message}{': ' + details if details else ''})",
                status=status,
                operation=what,
            )
        if status >= 500:
            if retried:
                tried = f"and again on each of {retries} retries" if retries else "(not retried)"
            else:
                tried = (
                    "; the request was sent once and not retried, since it changes something and GitHub "
                    "may have carried it out before failing"
                )
            return GitHubServerError(
                f"{what}: GitHub answered {status} {message} {tried}; see https://www.githubstatus.com",
                status=status,
                operation=what,
            )
        return GitHubError(f"{what}: GitHub answered {status} {message}", status=status, operation=what)

    # -- plumbing -----------------------------------------------------------------------------

    def _json(self, verb: str, path: str, parameters: dict[str, Any] | None = None, body: Any = None) -> Any:
        _, data = self._gh.requester.requestJsonAndCheck(
            verb, f"{self.api_url}{self._repo_path}{path}", parameters=parameters, input=body
        )
        return data

    def _pages(
        self, path: str, key: str | None, parameters: dict[str, Any] | None = None, limit: int = 1000
    ) -> Iterator[Any]:
        page = 1
        seen = 0
        endpoint = f"GET {path}"
        while True:
            params = {**(parameters or {}), "per_page": 100, "page": page}
            data = self._json("GET", path, params)
            if key:
                data = _expect(data, dict, endpoint)
                if key not in data:
                    raise _BadAnswer(f"{endpoint} answered an object without {key!r}")
                data = data[key]
            items = _expect(data, list, endpoint)
            yield from items
            seen += len(items)
            if len(items) < 100 or seen >= limit:
                return
            page += 1

    @staticmethod
    def _parse(endpoint: str, parse: Callable[[Any], T], data: Any) -> T:
        try:
            return parse(_expect(data, dict, endpoint))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise _BadAnswer(
                f"{endpoint} answered an object the guard cannot read ({type(exc).__name__}: {exc})"
            ) from exc

    # -- identity -------------------------------------------------------------------------------

    def identity(self) -> str:
        """The login the token acts as (asked once; see the module docstring)."""
        if self._identity is None:
            self._identity = self._call("finding out which account the token acts as", None, self._whoami)
        return self._identity

    def _whoami(self) -> str:
        if not self._token.startswith(INSTALLATION_TOKEN_PREFIX):
            try:
                _, data = self._gh.requester.requestJsonAndCheck("GET", f"{self.api_url}/user")
            except GithubException as exc:
                if exc.status != 403 or INTEGRATION_DENIED not in _message(exc):
                    raise
            else:
                return _valid_login(_expect(data, dict, "GET /user").get("login"), "GET /user")
        _, data = self._gh.requester.graphql_query("query { viewer { login } }", {})
        viewer = _expect(data, dict, "POST /graphql").get("data")
        viewer = viewer.get("viewer") if isinstance(viewer, dict) else None
        login = _valid_login(viewer.get("login") if isinstance(viewer, dict) else None, "POST /graphql (viewer)")
        # An installation token acts as its App's bot, whose comments and issues show `<slug>[bot]`.
        return login if login.endswith("[bot]") else f"{login}[bot]"

    # -- runs, jobs and logs --------------------------------------------------------------------

    def get_run(self, run_id: int) -> RunInfo:
        path = f"/actions/runs/{run_id}"
        return self._call(
            f"reading workflow run {run_id}",
            "actions: read",
            lambda: self._parse(f"GET {path}", _run, self._json("GET", path)),
        )

    def list_jobs(self, run_id: int, attempt: int) -> list[JobInfo]:
        path = f"/actions/runs/{run_id}/attempts/{attempt}/jobs"
        return self._call(
            f"listing the jobs of run {run_id} attempt {attempt}",
            "actions: read",
            lambda: [self._parse(f"GET {path}", _job, j) for j in self._pages(path, "jobs")],
        )

    def download_job_log(self, job_id: int, dest: Path) -> Path:
        """Fetch the log's short-lived storage URL, then download it without the token, within
        ``log_deadline`` seconds in all and at most ``max_log_bytes`` bytes (the rest is cut)."""
        what = f"downloading the log of job {job_id}"
        api_url = f"{self.api_url}{self._repo_path}/actions/jobs/{job_id}/logs"

        def location() -> str:
            headers, _ = self._gh.requester.requestBlobAndCheck("GET", api_url)
            loc = {k.lower(): v for k, v in headers.items()}.get("location")
            if not loc:
                raise GitHubError(f"{what}: GitHub gave no log location", operation=what)
            return urljoin(api_url, str(loc))

        url = self._call(what, "actions: read", location)
        deadline = time.monotonic() + self._log_deadline
        try:
            response = self._follow(what, url, api_url, deadline)
            with response:
                if response.status_code != 200:
                    raise GitHubError(
                        f"{what}: the log storage answered {response.status_code}",
                        status=response.status_code,
                        operation=what,
                    )
                self._save(what, response, dest, deadline)
        except requests.RequestException as exc:
            raise GitHubError(f"{what}: the download failed ({type(exc).__name__}: {exc})", operation=what) from exc
        return dest

    def _follow(self, what: str, url: str, api_url: str, deadline: float) -> requests.Response:
        """GET ``url`` (no token), following at most ``MAX_REDIRECTS`` redirects, none twice."""
        visited = {api_url}
        for _ in range(MAX_REDIRECTS + 1):
            visited.add(url)
            wait = min(self._timeout, max(deadline - time.monotonic(), 0.001))
            response = requests.get(url, stream=True, allow_redirects=False, timeout=wait)
            if not response.is_redirect:
                return response
            target = urljoin(url, response.headers.get("location", ""))
            response.close()
            if target in visited:
                raise GitHubError(
                    f"{what}: too many redirects: the log storage redirected in a loop (back to a URL "
                    "already visited); the log cannot be downloaded",
                    operation=what,
                )
            url = target
        raise GitHubError(
            f"{what}: too many redirects (more than {MAX_REDIRECTS}) from the log storage; the log cannot be "
            "downloaded",
            operation=what,
        )

    def _save(self, what: str, response: requests.Response, dest: Path, deadline: float) -> None:
        written = 0
        raw = response.raw
        # urllib3 2's read1 returns what has arrived; read (urllib3 1) waits for the whole chunk,
        # so it reads less at a time to keep the deadline close.
        read1 = getattr(raw, "read1", None)
        with dest.open("wb") as out:
            while written < self._max_log_bytes:
                if time.monotonic() > deadline:
                    raise GitHubError(
                        f"{what}: the download did not finish within {self._log_deadline:g} s ({written} bytes "
                        "received); the log storage is too slow. The job's diagnosis is unknown; the next "
                        "failure will try again",
                        operation=what,
                    )
                chunk = read1(1 << 16, decode_content=True) if read1 else raw.read(1 << 12, decode_content=True)
                if not chunk:
                    return
                out.write(chunk[: self._max_log_bytes - written])
                written += len(chunk)

    def rerun_job(self, job_id: int) -> None:
        self._call(
            f"re-running job {job_id}",
            "actions: write",
            lambda: self._json("POST", f"/actions/jobs/{job_id}/rerun"),
            retry_5xx=False,
        )

    def rerun_failed_jobs(self, run_id: int) -> None:
        self._call(
            f"re-running the failed jobs of run {run_id}",
            "actions: write",
            lambda: self._json("POST", f"/actions/runs/{run_id}/rerun-failed-jobs"),
            retry_5xx=False,
        )

    # -- caches ----------------------------------------------------------------------------------

    def list_caches(self, *, ref: str | None = None, key: str | None = None) -> list[CacheInfo]:
        params = {k: v for k, v in (("ref", ref), ("key", key)) if v}
        endpoint = "GET /actions/caches"

        def run() -> list[CacheInfo]:
            return [
                self._parse(
                    endpoint,
                    lambda c: CacheInfo(
                        int(c["id"]), str(c["key"]), str(c.get("ref", "")), int(c.get("size_in_bytes", 0))
                    ),
                    c,
                )
                for c in self._pages("/actions/caches", "actions_caches", params)
            ]

        return self._call("listing the Actions caches", "actions: read", run)

    def delete_cache(self, key: str, ref: str | None) -> int:
        """Delete the caches with exactly this key (on ``ref`` only, when given); returns how many."""
        params = {"key": key, **({"ref": ref} if ref else {})}
        try:
            data = self._call(
                f"deleting the Actions cache {key!r}",
                "actions: write",
                lambda: self._json("DELETE", "/actions/caches", params),
            )
        except GitHubNotFoundError:
            return 0
        if not isinstance(data, dict):
            return 0
        count = data.get("total_count")
        return (
            count if isinstance(count, int) and not isinstance(count, bool) else len(data.get("actions_caches") or [])
        )

    # -- pull requests, comments, issues --------------------------------------------------------

    def find_pull_request(self, run: RunInfo) -> int | None:
        if run.pull_requests:
            return run.pull_requests[0]
        if run.event not in ("pull_request", "pull_request_target") or not run.head_branch:
            return None
        owner = (run.head_repository or self.repository).split("/")[0]

        def run_() -> int | None:
            pulls = _expect(
                self._json("GET", "/pulls", {"state": "open", "head": f"{owner}:{run.head_branch}"}), list, "GET /pulls"
            )
            pulls = [p for p in pulls if isinstance(p, dict)]
            for p in pulls:
                head = p.get("head")
                if isinstance(head, dict) and head.get("sha") == run.head_sha:
                    return _number(p, "number", "GET /pulls")
            return _number(pulls[0], "number", "GET /pulls") if pulls else None

        return self._call(f"looking up the pull request of {owner}:{run.head_branch}", "pull-requests: read", run_)

    def _own_comments(self, number: int, marker: str) -> list[dict[str, Any]]:
        """The guard's comments on ``number`` that carry ``marker``, oldest first."""
        me = self.identity()
        path = f"/issues/{number}/comments"
        own = [
            c
            for c in self._pages(path, None, limit=MAX_LISTED)
            if isinstance(c, dict) and _login(c) == me and marker in _body(c)
        ]
        for c in own:
            _number(c, "id", f"GET {path}")
        return sorted(own, key=lambda c: int(c["id"]))

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        """Edit the guard's own comment carrying ``marker`` on issue/PR ``number``, or post one.
        Comments by anyone else are never touched, whatever they carry."""
        what = f"commenting on pull request #{number}"
        write = "issues: write"
        own = self._call(what, "issues: read", lambda: self._own_comments(number, marker))
        if own:
            return self._keep_comment(what, own, body)
        created = self._call(
            what,
            write,
            lambda: _posted(
                self._json("POST", f"/issues/{number}/comments", body={"body": body}),
                "id",
                "POST comments",
                created=True,
            ),
            retry_5xx=False,
        )
        # A guard racing this one may have posted too: the oldest stays, each newer one is removed
        # by the guard that made it.
        again = self._call(what, "issues: read", lambda: self._own_comments(number, marker))
        if again and int(again[0]["id"]) < created.number:
            self._call(
                what,
                write,
                lambda: self._json("DELETE", f"/issues/comments/{created.number}"),
                retry_5xx=False,
            )
            return self._keep_comment(what, [c for c in again if int(c["id"]) != created.number], body)
        return created

    def _keep_comment(self, what: str, own: list[dict[str, Any]], body: str) -> Posted:
        oldest = own[0]
        if _body(oldest) == body:
            return Posted(int(oldest["id"]), str(oldest.get("html_url") or ""), created=False)
        return self._call(
            what,
            "issues: write",
            lambda: _posted(
                self._json("PATCH", f"/issues/comments/{int(oldest['id'])}", body={"body": body}),
                "id",
                "PATCH comment",
                created=False,
            ),
            retry_5xx=False,
        )

    def _own_issues(self, marker: str, labels: tuple[str, ...]) -> list[dict[str, Any]]:
        """The guard's open issues that carry ``marker`` (pull requests excluded), oldest first."""
        me = self.identity()
        params: dict[str, Any] = {"state": "open", **({"labels": ",".join(labels)} if labels else {})}
        own = [
            i
            for i in self._pages("/issues", None, params, limit=MAX_LISTED)
            if isinstance(i, dict) and "pull_request" not in i and _login(i) == me and marker in _body(i)
        ]
        for i in own:
            _number(i, "number", "GET /issues")
        return sorted(own, key=lambda i: int(i["number"]))

    def find_issue(self, marker: str, labels: tuple[str, ...]) -> tuple[int, str] | None:
        """The guard's own open issue carrying ``marker`` (number, body), or None."""
        own = self._call(
            "looking for an open escalation issue", "issues: read", lambda: self._own_issues(marker, labels)
        )
        return (int(own[0]["number"]), _body(own[0])) if own else None

    def save_issue(
        self,
        marker: str,
        title: str,
        render: Callable[[str | None], str],
        labels: tuple[str, ...],
        assignees: tuple[str, ...],
    ) -> Posted:
        """Update the guard's open issue carrying ``marker``, or open one.

        ``render(previous body or None)`` makes the body, so the state kept in it is read from the
        issue as it is right before the write. Looks again right before creating; after
        creating, an older issue of the guard's with the same marker (a racing guard's) wins:
        this one is closed and the older one updated."""
        what = "opening or updating the escalation issue"
        write = "issues: write"
        found = self._call(what, "issues: read", lambda: self._own_issues(marker, labels))
        if found:
            return self._update_issue(what, found[0], title, render)
        first = render(None)
        created = self._call(
            what,
            write,
            lambda: _posted(
                self._json(
                    "POST",
                    "/issues",
                    body={"title": title, "body": first, "labels": list(labels), "assignees": list(assignees)},
                ),
                "number",
                "POST /issues",
                created=True,
            ),
            retry_5xx=False,
        )
        again = self._call(what, "issues: read", lambda: self._own_issues(marker, labels))
        older = [i for i in again if int(i["number"]) < created.number]
        if not older:
            return created
        self._call(
            what,
            write,
            lambda: self._json(
                "PATCH", f"/issues/{created.number}", body={"state": "closed", "state_reason": "not_planned"}
            ),
            retry_5xx=False,
        )
        return self._update_issue(what, older[0], title, render)

    def _update_issue(
        self, what: str, issue: dict[str, Any], title: str, render: Callable[[str | None], str]
    ) -> Posted:
        number = int(issue["number"])
        body = render(_body(issue))
        return self._call(
            what,
            "issues: write",
            lambda: _posted(
                self._json("PATCH", f"/issues/{number}", body={"title": title, "body": body}),
                "number",
                "PATCH issue",
                created=False,
            ),
            retry_5xx=False,
        )

    # -- files and fix pull requests ------------------------------------------------------------

    def get_file(self, path: str, ref: str) -> tuple[str, str] | None:
        """(text, blob sha) of a file at ``ref``, or None when it does not exist."""

        def run() -> tuple[str, str] | None:
            try:
                data = self._json("GET", f"/contents/{quote(path)}", {"ref": ref})
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(data, dict) or data.get("type") != "file":
                return None
            content, sha = data.get("content"), data.get("sha")
            if not isinstance(content, str) or not isinstance(sha, str):
                raise _BadAnswer(f"GET /contents/{path} answered a file without content or sha")
            try:
                return base64.b64decode("".join(content.split()), validate=True).decode("utf-8", "replace"), sha
            except ValueError as exc:
                raise _BadAnswer(f"GET /contents/{path} answered content that is not base64") from exc

        return self._call(f"reading {path} at {ref}", "contents: read", run)

    def list_directory(self, path: str, ref: str) -> list[str] | None:
        """The names in folder ``path`` ("" for the top level) at ``ref``, or None when it is not a folder."""

        def run() -> list[str] | None:
            try:
                data = self._json("GET", f"/contents/{path.strip('/')}", {"ref": ref})
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(data, list):
                return None
            return [str(e.get("name", "")) for e in data if isinstance(e, dict)]

        return self._call(f"listing {path or 'the top level'} at {ref}", "contents: read", run)

    def open_fix_pull_request(
        self, *, base: str, branch: str, files: Sequence[tuple[str, str]], message: str, title: str, body: str
    ) -> Posted:
        """Branch from ``base``, commit ``files`` ((path, text) each) there, open a PR into ``base``;
        or, when the guard's pull request from ``branch`` is open already, bring its branch and its
        title and body up to date (one pull request per branch, found again, never duplicated).

        Resumable: a branch left by an earlier attempt (say, a rate limit on ``POST /pulls``) is
        reused when it holds only the guard's own commits (reset to ``base`` when ``base`` moved
        on); a branch with anyone else's commits is left alone with a clear error. A file whose
        text on the branch is already ``text`` is not committed again."""
        what = "opening a fix pull request"
        write = "contents: write, pull-requests: write"
        found = self._call(
            f"looking for an open fix pull request from {branch}",
            "pull-requests: read",
            lambda: self._own_pull_item(branch),
        )

        def base_sha() -> str:
            ref = _expect(self._json("GET", f"/git/ref/heads/{quote(base)}"), dict, "GET /git/ref")
            obj = ref.get("object")
            if not isinstance(obj, dict) or not isinstance(obj.get("sha"), str):
                raise _BadAnswer("GET /git/ref answered a ref without object.sha")
            return str(obj["sha"])

        start = self._call(f"reading branch {base}", "contents: read", base_sha)

        def create_branch() -> bool:
            try:
                self._json("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": start})
            except GithubException as exc:
                if exc.status == 422 and BRANCH_EXISTS in _message(exc):
                    return False
                raise
            return True

        fresh = (
            False
            if found
            else self._call(f"creating branch {branch}", "contents: write", create_branch, retry_5xx=False)
        )
        if not fresh:
            self._resume_branch(base, branch, start)
        for path, content in files:
            current = self.get_file(path, branch)
            if current and current[0] == content:
                continue
            payload: dict[str, Any] = {
                "message": message,
                "content": base64.b64encode(content.encode("utf-8")).decode("ascii"),
                "branch": branch,
            }
            if current:
                payload["sha"] = current[1]
            self._call(
                f"committing {path} to {branch}",
                "contents: write",
                partial(self._json, "PUT", f"/contents/{quote(path)}", body=payload),
                retry_5xx=False,
            )
        if found:
            number = int(found["number"])
            if found.get("title") == title and _body(found) == body:
                return _posted(found, "number", "GET /pulls", created=False)
            return self._call(
                f"updating fix pull request #{number}",
                "pull-requests: write",
                lambda: _posted(
                    self._json("PATCH", f"/pulls/{number}", body={"title": title, "body": body}),
                    "number",
                    "PATCH /pulls",
                    created=False,
                ),
                retry_5xx=False,
            )

        def create_pull() -> Posted | None:
            try:
                pr = self._json("POST", "/pulls", body={"title": title, "head": branch, "base": base, "body": body})
            except GithubException as exc:
                if exc.status == 422 and PULL_EXISTS in _message(exc):
                    return None
                raise
            return _posted(pr, "number", "POST /pulls", created=True)

        posted = self._call(what, write, create_pull, retry_5xx=False)
        if posted is None:  # a racing guard opened it a moment ago
            posted = self._call(what, "pull-requests: read", lambda: self._own_pull(branch))
            if posted is None:
                raise GitHubConflictError(
                    f"{what}: GitHub says a pull request from {branch} exists, but none of the guard's is open",
                    status=422,
                    operation=what,
                )
        return posted

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str]) -> None:
        """Start ``workflow`` (its file name or id) on ``ref`` with ``inputs`` (``workflow_dispatch``)."""
        what = f"dispatching the fix workflow {workflow} on {ref}"

        def run() -> None:
            self._json(
                "POST",
                f"/actions/workflows/{quote(workflow, safe='')}/dispatches",
                body={"ref": ref, "inputs": dict(inputs)},
            )

        self._call(what, "actions: write", run, retry_5xx=False)

    def _own_pull(self, branch: str) -> Posted | None:
        item = self._own_pull_item(branch)
        return _posted(item, "number", "GET /pulls", created=False) if item is not None else None

    def _own_pull_item(self, branch: str) -> dict[str, Any] | None:
        """The guard's open pull request from ``branch`` (None when there is none); another
        account's pull request from that branch is a conflict."""
        owner = self.repository.split("/")[0]
        pulls = _expect(self._json("GET", "/pulls", {"state": "open", "head": f"{owner}:{branch}"}), list, "GET /pulls")
        me = self.identity()
        for p in pulls:
            if isinstance(p, dict) and _login(p) == me:
                _number(p, "number", "GET /pulls")
                return p
        others = sorted({_login(p) for p in pulls if isinstance(p, dict)})
        if others:
            raise GitHubConflictError(
                f"an open pull request from {branch} was opened by {', '.join(others)}, not by the guard ({me}); "
                "the guard leaves it alone",
                operation="looking for an open fix pull request",
            )
        return None

    def _resume_branch(self, base: str, branch: str, start: str) -> None:
        """Make the existing ``branch`` fit for the fix: only the guard's commits on top of
        ``base`` (reset to ``start`` when ``base`` moved on), or refuse."""
        what = f"reusing the existing branch {branch}"
        me = self.identity()
        endpoint = "GET /compare"

        def compare() -> tuple[int, list[str]]:
            data = _expect(self._json("GET", f"/compare/{quote(base)}...{quote(branch)}"), dict, endpoint)
            commits = _expect(data.get("commits"), list, endpoint)
            behind = data.get("behind_by")
            if isinstance(behind, bool) or not isinstance(behind, int):
                raise _BadAnswer(f"{endpoint} answered without a numeric 'behind_by'")
            authors = [
                str((c.get("author") or {}).get("login") or "?") if isinstance(c, dict) else "?" for c in commits
            ]
            if data.get("ahead_by") != len(commits):  # GitHub lists at most 250: far more than the guard makes
                authors.append("(commits not listed)")
            return behind, authors

        behind, authors = self._call(what, "contents: read", compare)
        strangers = sorted({a for a in authors if a != me})
        if strangers:
            raise GitHubConflictError(
                f"{what}: it holds commits by {', '.join(strangers)}, not only the guard's ({me}); the guard "
                f"leaves it alone. Delete the branch to let the guard open its fix.",
                operation=what,
            )
        if behind:
            self._call(
                what,
                "contents: write",
                lambda: self._json("PATCH", f"/git/refs/heads/{quote(branch)}", body={"sha": start, "force": True}),
                retry_5xx=False,
            )

    # -- the audit trail (issue 9): the state branch through the Git Data API, and past runs -------

    def branch_head(self, branch: str) -> str | None:
        """The commit ``branch`` points at, or None when there is no such branch."""

        def run() -> str | None:
            try:
                data = self._json("GET", f"/git/ref/heads/{quote(branch)}")
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            obj = _expect(data, dict, "GET /git/ref").get("object")
            if not isinstance(obj, dict) or not isinstance(obj.get("sha"), str):
                raise _BadAnswer("GET /git/ref answered a ref without object.sha")
            return str(obj["sha"])

        return self._call(f"reading branch {branch}", "contents: read", run)

    def get_commit(self, sha: str) -> GitCommit:
        endpoint = "GET /git/commits"

        def parse(data: dict[str, Any]) -> GitCommit:
            tree = data["tree"]["sha"]
            parents = tuple(str(p["sha"]) for p in data.get("parents") or [])
            if not isinstance(tree, str):
                raise ValueError("tree.sha is not a string")
            return GitCommit(str(data["sha"]), tree, parents)

        return self._call(
            f"reading commit {sha[:12]}",
            "contents: read",
            lambda: self._parse(endpoint, parse, self._json("GET", f"/git/commits/{sha}")),
        )

    def get_tree(self, tree: str, *, recursive: bool = True) -> list[TreeEntry]:
        endpoint = "GET /git/trees"

        def parse(data: dict[str, Any]) -> list[TreeEntry]:
            if data.get("truncated"):
                raise ValueError("the tree is truncated (more than 100,000 entries)")
            out = []
            for e in data["tree"]:
                size = e.get("size")
                out.append(
                    TreeEntry(str(e["path"]), str(e["type"]), str(e["sha"]), size if isinstance(size, int) else None)
                )
            return out

        params = {"recursive": "1"} if recursive else None
        return self._call(
            f"reading tree {tree[:40]}",
            "contents: read",
            lambda: self._parse(endpoint, parse, self._json("GET", f"/git/trees/{quote(tree)}", params)),
        )

    def get_blob(self, sha: str) -> bytes:
        endpoint = "GET /git/blobs"

        def parse(data: dict[str, Any]) -> bytes:
            if data.get("encoding") != "base64" or not isinstance(data.get("content"), str):
                raise ValueError(f"encoding {data.get('encoding')!r}, not base64")
            return base64.b64decode("".join(data["content"].split()), validate=True)

        return self._call(
            f"reading blob {sha[:12]}",
            "contents: read",
            lambda: self._parse(endpoint, parse, self._json("GET", f"/git/blobs/{sha}")),
        )

    def read_file(self, path: str, ref: str) -> FileData | None:
        """A file's bytes at ``ref`` in one request; a file over 1 MB (the Contents API answers
        ``encoding: none`` without content then) is read as its blob."""
        endpoint = f"GET /contents/{path}"

        def run() -> FileData | tuple[str] | None:
            try:
                data = self._json("GET", f"/contents/{quote(path)}", {"ref": ref})
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(data, dict) or data.get("type") != "file":
                return None
            sha = data.get("sha")
            if not isinstance(sha, str):
                raise _BadAnswer(f"{endpoint} answered a file without a sha")
            if data.get("encoding") != "base64":
                return (sha,)
            try:
                return FileData(base64.b64decode("".join(str(data.get("content") or "").split()), validate=True), sha)
            except ValueError as exc:
                raise _BadAnswer(f"{endpoint} answered content that is not base64") from exc

        found = self._call(f"reading {path} at {ref}", "contents: read", run)
        if isinstance(found, tuple):
            return FileData(self.get_blob(found[0]), found[0])
        return found

    def create_blob(self, content: bytes) -> str:
        body = {"content": base64.b64encode(content).decode("ascii"), "encoding": "base64"}
        return self._call(
            "writing a blob",
            "contents: write",
            lambda: str(_expect(self._json("POST", "/git/blobs", body=body), dict, "POST /git/blobs")["sha"]),
            retry_5xx=False,
        )

    def create_tree(self, base_tree: str | None, changes: Mapping[str, str | None]) -> str:
        entries = [{"path": p, "mode": "100644", "type": "blob", "sha": s} for p, s in sorted(changes.items())]
        body: dict[str, Any] = {"tree": entries, **({"base_tree": base_tree} if base_tree else {})}
        return self._call(
            "writing a tree",
            "contents: write",
            lambda: str(_expect(self._json("POST", "/git/trees", body=body), dict, "POST /git/trees")["sha"]),
            retry_5xx=False,
        )

    def create_commit(self, message: str, tree: str, parents: Sequence[str]) -> str:
        body = {"message": message, "tree": tree, "parents": list(parents)}
        return self._call(
            "writing a commit",
            "contents: write",
            lambda: str(_expect(self._json("POST", "/git/commits", body=body), dict, "POST /git/commits")["sha"]),
            retry_5xx=False,
        )

    def create_branch(self, branch: str, sha: str) -> bool:
        def run() -> bool:
            try:
                self._json("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": sha})
            except GithubException as exc:
                if exc.status == 422 and BRANCH_EXISTS in _message(exc):
                    return False
                raise
            return True

        return self._call(f"creating branch {branch}", "contents: write", run, retry_5xx=False)

    def move_branch(self, branch: str, sha: str) -> str:
        def run() -> str:
            try:
                self._json("PATCH", f"/git/refs/heads/{quote(branch)}", body={"sha": sha, "force": False})
            except GithubException as exc:
                if exc.status == 422 and NOT_FAST_FORWARD in _message(exc):
                    return "not_fast_forward"
                if exc.status == 422 and REF_MISSING in _message(exc):
                    return "missing"
                raise
            return "moved"

        return self._call(f"moving branch {branch}", "contents: write", run, retry_5xx=False)

    def compare(self, base: str, head: str) -> Comparison:
        endpoint = "GET /compare"

        def parse(data: dict[str, Any]) -> Comparison:
            files = [str(f["filename"]) for f in data.get("files") or [] if isinstance(f, dict)]
            commits = data["commits"]
            authors = tuple(str((c.get("author") or {}).get("login") or "") for c in commits if isinstance(c, dict))
            complete = len(files) < COMPARE_FILES and data.get("ahead_by") == len(commits)
            return Comparison(tuple(files[:COMPARE_FILES]), complete, authors, str(data.get("status") or ""))

        return self._call(
            f"comparing {base[:12]}...{head[:12]}",
            "contents: read",
            lambda: self._parse(endpoint, parse, self._json("GET", f"/compare/{quote(base)}...{quote(head)}")),
        )

    def list_runs(self, *, created_since: str, limit: int) -> list[RunInfo]:
        path = "/actions/runs"

        def run() -> list[RunInfo]:
            out: list[RunInfo] = []
            for item in self._pages(path, "workflow_runs", {"created": f">={created_since}"}, limit=limit):
                out.append(self._parse(f"GET {path}", _run, item))
                if len(out) >= limit:
                    break
            return out

        return self._call(f"listing workflow runs created since {created_since}", "actions: read", run)

    def get_run_attempt(self, run_id: int, attempt: int) -> RunInfo:
        path = f"/actions/runs/{run_id}/attempts/{attempt}"
        return self._call(
            f"reading attempt {attempt} of workflow run {run_id}",
            "actions: read",
            lambda: self._parse(f"GET {path}", _run, self._json("GET", path)),
        )

    # -- issue 10: approvals and incidents ------------------------------------------------------------

    def own_comments(self, number: int, marker: str) -> list[tuple[int, str, str]]:
        own = self._call(
            f"reading the comments of #{number}", "issues: read", lambda: self._own_comments(number, marker)
        )
        return [(int(c["id"]), _body(c), str(c.get("html_url") or "")) for c in own]

    def collaborator_permission(self, login: str) -> str:
        """GitHub maps ``maintain`` to ``write`` in ``permission``; ``role_name`` keeps it (and custom
        roles, which are read by their base ``permission``)."""
        if not _LOGIN.match(login):
            return "none"
        endpoint = "GET /collaborators/{username}/permission"

        def run() -> str:
            try:
                data = _expect(self._json("GET", f"/collaborators/{quote(login)}/permission"), dict, endpoint)
            except GithubException as exc:
                if exc.status == 404:
                    return "none"
                raise
            role, permission = data.get("role_name"), data.get("permission")
            if role in ("admin", "maintain", "write", "triage", "read"):
                return str(role)
            return str(permission) if permission in ("admin", "write", "read") else "none"

        return self._call(f"checking the permission of {login}", "metadata: read", run)

    def runs_for_head(self, head_sha: str) -> list[RunInfo]:
        path = "/actions/runs"
        return self._call(
            f"listing the runs of commit {head_sha[:12]}",
            "actions: read",
            lambda: [
                self._parse(f"GET {path}", _run, r)
                for r in self._pages(path, "workflow_runs", {"head_sha": head_sha}, limit=300)
            ],
        )

    def own_issues(self, marker: str, labels: tuple[str, ...]) -> list[tuple[int, str]]:
        own = self._call("listing the guard's open issues", "issues: read", lambda: self._own_issues(marker, labels))
        return [(int(i["number"]), _body(i)) for i in own]

    def set_issue_body(self, number: int, body: str) -> None:
        self._call(
            f"updating issue #{number}",
            "issues: write",
            lambda: self._json("PATCH", f"/issues/{number}", body={"body": body}),
            retry_5xx=False,
        )


def _valid_login(value: Any, endpoint: str) -> str:
    if not isinstance(value, str) or not _LOGIN.match(value):
        raise _BadAnswer(f"{endpoint} answered no valid login ({str(value)[:60]!r})")
    return value


def _run(data: dict[str, Any]) -> RunInfo:
    head_repo = data.get("head_repository") or {}
    repo = data.get("repository") or {}
    return RunInfo(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        attempt=int(data.get("run_attempt") or 1),
        status=str(data.get("status") or ""),
        conclusion=data.get("conclusion"),
        event=str(data.get("event") or ""),
        head_branch=str(data.get("head_branch") or ""),
        head_sha=str(data.get("head_sha") or ""),
        html_url=str(data.get("html_url") or ""),
        pull_requests=tuple(int(p["number"]) for p in data.get("pull_requests") or [] if "number" in p),
        head_repository=str(head_repo.get("full_name") or ""),
        repository=str(repo.get("full_name") or ""),
        workflow_id=int(data.get("workflow_id") or 0),
        created_at=str(data.get("created_at") or ""),
        updated_at=str(data.get("updated_at") or ""),
        started_at=str(data.get("run_started_at") or ""),
        triggering_actor=str((data.get("triggering_actor") or {}).get("login") or ""),
    )


def _job(data: dict[str, Any]) -> JobInfo:
    return JobInfo(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        status=str(data.get("status") or ""),
        conclusion=data.get("conclusion"),
        run_attempt=int(data.get("run_attempt") or 1),
        html_url=str(data.get("html_url") or ""),
        steps=tuple(
            StepInfo(int(s.get("number", 0)), str(s.get("name", "")), str(s.get("status", "")), s.get("conclusion"))
            for s in data.get("steps") or []
        ),
        started_at=str(data.get("started_at") or ""),
        completed_at=str(data.get("completed_at") or ""),
    )
