"""``/heal approve`` and ``/heal reject``: the comment event, read and checked, and the command in it.

The event comes from ``GITHUB_EVENT_PATH`` (an ``issue_comment`` webhook payload). Only a comment
that was just created by a person counts: an edited or deleted comment, or one by a bot (``type``
``Bot`` or a ``[bot]`` login), is ignored, so that nobody can turn an old comment into an approval
by editing it and no automation approves. The command is a line of its own, outside quoted text
(``>``) and code (fenced blocks, indented lines, inline code); the first such line counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VERBS = ("approve", "reject")
_COMMAND = re.compile(r"^/heal[ \t]+(approve|reject)(?:[ \t]+(?:run[ \t]+)?#?([0-9]{1,19}))?[ \t]*[.!]?[ \t]*$", re.I)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$")
MAX_BODY = 65536


@dataclass(frozen=True)
class CommentEvent:
    """The parts of an ``issue_comment`` event the approval mode reads."""

    action: str
    comment_id: int
    body: str
    author: str
    author_type: str
    issue_number: int
    is_pull_request: bool

    @property
    def by_bot(self) -> bool:
        return self.author_type == "Bot" or self.author.endswith("[bot]")


@dataclass(frozen=True)
class Command:
    verb: str
    #: the run the command names (``/heal approve 12345``), else None: the latest plan
    run_id: int | None = None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63 else None


def comment_event(event: Mapping[str, Any]) -> CommentEvent | str:
    """The comment event, or why the payload is not one."""
    comment, issue = event.get("comment"), event.get("issue")
    if not isinstance(comment, Mapping) or not isinstance(issue, Mapping):
        return "the event has no comment and issue objects (run approval mode on issue_comment events)"
    user = comment.get("user")
    login = user.get("login") if isinstance(user, Mapping) else None
    kind = user.get("type") if isinstance(user, Mapping) else None
    comment_id, number = _int(comment.get("id")), _int(issue.get("number"))
    body = comment.get("body")
    if comment_id is None or number is None or not isinstance(login, str) or not _LOGIN.match(login):
        return "the comment event lacks a comment id, an issue number or a valid author login"
    return CommentEvent(
        action=str(event.get("action") or ""),
        comment_id=comment_id,
        body=body[:MAX_BODY] if isinstance(body, str) else "",
        author=login,
        author_type=str(kind or ""),
        issue_number=number,
        is_pull_request=isinstance(issue.get("pull_request"), Mapping),
    )


def _unquoted_lines(body: str) -> list[str]:
    """The lines of ``body`` that are neither quoted nor code."""
    out: list[str] = []
    fence: str | None = None
    for raw in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        opened = _FENCE.match(raw)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if raw.startswith(("    ", "\t")) or raw.lstrip().startswith(">"):
            continue
        out.append(raw.strip())
    return out


def find_command(body: str) -> Command | None:
    """The first ``/heal approve|reject [run-id]`` line outside quotes and code, or None."""
    for line in _unquoted_lines(body):
        m = _COMMAND.match(line)
        if m:
            return Command(m.group(1).lower(), int(m.group(2)) if m.group(2) else None)
    return None


def ignored(event: CommentEvent) -> str | None:
    """Why this comment cannot carry a command (None when it can)."""
    if event.action != "created":
        return f"the comment was {event.action or 'changed'}, not created: only a new comment can approve or reject"
    if event.by_bot:
        return f"the comment is by a bot ({event.author}): only people approve or reject"
    return None
