"""What the engine needs from a CI provider, as plain dataclasses and one protocol.

``github_api.GitHubClient`` is the GitHub implementation; a GitLab one can follow without the
engine changing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class StepInfo:
    number: int
    name: str
    status: str
    conclusion: str | None


@dataclass(frozen=True)
class RunInfo:
    id: int
    name: str
    attempt: int
    status: str
    conclusion: str | None
    event: str
    head_branch: str
    head_sha: str
    html_url: str
    pull_requests: tuple[int, ...] = ()
    head_repository: str = ""
    repository: str = ""
    #: The workflow's id (0: unknown); keys the guard's pull request comment per workflow.
    workflow_id: int = 0
    #: When the run was created, and when this attempt last changed (its completion, once
    #: completed): ISO 8601, "" when unknown. The trail's times come from them.
    created_at: str = ""
    updated_at: str = ""
    #: When this attempt started (GitHub's ``run_started_at``, reset on a re-run); "" when unknown.
    started_at: str = ""
    #: Who started this attempt (GitHub's ``triggering_actor``: for a re-run, who asked for it; a
    #: re-run requested with a workflow's ``GITHUB_TOKEN`` shows ``github-actions[bot]``); "" when unknown.
    triggering_actor: str = ""


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    conclusion: str | None
    run_attempt: int
    html_url: str
    steps: tuple[StepInfo, ...] = ()
    #: ISO 8601, "" when unknown (the job's duration in the trail)
    started_at: str = ""
    completed_at: str = ""

    @property
    def failed_step(self) -> str | None:
        for s in self.steps:
            if s.conclusion == "failure":
                return s.name
        return None


@dataclass(frozen=True)
class CacheInfo:
    id: int
    key: str
    ref: str
    size_in_bytes: int


@dataclass(frozen=True)
class GitCommit:
    """A commit object of the Git Data API: its tree and parents."""

    sha: str
    tree: str
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: ``type`` is ``blob`` or ``tree``; ``size`` for blobs."""

    path: str
    type: str
    sha: str
    size: int | None = None


@dataclass(frozen=True)
class FileData:
    """A file read from a branch: its bytes and blob sha."""

    content: bytes
    sha: str


@dataclass(frozen=True)
class Comparison:
    """``base...head``: the files the head changed (at most ``COMPARE_FILES``), whether the list is
    complete, and who made the head's commits (account logins, "" for a commit without one)."""

    files: tuple[str, ...]
    complete: bool
    authors: tuple[str, ...]
    status: str = ""


@dataclass(frozen=True)
class Posted:
    """Something the guard wrote: an issue, a comment or a pull request."""

    number: int
    html_url: str
    created: bool


class Provider(Protocol):
    """Every call the guard makes to its CI host."""

    def get_run(self, run_id: int) -> RunInfo: ...

    def list_jobs(self, run_id: int, attempt: int) -> list[JobInfo]: ...

    def download_job_log(self, job_id: int, dest: Path) -> Path: ...

    def rerun_job(self, job_id: int) -> None: ...

    def rerun_failed_jobs(self, run_id: int) -> None: ...

    def list_caches(self, *, ref: str | None = None, key: str | None = None) -> list[CacheInfo]: ...

    def delete_cache(self, key: str, ref: str | None) -> int: ...

    def find_pull_request(self, run: RunInfo) -> int | None: ...

    def upsert_comment(self, number: int, marker: str, body: str) -> Posted:
        """Edit the guard's own comment carrying ``marker``, or post one (never anyone else's)."""
        ...

    def find_issue(self, marker: str, labels: tuple[str, ...]) -> tuple[int, str] | None:
        """The guard's own open issue carrying ``marker``: (number, body)."""
        ...

    def save_issue(
        self,
        marker: str,
        title: str,
        render: Callable[[str | None], str],
        labels: tuple[str, ...],
        assignees: tuple[str, ...],
    ) -> Posted: ...

    def get_file(self, path: str, ref: str) -> tuple[str, str] | None: ...

    def list_directory(self, path: str, ref: str) -> list[str] | None: ...

    def open_fix_pull_request(
        self, *, base: str, branch: str, files: Sequence[tuple[str, str]], message: str, title: str, body: str
    ) -> Posted:
        """Open the guard's pull request from ``branch`` with ``files`` ((path, text) each), or bring
        the open one up to date."""
        ...

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str]) -> None:
        """Start ``workflow`` on ``ref`` with ``inputs`` (a ``workflow_dispatch`` event)."""
        ...

    # -- the audit trail (issue 9): a state branch through the Git Data API, and past runs ---------

    def identity(self) -> str:
        """The account the token acts as (the author of what the guard makes)."""
        ...

    def branch_head(self, branch: str) -> str | None:
        """The commit ``branch`` points at, or None when there is no such branch."""
        ...

    def get_commit(self, sha: str) -> GitCommit: ...

    def get_tree(self, tree: str, *, recursive: bool = True) -> list[TreeEntry]:
        """A tree's entries (``tree``: a tree sha, a commit sha or a branch name)."""
        ...

    def get_blob(self, sha: str) -> bytes: ...

    def read_file(self, path: str, ref: str) -> FileData | None:
        """A file's bytes at ``ref`` (any size GitHub serves), or None when the file or ref is missing."""
        ...

    def create_blob(self, content: bytes) -> str: ...

    def create_tree(self, base_tree: str | None, changes: Mapping[str, str | None]) -> str:
        """A tree: ``base_tree`` with each path set to a blob sha, or removed (None)."""
        ...

    def create_commit(self, message: str, tree: str, parents: Sequence[str]) -> str: ...

    def create_branch(self, branch: str, sha: str) -> bool:
        """Create ``branch`` at ``sha``; False when it exists already."""
        ...

    def move_branch(self, branch: str, sha: str) -> str:
        """Fast-forward ``branch`` to ``sha`` (never forced): ``moved``, ``not_fast_forward`` (someone
        else moved it first) or ``missing`` (it was deleted)."""
        ...

    def compare(self, base: str, head: str) -> Comparison: ...

    def list_runs(self, *, created_since: str, limit: int) -> list[RunInfo]:
        """Runs created on or after the date ``created_since`` (YYYY-MM-DD), newest first, at most ``limit``."""
        ...

    def get_run_attempt(self, run_id: int, attempt: int) -> RunInfo: ...

    # -- issue 10: approvals and incidents --------------------------------------------------------

    def own_comments(self, number: int, marker: str) -> list[tuple[int, str, str]]:
        """The guard's own comments on issue/PR ``number`` carrying ``marker``: (id, body, html_url),
        oldest first (never anyone else's, whatever they carry)."""
        ...

    def collaborator_permission(self, login: str) -> str:
        """``login``'s role on the repository: admin, maintain, write, triage, read or none."""
        ...

    def runs_for_head(self, head_sha: str) -> list[RunInfo]:
        """The workflow runs of commit ``head_sha``, newest first."""
        ...

    def own_issues(self, marker: str, labels: tuple[str, ...]) -> list[tuple[int, str]]:
        """The guard's own open issues carrying ``marker``: (number, body), oldest first."""
        ...

    def set_issue_body(self, number: int, body: str) -> None: ...
