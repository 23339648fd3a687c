"""The repository's trail: monthly JSON Lines shards on a branch of its own, written through the API.

The branch (``history.branch``, default ``healing-guard/state``) starts from an orphan commit (no
parent, nothing of the default branch's tree) and is never merged. Its tree is ``README.md`` (what
the branch is) and ``trail/YYYY-MM.jsonl``.

Appending is optimistic: read the branch's head, its tree and the shards the records go to; write
the shards with the new records (records whose key is there already are left out, so a retried or
repeated append adds nothing); commit on top of the head; move the branch with a fast-forward-only
update. When another guard moved the branch first, GitHub answers 422 "Update is not a fast
forward": re-read, re-apply, retry with backoff, a bounded number of times. Nobody's record is
lost, because every retry starts from what the winner wrote.

Retention: shards older than ``retention_days`` are removed in the same commit as an append (the
tree is read anyway), so nothing extra is asked of the API. A shard larger than ``shard_limit`` is
not read or extended; it is reported (``ReadResult.warnings``, ``TrailWriteError``).

A branch that is gone (deleted) is created again from an orphan commit; a branch whose tree holds
anything but the trail (someone pushed another branch onto it) is written with only the trail's
files kept, on top of what is there (nothing is forced). Both leave a note in ``notes``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Protocol

from ..errors import HealingGuardError
from ..provider import FileData, GitCommit, TreeEntry
from .records import ReadResult, TrailRecord, encode, parse_lines, shard_name
from .store import SHARD_LIMIT, TRAIL_DIR, finish, months_since, retention_cutoff

DEFAULT_BRANCH = "healing-guard/state"
DEFAULT_RETENTION_DAYS = 180
#: attempts at one append when other writers keep winning the race
MAX_ATTEMPTS = 6
README = "README.md"
README_TEXT = """# healing-guard/state

This branch holds the audit trail of the Self-Healing Pipeline Guard: one JSON object per line in
`trail/YYYY-MM.jsonl` (what the guard diagnosed, what it did, and how that turned out).

