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


@dataclass(frozen=True)
class JobInfo:
    id: int
    name: str
    status: str
    conclusion: str | None
    run_attempt: int
    html_url: str
    steps: tuple[StepInfo, ...] = ()

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
