"""The one module that talks to GitHub.

PyGithub underneath (its objects where it has them; its requester for the endpoints it lacks:
per-attempt jobs, job re-runs, caches). Every call goes through ``_call``, which owns the retry
and rate-limit policy and turns PyGithub's exceptions into the guard's ``GitHubError`` family with
a message that says what was being done and how to fix it. Everything returned is a plain
dataclass from ``provider``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.GithubObject import NotSet

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
from .provider import CacheInfo, JobInfo, Posted, RunInfo, StepInfo

T = TypeVar("T")

#: The largest job log the guard downloads; the rest is cut (the failure is usually near the end,
#: so the *last* part would be better, but storage URLs do not always honour Range requests).
MAX_LOG_BYTES = 512 << 20
MAX_SERVER_RETRIES = 3
MAX_RATE_LIMIT_RETRIES = 3
NOT_ELIGIBLE = ("already running", "cannot be retried", "cannot be rerun", "cannot be re-run")
DOCS = "https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication"


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
    ) -> None:
        self.repository = repository
        self.api_url = api_url.rstrip("/")
        self._gh = Github(
            auth=Auth.Token(token) if token else None,
            base_url=self.api_url,
            timeout=int(timeout),
            retry=None,  # our own policy below: bounded waits, clear errors
            seconds_between_requests=0,
            seconds_between_writes=seconds_between_writes,
            per_page=100,
            lazy=True,  # objects are built from what we already know; no GET before each write
        )
        self._repo_path = f"/repos/{repository}"
        self._max_wait = max_rate_limit_wait
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._timeout = timeout
        self.calls = 0

    # -- the policy --------------------------------------------------------------------------

    def _call(self, what: str, permission: str | None, fn: Callable[[], T], *, retry_5xx: bool = True) -> T:
        server_tries = rate_tries = 0
        while True:
            self.calls += 1
            try:
                return fn()
            except GithubException as exc:
                headers = dict(exc.headers or {})
                if _is_rate_limit(exc.status, headers, exc.data):
                    wait = self._rate_limit_wait(headers, rate_tries)
                    if wait is None or rate_tries >= MAX_RATE_LIMIT_RETRIES:
                        raise self._rate_limit_error(what, headers, wait) from exc
                    rate_tries += 1
                    self._sleep(wait)
                    continue
                if exc.status >= 500 and retry_5xx and server_tries < MAX_SERVER_RETRIES:
                    server_tries += 1
                    self._sleep(self._backoff * 2 ** (server_tries - 1))
                    continue
                raise self._translate(exc, what, permission) from exc
            except requests.RequestException as exc:
                if retry_5xx and server_tries < MAX_SERVER_RETRIES:
                    server_tries += 1
                    self._sleep(self._backoff * 2 ** (server_tries - 1))
                    continue
                raise GitHubError(f"{what}: could not reach {self.api_url} ({exc})", operation=what) from exc

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

    def _rate_limit_error(self, what: str, headers: dict[str, Any], wait: float | None) -> GitHubRateLimitError:
        lower = {k.lower(): str(v) for k, v in headers.items()}
        when = ""
        if lower.get("x-ratelimit-reset", "").isdigit():
            reset = datetime.fromtimestamp(int(lower["x-ratelimit-reset"]), tz=timezone.utc)
            when = f"; the limit resets at {reset:%H:%M} UTC"
        waited = "" if wait is None else " after retrying"
        return GitHubRateLimitError(
            f"{what}: GitHub's API rate limit was hit{waited}{when}. The GITHUB_TOKEN allows 1,000 requests "
            "an hour per repository; the guard gave up rather than hold the job. It will act on the next failure.",
            status=403,
            operation=what,
        )

    def _translate(self, exc: GithubException, what: str, permission: str | None) -> GitHubError:
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
            return GitHubServerError(
                f"{what}: GitHub answered {status} {message} and kept failing after {MAX_SERVER_RETRIES} retries; "
                "see https://www.githubstatus.com",
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
        while True:
            params = {**(parameters or {}), "per_page": 100, "page": page}
            data = self._json("GET", path, params)
            items = data.get(key, []) if key else data
            yield from items
            seen += len(items)
            if len(items) < 100 or seen >= limit:
                return
            page += 1

    @property
    def _repo(self) -> Any:
        return self._gh.get_repo(self.repository)

    # -- runs, jobs and logs --------------------------------------------------------------------

    def get_run(self, run_id: int) -> RunInfo:
        data = self._call(
            f"reading workflow run {run_id}", "actions: read", lambda: self._json("GET", f"/actions/runs/{run_id}")
        )
        return _run(data)

    def list_jobs(self, run_id: int, attempt: int) -> list[JobInfo]:
        jobs = self._call(
            f"listing the jobs of run {run_id} attempt {attempt}",
            "actions: read",
            lambda: list(self._pages(f"/actions/runs/{run_id}/attempts/{attempt}/jobs", "jobs")),
        )
        return [_job(j) for j in jobs]

    def download_job_log(self, job_id: int, dest: Path) -> Path:
        """Fetch the log's short-lived storage URL, then download it without the token."""
        what = f"downloading the log of job {job_id}"

        def location() -> str:
            headers, _ = self._gh.requester.requestBlobAndCheck(
                "GET", f"{self.api_url}{self._repo_path}/actions/jobs/{job_id}/logs"
            )
            loc = {k.lower(): v for k, v in headers.items()}.get("location")
            if not loc:
                raise GitHubError(f"{what}: GitHub gave no log location", operation=what)
            return str(loc)

        def fetch() -> Path:
            url = self._call(what, "actions: read", location)
            with requests.get(url, stream=True, timeout=self._timeout) as response:  # no Authorization header
                if response.status_code != 200:
                    raise GitHubError(
                        f"{what}: the log storage answered {response.status_code}", status=response.status_code
                    )
                written = 0
                with dest.open("wb") as out:
                    for chunk in response.iter_content(1 << 20):
                        out.write(chunk[: MAX_LOG_BYTES - written])
                        written += len(chunk)
                        if written >= MAX_LOG_BYTES:
                            break
            return dest

        try:
            return fetch()
        except requests.RequestException as exc:
            raise GitHubError(f"{what}: the download failed ({exc})", operation=what) from exc

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
        items = self._call(
            "listing the Actions caches",
            "actions: read",
            lambda: list(self._pages("/actions/caches", "actions_caches", params)),
        )
        return [
            CacheInfo(int(c["id"]), str(c["key"]), str(c.get("ref", "")), int(c.get("size_in_bytes", 0))) for c in items
        ]

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
        return int(data.get("total_count", len(data.get("actions_caches", [])))) if isinstance(data, dict) else 0

    # -- pull requests, comments, issues --------------------------------------------------------

    def find_pull_request(self, run: RunInfo) -> int | None:
        if run.pull_requests:
            return run.pull_requests[0]
        if run.event not in ("pull_request", "pull_request_target") or not run.head_branch:
            return None
        owner = (run.head_repository or self.repository).split("/")[0]
        pulls = self._call(
            f"looking up the pull request of {owner}:{run.head_branch}",
            "pull-requests: read",
            lambda: self._json("GET", "/pulls", {"state": "open", "head": f"{owner}:{run.head_branch}"}),
        )
        for p in pulls:
            if p.get("head", {}).get("sha") == run.head_sha:
                return int(p["number"])
        return int(pulls[0]["number"]) if pulls else None

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        what = f"commenting on pull request #{number}"

        def run() -> Posted:
            issue = self._repo.get_issue(number)
            for comment in issue.get_comments():
                if marker in (comment.body or ""):
                    comment.edit(body)
                    return Posted(int(comment.id), str(comment.html_url), created=False)
            created = issue.create_comment(body)
            return Posted(int(created.id), str(created.html_url), created=True)

        return self._call(what, "issues: write", run, retry_5xx=False)

    def find_issue(self, marker: str, labels: tuple[str, ...]) -> tuple[int, str] | None:
        def run() -> tuple[int, str] | None:
            issues = self._repo.get_issues(state="open", labels=list(labels) if labels else NotSet)
            for n, issue in enumerate(issues):
                if n >= 500:
                    break
                if issue.pull_request is None and marker in (issue.body or ""):
                    return int(issue.number), str(issue.body or "")
            return None

        return self._call("looking for an open escalation issue", "issues: read", run)

    def save_issue(
        self, number: int | None, title: str, body: str, labels: tuple[str, ...], assignees: tuple[str, ...]
    ) -> Posted:
        """Edit issue ``number`` (found earlier with ``find_issue``), or open a new one when None."""

        def run() -> Posted:
            repo = self._repo
            if number is not None:
                issue = repo.get_issue(number)
                issue.edit(title=title, body=body)
                return Posted(int(issue.number), str(issue.html_url), created=False)
            issue = repo.create_issue(title=title, body=body, labels=list(labels), assignees=list(assignees))
            return Posted(int(issue.number), str(issue.html_url), created=True)

        return self._call("opening or updating the escalation issue", "issues: write", run, retry_5xx=False)

    # -- files and fix pull requests ------------------------------------------------------------

    def get_file(self, path: str, ref: str) -> tuple[str, str] | None:
        """(text, blob sha) of a file at ``ref``, or None when it does not exist."""

        def run() -> tuple[str, str] | None:
            try:
                data = self._json("GET", f"/contents/{path}", {"ref": ref})
            except GithubException as exc:
                if exc.status == 404:
                    return None
                raise
            if not isinstance(data, dict) or data.get("type") != "file":
                return None
            return base64.b64decode(data.get("content", "")).decode("utf-8", "replace"), str(data["sha"])

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
        self, *, base: str, branch: str, path: str, content: str, sha: str | None, message: str, title: str, body: str
    ) -> Posted:
        """Branch from ``base``, commit ``content`` to ``path`` there, open a PR into ``base``."""

        def existing() -> Posted | None:
            owner = self.repository.split("/")[0]
            pulls = self._json("GET", "/pulls", {"state": "open", "head": f"{owner}:{branch}"})
            if pulls:
                return Posted(int(pulls[0]["number"]), str(pulls[0]["html_url"]), created=False)
            return None

        found = self._call(f"looking for an open fix pull request from {branch}", "pull-requests: read", existing)
        if found:
            return found

        def run() -> Posted:
            ref = self._json("GET", f"/git/ref/heads/{base}")
            base_sha = ref["object"]["sha"]
            try:
                self._json("POST", "/git/refs", body={"ref": f"refs/heads/{branch}", "sha": base_sha})
            except GithubException as exc:
                if exc.status != 422:  # 422: the branch exists already (an earlier, closed attempt)
                    raise
            payload: dict[str, Any] = {
                "message": message,
                "content": base64.b64encode(content.encode("utf-8")).decode("ascii"),
                "branch": branch,
            }
            if sha:
                payload["sha"] = sha
            self._json("PUT", f"/contents/{path}", body=payload)
            pr = self._json("POST", "/pulls", body={"title": title, "head": branch, "base": base, "body": body})
            return Posted(int(pr["number"]), str(pr["html_url"]), created=True)

        return self._call("opening a fix pull request", "contents: write, pull-requests: write", run, retry_5xx=False)


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
    )
