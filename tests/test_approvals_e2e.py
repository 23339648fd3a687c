"""Approvals end to end: the healer posts a high-risk plan; ``/heal approve`` and ``/heal reject``
comments run the action in approval mode (``mode: approve``, an ``issue_comment`` event in
GITHUB_EVENT_PATH) against the fake GitHub server, as the runner starts it.

The fix here is a pull request adding PyYAML to requirements.txt; the config protects that file,
so the fix is high risk and waits. Every answer of the fake server is checked against GitHub's
OpenAPI description (the ``gh`` fixture of conftest).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from healing_guard.approvals import PLAN_MARKER, PlanState, plan_marker, read_plan, render
from healing_guard.history.github_trail import GitHubTrail
from healing_guard.simulator import FakeGitHub

from .runner import FAST_CONFIG, ActionRun, run_action
from .test_action_e2e import MISSING_YAML, failed_run, heal
from .test_history_recording import client as recording_client

CONFIG = FAST_CONFIG + "approvals:\n  protected_paths: [requirements.txt]\n"


def api(gh: FakeGitHub, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    """A request with the guard's own token (what the guard itself could have done earlier)."""
    response = requests.request(
        method,
        f"{gh.url}/repos/{gh.full_name}{path}",
        json=body,
        headers={"Authorization": f"token {gh.token}"},
        timeout=10,
    )
    assert response.status_code < 300, response.text
    return response


def fix_pulls(gh: FakeGitHub) -> list[dict[str, Any]]:
    # the fix branch is healing-guard/<branch>/fix-<signature>
    return [p for p in gh.pulls.values() if re.match(r"healing-guard/.+/fix-", str(p["head"]["ref"]))]


