"""The records the fake GitHub keeps: plain dataclasses, one per kind of GitHub object.

``state.SimState`` owns and changes them; ``objects.Renderer`` turns them into payloads.
Times are timezone-aware UTC ``datetime``s.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class User:
    """A GitHub account (user, organisation or bot)."""

    login: str
    id: int
    type: str = "User"


@dataclass
class Step:
    """One step of a job, with the part of the log it wrote."""

    name: str
    number: int
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    log: str = ""


@dataclass
class Job:
    """One execution of a job (a re-run makes a new ``Job`` with a new id)."""

    id: int
    run_id: int
    run_attempt: int
    name: str
    status: str
    conclusion: str | None
    created_at: datetime
    started_at: datetime
    completed_at: datetime | None
    steps: list[Step]
    log: str
    labels: list[str]
    runner_id: int | None
    runner_name: str | None
    runner_group_name: str | None
    #: Step names of the execution this one was copied from (used when a re-run completes).
    step_template: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Attempt:
    """One attempt of a run."""

    number: int
    status: str
    conclusion: str | None
    created_at: datetime
    updated_at: datetime
    run_started_at: datetime
    triggering_actor: str
    job_ids: list[int] = field(default_factory=list)
    debug_logging: bool = False


@dataclass
class Outcome:
    """How a future re-run attempt ends (set with ``FakeGitHub.set_rerun_outcome``)."""

    conclusion: str
    job_conclusions: dict[str, str]
    logs: dict[str, str]
    after_polls: int


@dataclass
class Run:
    """A workflow run and all its attempts."""

    id: int
    name: str
    workflow_id: int
    path: str
    head_branch: str | None
    head_sha: str
    event: str
    display_title: str
    run_number: int
    actor: str
    head_repository: str
    check_suite_id: int
    created_at: datetime
    pull_requests: list[int | dict[str, object]]
    attempts: dict[int, Attempt] = field(default_factory=dict)
    outcomes: deque[Outcome] = field(default_factory=deque)
    active_outcome: Outcome | None = None

    @property
    def latest(self) -> Attempt:
        """The most recent attempt."""
        return self.attempts[max(self.attempts)]


@dataclass
class Cache:
    """An Actions cache entry."""

    id: int
    key: str
    ref: str
    version: str
    size_in_bytes: int
    created_at: datetime
    last_accessed_at: datetime


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = "ededed"
    description: str | None = None


@dataclass
class Issue:
    """An issue, or the issue half of a pull request (``is_pull``)."""

    number: int
    id: int
    title: str
    body: str | None
    user: str
    state: str
    labels: list[str]
    assignees: list[str]
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    state_reason: str | None = None
    closed_by: str | None = None
    is_pull: bool = False


@dataclass
class Comment:
    """A comment on an issue or pull request."""

    id: int
    issue_number: int
    body: str
    user: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Pull:
    """A pull request (its title, body, state and comments live on the matching ``Issue``)."""

    number: int
    id: int
    head_owner: str
    head_ref: str
    head_sha: str
    base_ref: str
    draft: bool
    maintainer_can_modify: bool
    merged_at: datetime | None = None


@dataclass
class Commit:
    """A commit with its whole file tree."""

    sha: str
    tree: dict[str, bytes]
    message: str
    parents: list[str]
    author_name: str
    author_email: str
    date: datetime
    #: The GitHub account the commit is attributed to (``None``: no account matches the e-mail).
    author_login: str | None = None


@dataclass
class Blob:
    """A short-lived download behind a pre-signed URL (``/_blobs/<token>``)."""

    token: str
    kind: str
    content: bytes
    content_type: str
    expires_at: float
    filename: str | None = None
    #: Serve slowly: ``(bytes per write, seconds between writes)`` (``FakeGitHub.drip_downloads``).
    drip: tuple[int, float] | None = None


@dataclass(frozen=True)
class BlobFetch:
    """One download of a pre-signed URL: did it carry a token, had it expired?"""

    token: str
    kind: str
    authorization: bool
    expired: bool
    status: int


def git_blob_sha(data: bytes) -> str:
    """The sha git gives a file's content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()