It is written by the guard through the GitHub API, starts from a commit of its own and is never
merged. Read it with `healing-guard history sync`, or check it out.
"""


class TrailWriteError(HealingGuardError):
    """The trail could not be written (after retries); the records were not stored."""


class GitStore(Protocol):
    """What the trail needs from the provider (``GitHubClient`` has it)."""

    def branch_head(self, branch: str) -> str | None: ...

    def get_commit(self, sha: str) -> GitCommit: ...

    def get_tree(self, tree: str, *, recursive: bool = True) -> list[TreeEntry]: ...

    def get_blob(self, sha: str) -> bytes: ...

    def read_file(self, path: str, ref: str) -> FileData | None: ...

    def create_blob(self, content: bytes) -> str: ...

    def create_tree(self, base_tree: str | None, changes: dict[str, str | None]) -> str: ...

    def create_commit(self, message: str, tree: str, parents: Sequence[str]) -> str: ...

    def create_branch(self, branch: str, sha: str) -> bool: ...

    def move_branch(self, branch: str, sha: str) -> str: ...


def _is_shard(path: str) -> bool:
    folder, _, name = path.partition("/")
    return folder == TRAIL_DIR and "/" not in name and name.endswith(".jsonl")


class GitHubTrail:
    """A ``Trail`` on a branch of the repository (see the module docstring)."""

    def __init__(
        self,
        store: GitStore,
        *,
        branch: str = DEFAULT_BRANCH,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        max_attempts: int = MAX_ATTEMPTS,
        backoff: float = 0.5,
        shard_limit: int = SHARD_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.store = store
        self.branch = branch
        self.retention_days = retention_days
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.shard_limit = shard_limit
        self.sleep = sleep
        self.now = now
        #: what happened that a person should know (a recreated branch, races lost, shards pruned)
        self.notes: list[str] = []
        #: how many appends lost a race and were applied again
        self.retries = 0

    # -- reading ---------------------------------------------------------------------------------

    def read(self, since: datetime | None = None) -> ReadResult:
        """Every record from ``since`` on: one request for the tree, one per shard read."""
        out = ReadResult()
        try:
            entries = self.store.get_tree(self.branch, recursive=True)
        except HealingGuardError as exc:
            if getattr(exc, "status", None) == 404:
                return out  # no branch yet: an empty trail
            raise
        shards = {e.path.split("/", 1)[1]: e for e in entries if e.type == "blob" and _is_shard(e.path)}
        for name in months_since(since, list(shards)):
            entry = shards[name]
            if entry.size is not None and entry.size > self.shard_limit:
                out.warnings.append(f"{TRAIL_DIR}/{name}: {entry.size} bytes, larger than {self.shard_limit}; not read")
                continue
            text = self.store.get_blob(entry.sha).decode("utf-8", "replace")
            out.extend(parse_lines(text, source=f"{self.branch}:{TRAIL_DIR}/{name}"))
        return finish(out, since)

    def read_month(self, moment: datetime) -> ReadResult:
        """The records of one month's shard, in one request (the Contents API); empty when the
        shard or the branch does not exist."""
        path = f"{TRAIL_DIR}/{shard_name(moment)}"
        found = self.store.read_file(path, self.branch)
        if found is None:
            return ReadResult()
        if len(found.content) > self.shard_limit:
            return ReadResult(
                warnings=[f"{path}: {len(found.content)} bytes, larger than {self.shard_limit}; not read"]
            )
        return finish(parse_lines(found.content.decode("utf-8", "replace"), source=f"{self.branch}:{path}"), None)

    # -- writing ---------------------------------------------------------------------------------

    def append(self, records: Sequence[TrailRecord]) -> None:
        """Add ``records`` (those not in the trail already), retrying lost races; ``TrailWriteError``
        when it cannot."""
        if not records:
            return
        for attempt in range(self.max_attempts):
            if attempt:
                self.retries += 1
                self.sleep(self.backoff * 2 ** (attempt - 1) * (1 + random.random()))
            if self._try_append(records):
                return
        raise TrailWriteError(
            f"the trail on branch {self.branch} could not be written: other writers moved the branch "
            f"{self.max_attempts} times in a row while this one tried; the records were not stored"
        )

    def _try_append(self, records: Sequence[TrailRecord]) -> bool:
        """One optimistic attempt; False when the branch moved (or appeared, or went) meanwhile."""
        head = self.store.branch_head(self.branch)
        entries: list[TreeEntry] = []
        base_tree: str | None = None
        if head is None:
            self._note(
                f"the trail's branch {self.branch} did not exist: it was created from an orphan commit "
                "(first use, or someone deleted it; a deleted branch's records are not in the new one)"
            )
        else:
            commit = self.store.get_commit(head)
            base_tree = commit.tree
            entries = self.store.get_tree(commit.tree, recursive=True)
        blobs = [e for e in entries if e.type == "blob"]
        foreign = [e.path for e in blobs if not _is_shard(e.path) and e.path != README]
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + (" …" if len(foreign) > 3 else "")
            self._note(
                f"the trail's branch {self.branch} held {len(foreign)} file(s) that are not the trail ({shown}): "
                "someone pushed another branch onto it. The guard's commit keeps only the trail's files; "
                "the others stay in the branch's history"
            )
            base_tree = None  # a tree of the trail's files only
        shards = {e.path: e for e in blobs if _is_shard(e.path)}
        changes: dict[str, str | None] = {}
        by_shard: dict[str, list[TrailRecord]] = {}
        for record in records:
            by_shard.setdefault(f"{TRAIL_DIR}/{shard_name(record.moment)}", []).append(record)
        for path, batch in sorted(by_shard.items()):
            text = self._shard_text(shards.get(path), path)
            have = {r.key for r in parse_lines(text).records}
            fresh = [r for r in batch if r.key not in have]
            fresh = list({r.key: r for r in reversed(fresh)}.values())[::-1]  # each key once, first wins
            if not fresh:
                continue
            if text and not text.endswith("\n"):
                text += "\n"  # a torn last line stays a line of its own (read as corrupt, counted)
            changes[path] = self.store.create_blob((text + encode(fresh)).encode("utf-8"))
        if not changes:
            return True  # every record is there already
        cutoff = f"{TRAIL_DIR}/{shard_name(retention_cutoff(self.retention_days, self.now()))}"
        expired = [p for p in shards if p < cutoff and p not in changes]
        if base_tree is None:  # a fresh tree: the README and the kept shards are named again
            keep = {p: e.sha for p, e in shards.items() if p not in expired}
            readme = next((e.sha for e in blobs if e.path == README), None) or self.store.create_blob(
                README_TEXT.encode("utf-8")
            )
            changes = {README: readme, **keep, **changes}
        else:
            changes.update({p: None for p in expired})
        tree = self.store.create_tree(base_tree, changes)
        count = sum(1 for p, s in changes.items() if s is not None and _is_shard(p) and p in by_shard)
        message = f"healing-guard: trail, {len(records)} record(s) in {count} shard(s)"
        if expired:
            message += f"; {len(expired)} shard(s) past {self.retention_days} days removed"
        sha = self.store.create_commit(message, tree, [head] if head else [])
        if head is None:
            return self.store.create_branch(self.branch, sha)
        moved = self.store.move_branch(self.branch, sha)
        if moved == "moved" and expired:
            self._note(f"retention: removed {', '.join(sorted(expired))} (older than {self.retention_days} days)")
        return moved == "moved"

    def _shard_text(self, entry: TreeEntry | None, path: str) -> str:
        if entry is None:
            return ""
        if entry.size is not None and entry.size > self.shard_limit:
            raise TrailWriteError(
                f"{path} on branch {self.branch} is {entry.size} bytes, larger than the limit of "
                f"{self.shard_limit}: the records were not added. Move the shard aside (rename it) to start afresh"
            )
        return self.store.get_blob(entry.sha).decode("utf-8", "replace")

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
