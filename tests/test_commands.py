"""``/heal approve`` and ``/heal reject`` read from a comment: outside quotes and code, a line of its
own; and which comment events can carry one at all (tests/fixtures/approvals/commands.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from healing_guard.commands import CommentEvent, comment_event, find_command, ignored

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "approvals" / "commands.json").read_text("utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[repr(c["body"])[:40] for c in CASES])
def test_the_command_is_a_line_of_its_own_outside_quotes_and_code(case: dict[str, Any]) -> None:
    found = find_command(case["body"])
    assert (found.verb if found else None, found.run_id if found else None) == (case["verb"], case["run"])


def event(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": "created",
        "issue": {"number": 7, "pull_request": {"url": "x"}},
        "comment": {"id": 2000000001, "body": "/heal approve", "user": {"login": "octocat", "type": "User"}},
    }
    data.update(changes)
    return data


def test_a_new_comment_by_a_person_counts() -> None:
    parsed = comment_event(event())
    assert isinstance(parsed, CommentEvent)
    assert (parsed.comment_id, parsed.issue_number, parsed.author, parsed.is_pull_request) == (
        2000000001,
        7,
        "octocat",
        True,
    )
    assert ignored(parsed) is None


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"action": "edited"}, "was edited, not created"),
        ({"action": "deleted"}, "was deleted"),
        ({"comment": {"id": 1, "body": "/heal approve", "user": {"login": "renovate[bot]", "type": "Bot"}}}, "bot"),
        ({"comment": {"id": 1, "body": "/heal approve", "user": {"login": "my-app", "type": "Bot"}}}, "bot"),
    ],
)
def test_edited_comments_and_bots_are_ignored(changes: dict[str, Any], why: str) -> None:
    parsed = comment_event(event(**changes))
    assert isinstance(parsed, CommentEvent)
    reason = ignored(parsed)
    assert reason is not None and why in reason


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"issue": {"number": 7}},
        event(comment={"id": "1", "body": "x", "user": {"login": "octocat"}}),
        event(comment={"id": 1, "body": "x", "user": {"login": "<script>"}}),
        event(issue={"number": True}),
    ],
)
def test_a_payload_that_is_not_a_comment_event_is_refused(payload: dict[str, Any]) -> None:
    assert isinstance(comment_event(payload), str)
