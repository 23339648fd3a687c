"""The plan kept in the guard's comment is read back as untrusted input: anything out of shape,
edited or unknown, and it is no plan (the approval then does nothing)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from healing_guard.approvals import STATE_PREFIX, STATE_SUFFIX, PlanState, read_plan, render

PLAN = PlanState(
    run=7000000001,
    attempt=1,
    workflow=160001,
    steps=(("fix-pr", "fix-pr:3f2a9c0d1e2f3a4b", (21000000001,)), ("rerun", "rerun:7000000001/1", (1, 2))),
    signature="3f2a9c0d1e2f3a4b",
    issue=7,
    expires=1767225600,
)


def data() -> dict[str, Any]:
    body = PLAN.comment()
    parsed: dict[str, Any] = json.loads(body[len(STATE_PREFIX) : -len(STATE_SUFFIX)])
    return parsed


def test_a_plan_reads_back_as_it_was_written() -> None:
    assert read_plan(render(PLAN, "text")) == PLAN
    decided = PLAN.decided("approved", "octocat", 1767200000)
    assert read_plan(render(decided, "text")) == decided
    assert PLAN.keys == {"fix-pr:3f2a9c0d1e2f3a4b", "rerun:7000000001/1"}


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


TAMPERED: dict[str, Callable[[dict[str, Any]], None]] = {
    "later expiry": _set("expires", 1867225600),
    "another run": _set("run", 7000000002),
    "extra step": lambda d: d["steps"].append(["clear-cache", "clear-cache:x@1/1", [1]]),
    "unknown key": _set("note", "hi"),
    "missing key": lambda d: d.pop("by"),
    "bad state": _set("state", "done"),
    "bad login": _set("by", "<img src=x>"),
    "approval step": _set("steps", [["approval", "approval:1/1", [1]]]),
    "unknown remediation": _set("steps", [["deploy", "deploy:prod", [1]]]),
    "key of another remediation": _set("steps", [["fix-pr", "rerun:7000000001/1", [1]]]),
    "no steps": _set("steps", []),
    "job id text": _set("steps", [["rerun", "rerun:1/1", ["1"]]]),
    "boolean run": _set("run", True),
    "version 2": _set("v", 2),
}


@pytest.mark.parametrize("change", list(TAMPERED), ids=list(TAMPERED))
def test_a_plan_out_of_shape_is_no_plan(change: str) -> None:
    d = data()
    TAMPERED[change](d)
    assert read_plan(f"{STATE_PREFIX}{json.dumps(d)}{STATE_SUFFIX}") is None


@pytest.mark.parametrize(
    "body",
    [
        "",
        "no marker",
        STATE_PREFIX + "{not json" + STATE_SUFFIX,
        STATE_PREFIX + "[" * 100000,
        STATE_PREFIX + "[]" + STATE_SUFFIX,
    ],
)
def test_no_marker_or_broken_json_is_no_plan(body: str) -> None:
    assert read_plan(body) is None