def plan_comments(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [c for c in gh.comments.values() if PLAN_MARKER in c["body"]]


def comment_event(gh: FakeGitHub, number: int, comment: dict[str, Any], action: str = "created") -> dict[str, Any]:
    return {
        "action": action,
        "issue": api(gh, "GET", f"/issues/{number}").json(),
        "comment": comment,
        "repository": {"full_name": gh.full_name},
        "sender": comment["user"],
    }


def command(
    gh: FakeGitHub,
    tmp_path: Path,
    body: str,
    *,
    user: str = "maintainer",
    number: int = 7,
    action: str = "created",
    name: str = "approve",
    dry_run: bool = False,
) -> ActionRun:
    comment = gh.add_comment(number, body, user=user)
    return run_action(
        gh,
        tmp_path / name,
        inputs={"mode": "approve", "dry-run": "true" if dry_run else "false"},
        event=comment_event(gh, number, comment, action),
        event_name="issue_comment",
        config=CONFIG,
    )


@pytest.fixture
def planned(gh: FakeGitHub, tmp_path: Path) -> dict[str, Any]:
    """A failed run whose fix waits for approval: the plan is posted on pull request #7."""
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    gh.add_collaborator("maintainer", "maintain")
    run = failed_run(gh, {"test": MISSING_YAML})
    result = heal(gh, tmp_path, run, config=CONFIG)
    assert result.returncode == 0, result.stderr
    assert "approval" in result.outputs["action"].split(",")
    assert fix_pulls(gh) == []  # nothing done on its own
    plans = plan_comments(gh)
    assert len(plans) == 1 and plans[0]["user"]["login"] == gh.identity
    plan = read_plan(plans[0]["body"])
    assert plan is not None and plan.state == "pending" and [s[0] for s in plan.steps] == ["fix-pr"]
    assert plan.expires - time.time() == pytest.approx(24 * 3600, abs=120)
    assert "waiting" in result.summary and "protected path requirements.txt" in result.summary
    return run


def test_approve_carries_out_the_plan_once(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    result = command(gh, tmp_path, "Looks right.\n\n/heal approve\n")
    assert result.returncode == 0, result.stderr
    pulls = fix_pulls(gh)
    assert len(pulls) == 1 and gh.file("requirements.txt", pulls[0]["head"]["ref"]) == "requests==2.32.3\nPyYAML\n"
    plan = read_plan(plan_comments(gh)[0]["body"])
    assert plan is not None and (plan.state, plan.by) == ("approved", "maintainer")
    assert "Approved** by @maintainer" in plan_comments(gh)[0]["body"]
    assert result.outputs["action"] == "fix-pr" and result.outputs["healed"] == "true"
    # the audit trail keeps who approved what, beside the plan that waited for it
    trail = GitHubTrail(recording_client(gh)).read().records
    decisions = {(r.action, r.result) for r in trail if r.kind == "decision"}
    assert ("approved", "maintainer") in decisions and ("waiting", "") in decisions, decisions
    assert "approved" in result.summary and "maintainer" in result.summary
    assert "| acted | the guard | fix-pr: opened" in result.summary
    replies = [c for c in gh.comments.values() if "healing-guard:reply-to" in c["body"]]
    assert len(replies) == 1 and "Approved by @maintainer" in replies[0]["body"]
    # the permission was asked from the API
    assert any(r.path.endswith("/collaborators/maintainer/permission") for r in gh.requests)

    # a second approval does nothing but say so
    gh.reset_requests()
    again = command(gh, tmp_path, "/heal approve", name="again")
    assert again.returncode == 0, again.stderr
    assert len(fix_pulls(gh)) == 1
    assert not [r for r in gh.writes() if "/pulls" in r.path or "/git/" in r.path or "/contents/" in r.path]
    assert "already approved" in again.summary
    assert again.outputs["action"] == "none"


def test_reject_does_nothing_and_says_who(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    result = command(gh, tmp_path, "/heal reject")
    assert result.returncode == 0, result.stderr
    assert fix_pulls(gh) == []
    plan = read_plan(plan_comments(gh)[0]["body"])
    assert plan is not None and (plan.state, plan.by) == ("rejected", "maintainer")
    assert "rejected" in result.summary
    # an approval after the rejection changes nothing
    later = command(gh, tmp_path, "/heal approve", name="later")
    assert fix_pulls(gh) == [] and "already rejected" in later.summary


def test_commenter_without_write_permission_is_refused(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    gh.add_collaborator("triager", "triage")
    for user in ("triager", "passer-by"):
        result = command(gh, tmp_path, "/heal approve", user=user, name=user)
        assert result.returncode == 0, result.stderr
        assert "refused" in result.summary and "write access is needed" in result.summary
    assert fix_pulls(gh) == []
    plan = read_plan(plan_comments(gh)[0]["body"])
    assert plan is not None and plan.state == "pending"


def test_expired_plan_is_not_carried_out(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    # the same plan, posted by the guard 25 hours ago (its own comment, its own marker)
    posted = plan_comments(gh)[0]
    plan = read_plan(posted["body"])
    assert plan is not None
    old = PlanState(
        plan.run, plan.attempt, plan.workflow, plan.steps, plan.signature, plan.issue, int(time.time()) - 3600
    )
    api(gh, "PATCH", f"/issues/comments/{posted['id']}", {"body": render(old, "the plan\n")})
    result = command(gh, tmp_path, "/heal approve")
    assert result.returncode == 0, result.stderr
    assert fix_pulls(gh) == []
    assert read_plan(plan_comments(gh)[0]["body"]).state == "expired"  # type: ignore[union-attr]
    assert "expired" in result.summary


def test_a_newer_attempt_or_run_supersedes_the_plan(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    # someone pushed nothing new but the workflow ran again for the same commit
    gh.add_run(name="CI", head_branch="feature/cart", head_sha=planned["head_sha"], event="pull_request")
    result = command(gh, tmp_path, "/heal approve")
    assert result.returncode == 0, result.stderr
    assert fix_pulls(gh) == []
    assert "newer run" in result.summary and "superseded" in result.summary
    assert read_plan(plan_comments(gh)[0]["body"]).state == "superseded"  # type: ignore[union-attr]


def test_a_newer_attempt_of_the_run_supersedes_the_plan(
    gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]
) -> None:
    api(gh, "POST", f"/actions/runs/{planned['id']}/rerun-failed-jobs")  # re-run by hand, failed again
    gh.complete_attempt(planned["id"], "failure")
    result = command(gh, tmp_path, "/heal approve")
    assert fix_pulls(gh) == []
    assert "attempt 2 now" in result.summary


def test_a_plan_forged_by_another_user_is_ignored(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    gh.add_collaborator("mallory", "write")
    genuine = plan_comments(gh)[0]
    plan = read_plan(genuine["body"])
    assert plan is not None
    api(gh, "DELETE", f"/issues/comments/{genuine['id']}")  # the guard's plan is gone; a look-alike remains
    gh.add_comment(7, genuine["body"], user="mallory")
    result = command(gh, tmp_path, "/heal approve")
    assert result.returncode == 0, result.stderr
    assert fix_pulls(gh) == []
    assert "no plan" in result.summary and "not plans" in result.summary


@pytest.mark.parametrize(
    ("body", "user", "action", "why"),
    [
        ("> /heal approve\n\nquoting the bot", "maintainer", "created", "holds no /heal approve"),
        ("```\n/heal approve\n```", "maintainer", "created", "holds no /heal approve"),
        ("    /heal approve", "maintainer", "created", "holds no /heal approve"),
        ("please `/heal approve` this", "maintainer", "created", "holds no /heal approve"),
        ("/heal approve", "maintainer", "edited", "only a new comment"),
        ("/heal approve", "renovate[bot]", "created", "by a bot"),
    ],
)
def test_comments_that_are_not_commands_are_ignored(
    gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any], body: str, user: str, action: str, why: str
) -> None:
    gh.reset_requests()
    result = command(gh, tmp_path, body, user=user, action=action)
    assert result.returncode == 0, result.stderr
    assert why in result.stdout
    assert gh.writes() == [] and fix_pulls(gh) == []


def test_a_dry_run_approval_changes_nothing(gh: FakeGitHub, tmp_path: Path, planned: dict[str, Any]) -> None:
    gh.reset_requests()
    result = command(gh, tmp_path, "/heal approve", dry_run=True)
    assert result.returncode == 0, result.stderr
    assert gh.writes() == [] and fix_pulls(gh) == []
    assert "dry run" in result.summary


def test_approval_mode_needs_an_issue_comment_event(gh: FakeGitHub, tmp_path: Path) -> None:
    result = run_action(gh, tmp_path / "ws", inputs={"mode": "approve"}, event={}, event_name="push")
    assert result.returncode == 1
    assert "mode: approve needs an issue_comment event" in result.stdout
    bad = run_action(gh, tmp_path / "ws2", inputs={"mode": "aprove"}, event={}, event_name="push")
    assert bad.returncode == 1 and "Did you mean mode: approve?" in bad.stdout


def test_without_a_pull_request_the_plan_goes_on_the_escalation_issue(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    gh.add_collaborator("maintainer", "admin")
    config = CONFIG + "strategies:\n  python-module-not-found:\n    risk: high\n"
    run = failed_run(gh, {"test": MISSING_YAML}, pr=False)
    result = heal(gh, tmp_path, run, config=config)
    assert result.returncode == 0, result.stderr
    issues = [i for i in gh.issues.values() if i.get("pull_request") is None]
    assert len(issues) == 1
    plans = plan_comments(gh)
    assert len(plans) == 1 and plans[0]["issue_url"].endswith(f"/issues/{issues[0]['number']}")
    comment = gh.add_comment(issues[0]["number"], "/heal approve", user="maintainer")
    approved = run_action(
        gh,
        tmp_path / "approve",
        inputs={"mode": "approve"},
        event=comment_event(gh, issues[0]["number"], comment),
        event_name="issue_comment",
        config=config,
    )
    assert approved.returncode == 0, approved.stderr
    assert len(fix_pulls(gh)) == 1
    assert plan_marker(run["id"], 1) in plan_comments(gh)[0]["body"]
