"""The hidden markers the guard puts in what it writes, and the state it keeps in its issues.

A marker says *which* comment or issue is the guard's; the author (``GitHubClient.identity``)
says *whose* it is: both must match before the guard edits anything. The comment marker is keyed
per workflow, so the guards of two workflows keep one comment each on the same pull request.

An escalation issue keeps its count in a hidden comment::

    <!-- healing-guard:state {"v":2,"occurrences":3,"attempts":[[7001,1],[7001,2],[7002,1]]} -->

Anyone with write access can edit that text, so it is read back as untrusted input: at most
``MAX_STATE_CHARS`` characters, known keys only, counts are bounded ints, attempts are pairs of
positive ints; anything else and the state is ignored (the count starts again). Nothing read
from it is ever rendered as text: run links are built by the guard from the ids.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

COMMENT_MARKER = "<!-- healing-guard:comment -->"
STATE_PREFIX = "<!-- healing-guard:state "
STATE_SUFFIX = " -->"
STATE_VERSION = 2
#: The longest state the guard reads back (its own is well under 2,000 characters).
MAX_STATE_CHARS = 4096
#: Run attempts remembered per issue (older ones drop out; one of those handled again counts again).
MAX_ATTEMPTS = 50
MAX_OCCURRENCES = 1_000_000
_MAX_ID = 2**63 - 1
_MAX_ATTEMPT = 10_000
_SIGNATURE = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")
_KEYS = frozenset({"v", "occurrences", "attempts", "runs"})  # "runs": version 1, read and dropped

Attempt = tuple[int, int]


def issue_marker(signature: str) -> str:
    """The marker of the escalation issue (and fix pull request) for one failure signature."""
    if not _SIGNATURE.match(signature):
        signature = hashlib.sha256(signature.encode("utf-8", "replace")).hexdigest()[:16]
    return f"<!-- healing-guard:signature={signature} -->"


def comment_marker(workflow_id: int, workflow_name: str = "") -> str:
    """The marker of the guard's pull request comment about one workflow (by id; by a hash of
    its name when the id is unknown)."""
    if workflow_id > 0:
        key = str(workflow_id)
    else:
        key = "name-" + hashlib.sha256(workflow_name.encode("utf-8", "replace")).hexdigest()[:12]
    return f"<!-- healing-guard:comment workflow={key} -->"


@dataclass(frozen=True)
class IssueState:
    """What an escalation issue remembers: how often, and which run attempts were counted."""

    occurrences: int = 0
    attempts: tuple[Attempt, ...] = ()

    def counted(self, run_id: int, attempt: int) -> bool:
        return (run_id, attempt) in self.attempts

    def add(self, run_id: int, attempt: int) -> IssueState:
        """This state with one more occurrence, unless that run attempt was counted already."""
        if self.counted(run_id, attempt):
            return self
        attempts = (*self.attempts, (run_id, attempt))[-MAX_ATTEMPTS:]
        return IssueState(min(self.occurrences + 1, MAX_OCCURRENCES), attempts)

    def comment(self) -> str:
        """The hidden comment that keeps this state in an issue body."""
        data = {"v": STATE_VERSION, "occurrences": self.occurrences, "attempts": [list(a) for a in self.attempts]}
        return f"{STATE_PREFIX}{json.dumps(data, separators=(',', ':'))}{STATE_SUFFIX}"

    def run_links(self, run_html_url: str) -> list[str]:
        """One line per counted attempt, built from the ids (``run_html_url`` is the current run's
        link, from the API: the others are made beside it)."""
        base = run_html_url.rsplit("/actions/runs/", 1)[0] if "/actions/runs/" in run_html_url else ""
        if not base:
            return [f"run {run_id} (attempt {attempt})" for run_id, attempt in self.attempts]
        return [
            f"{base}/actions/runs/{run_id}/attempts/{attempt} (attempt {attempt})" for run_id, attempt in self.attempts
        ]


def read_state(body: str | None) -> IssueState:
    """The validated state kept in ``body``; an empty state when there is none or it is invalid."""
    text = body or ""
    start = text.find(STATE_PREFIX)
    if start < 0:
        return IssueState()
    start += len(STATE_PREFIX)
    end = text.find(STATE_SUFFIX, start, start + MAX_STATE_CHARS + len(STATE_SUFFIX))
    if end < 0:
        return IssueState()
    try:
        data = json.loads(text[start:end])
    except (ValueError, RecursionError):
        return IssueState()
    return _validated(data) or IssueState()


def _validated(data: Any) -> IssueState | None:
    if not isinstance(data, dict) or not set(data) <= _KEYS:
        return None
    occurrences = data.get("occurrences", 0)
    if not _is_int(occurrences, 0, MAX_OCCURRENCES):
        return None
    raw = data.get("attempts", [])
    if not isinstance(raw, list) or len(raw) > MAX_ATTEMPTS:
        return None
    attempts: list[Attempt] = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2):
            return None
        run_id, attempt = pair
        if not (_is_int(run_id, 1, _MAX_ID) and _is_int(attempt, 1, _MAX_ATTEMPT)):
            return None
        if (run_id, attempt) not in attempts:
            attempts.append((run_id, attempt))
    runs = data.get("runs", [])
    if not isinstance(runs, list) or len(runs) > MAX_ATTEMPTS:
        return None
    if len(attempts) > occurrences:
        return None
    return IssueState(occurrences, tuple(attempts))


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def occurrences_before(body: str | None, run_id: int, attempt: int) -> int:
    """How often the failure was seen *before* this run attempt: handling the same attempt
    again sees the same count as the first time (for the planner's thresholds)."""
    state = read_state(body)
    return state.occurrences - 1 if state.counted(run_id, attempt) else state.occurrences
