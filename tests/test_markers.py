"""Markers and the issue state the guard reads back (issue 7, defects 6 and 7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from healing_guard.markers import (
    MAX_ATTEMPTS,
    MAX_STATE_CHARS,
    IssueState,
    comment_marker,
    issue_marker,
    occurrences_before,
    read_state,
)

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "markers" / "states.json").read_text("utf-8")
)["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_state_read_back_is_validated(case: dict[str, Any]) -> None:
    state = read_state(f"{issue_marker('0123456789abcdef')}\n{case['body']}\nsome text")
    assert state.occurrences == case["occurrences"]
    assert [list(a) for a in state.attempts] == case["attempts"]
    assert read_state(case["body"]).occurrences == case["occurrences"]


def test_an_oversized_state_is_ignored() -> None:
    attempts = [[n, 1] for n in range(1, 2000)]
    body = f"<!-- healing-guard:state {json.dumps({'occurrences': 1999, 'attempts': attempts})} -->"
    assert len(body) > MAX_STATE_CHARS
    assert read_state(body) == IssueState()


def test_deep_nesting_within_the_size_cap_is_ignored() -> None:
    body = "<!-- healing-guard:state " + "[" * 2000 + "]" * 2000 + " -->"
    assert read_state(body) == IssueState()


def test_a_run_attempt_counts_once() -> None:
    state = IssueState().add(7001, 1).add(7001, 1).add(7001, 2).add(7001, 1)
    assert state.occurrences == 2 and state.attempts == ((7001, 1), (7001, 2))
    assert read_state(state.comment()) == state


def test_attempts_kept_are_bounded() -> None:
    state = IssueState()
    for run_id in range(1, MAX_ATTEMPTS + 11):
        state = state.add(run_id, 1)
    assert state.occurrences == MAX_ATTEMPTS + 10 and len(state.attempts) == MAX_ATTEMPTS
    assert read_state(state.comment()) == state


def test_run_links_are_built_from_ids_only() -> None:
    state = IssueState().add(7001, 2).add(7002, 1)
    links = state.run_links("https://github.com/o/r/actions/runs/7002")
    assert links == [
        "https://github.com/o/r/actions/runs/7001/attempts/2 (attempt 2)",
        "https://github.com/o/r/actions/runs/7002/attempts/1 (attempt 1)",
    ]
    assert state.run_links("") == ["run 7001 (attempt 2)", "run 7002 (attempt 1)"]


def test_the_comment_marker_is_per_workflow() -> None:
    assert comment_marker(160001) != comment_marker(160002)
    assert comment_marker(160001, "CI") == comment_marker(160001, "Other name")
    assert comment_marker(0, "CI") != comment_marker(0, "Lint")
    assert "-->" not in comment_marker(0, "--> @everyone")[:-3]


def test_issue_marker_cannot_be_broken_out_of() -> None:
    assert issue_marker("0123456789abcdef") == "<!-- healing-guard:signature=0123456789abcdef -->"
    hostile = issue_marker("x --> @everyone <!--")
    assert hostile.count("-->") == 1 and "@everyone" not in hostile


def test_occurrences_before_an_attempt_already_counted() -> None:
    body = IssueState().add(7001, 1).add(7001, 2).comment()
    assert occurrences_before(body, 7001, 2) == 1
    assert occurrences_before(body, 7001, 3) == 2
    assert occurrences_before(None, 7001, 1) == 0
