"""Guards running at the same time against one repository (issue 7, defect 7).

Two (or more) guards that handle failures at once must leave one escalation issue and one pull
request comment, with the count right: one per distinct run attempt. Threads that release their
writes together through a barrier make the race as tight as it gets; the end-to-end test starts
the action twice as the runner does, in two processes, at the same time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.github_api import GitHubClient
from healing_guard.markers import comment_marker, issue_marker, read_state
from healing_guard.simulator import FakeGitHub, timestamp_log
from tests.runner import ActionRun, run_action, workflow_run_event
from tests.test_action_e2e import NETWORK

MARKER = issue_marker("0123456789abcdef")
COMMENT = comment_marker(160001)
ROUNDS = 5


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
        assert server.errors == [], server.errors[0]


def at_once(count: int, work: Callable[[int], object]) -> None:
    """Run ``work(i)`` in ``count`` threads released together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            work(i)
        except BaseException as exc:  # collected for the main thread
            failures.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures[0]


def clients(gh: FakeGitHub, count: int) -> list[GitHubClient]:
    made = [
        GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda _: None)
        for _ in range(count)
    ]
    for client in made:
        client.identity()  # asked before the race, so the writes start together
    return made


def render_for(run_id: int, attempt: int) -> Callable[[str | None], str]:
    def render(previous: str | None) -> str:
        state = read_state(previous).add(run_id, attempt)
        return f"{MARKER}\n{state.comment()}\nseen {state.occurrences}"

    return render


def open_issues(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [i for i in gh.issues.values() if i["state"] == "open"]


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_two_guards_on_two_runs_leave_one_issue_counting_both(round_: int, gh: FakeGitHub) -> None:
    racers = clients(gh, 2)
    at_once(2, lambda i: racers[i].save_issue(MARKER, "CI failure", render_for(7001 + i, 1), ("ci-failure",), ()))
    issues = open_issues(gh)
    assert len(issues) == 1, [i["number"] for i in issues]
    assert read_state(issues[0]["body"]).occurrences == 2


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_four_guards_on_one_attempt_leave_one_issue_counting_once(round_: int, gh: FakeGitHub) -> None:
    racers = clients(gh, 4)
    at_once(4, lambda i: racers[i].save_issue(MARKER, "CI failure", render_for(7001, 1), ("ci-failure",), ()))
    issues = open_issues(gh)
    assert len(issues) == 1 and read_state(issues[0]["body"]).occurrences == 1


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_four_guards_leave_one_comment(round_: int, gh: FakeGitHub) -> None:
    gh.add_pull(head_ref="feature/x", number=7)
    racers = clients(gh, 4)
    at_once(4, lambda i: racers[i].upsert_comment(7, COMMENT, f"{COMMENT}\nguard {i}"))
    comments = list(gh.comments.values())
    assert len(comments) == 1 and comments[0]["body"].startswith(f"{COMMENT}\nguard ")


# --------------------------------------------------------------------------- the action, twice at once


def failed_run(gh: FakeGitHub, pull: int) -> dict[str, Any]:
    """A failed pull request run on its 4th attempt (retries spent: the guard escalates and comments)."""
    run = gh.add_run(
        name="CI",
        head_branch="feature/cart",
        head_sha=gh.refs.get("refs/heads/feature/cart"),
        event="pull_request",
        run_attempt=4,
        pull_requests=[pull],
    )
    gh.add_job(
        run["id"],
        "install",
        conclusion="failure",
        log=timestamp_log(NETWORK),
        steps=[("Set up job", "success"), ("Run tests", "failure"), ("Complete job", "success")],
    )
    return gh.run(run["id"])


def heal_together(gh: FakeGitHub, tmp_path: Path, runs: list[dict[str, Any]]) -> list[ActionRun]:
    results: list[ActionRun | None] = [None] * len(runs)

    def heal(i: int) -> None:
        results[i] = run_action(
            gh, tmp_path / f"ws{i}", event=workflow_run_event(gh, runs[i]), inputs={"max-retries": "3"}
        )

    at_once(len(runs), heal)
    done = [r for r in results if r is not None]
    for result in done:
        assert result.returncode == 0, result.stderr
        assert "escalate" in result.outputs["action"].split(","), result.outputs
    return done


def test_two_guard_processes_on_the_same_attempt(gh: FakeGitHub, tmp_path: Path) -> None:
    pull = gh.add_pull(head_ref="feature/cart", number=7)
    run = failed_run(gh, int(pull["number"]))
    heal_together(gh, tmp_path, [run, run])
    issues = open_issues(gh)
    assert len(issues) == 1 and "seen **1** time" in issues[0]["body"]
    assert len(gh.comments) == 1


def test_two_guard_processes_on_two_runs(gh: FakeGitHub, tmp_path: Path) -> None:
    pull = gh.add_pull(head_ref="feature/cart", number=7)
    runs = [failed_run(gh, int(pull["number"])), failed_run(gh, int(pull["number"]))]
    heal_together(gh, tmp_path, runs)
    issues = open_issues(gh)
    assert len(issues) == 1 and "seen **2** times" in issues[0]["body"], [i["body"][:300] for i in issues]
    assert len(gh.comments) == 1
