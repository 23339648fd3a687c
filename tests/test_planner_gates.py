"""The risk gates of issue 10, by the registry's properties: high risk waits for approval, a
protected branch raises a re-run's risk one level, a protected path makes a fix high risk, and
notifications and incidents are planned beside the rest."""

from __future__ import annotations

from dataclasses import replace

from healing_guard.config import StrategyOverride
from healing_guard.planner import decide, plan_run
from healing_guard.policies import ApprovalPolicy, Channel, IncidentPolicy, PagerDuty

from .test_planner import CONFIG, RUN, diag, job

MAIN = replace(RUN, head_branch="main", event="push")
MISSING: dict[str, object] = {"module": "yaml"}
PROTECTED = replace(CONFIG, approvals=ApprovalPolicy(protected_paths=("requirements*.txt",)))
SLACK = replace(CONFIG, notifications=(Channel("slack", "SLACK_URL"),))


def test_a_protected_branch_raises_a_reruns_risk_one_level() -> None:
    low = decide(job(1), diag("network", "rerun"), config=CONFIG, run=MAIN, max_retries=3)
    assert (low.action, low.risk) == ("rerun", "medium")  # medium acts (and notifies)
    medium = decide(job(1), diag("network", "rerun", risk="medium"), config=CONFIG, run=MAIN, max_retries=3)
    assert (medium.action, medium.pending, medium.risk) == ("approval", "rerun", "high")
    assert "raised to high on the protected branch main" in medium.reason
    off = replace(CONFIG, approvals=ApprovalPolicy(raise_on_protected_branches=False))
    assert decide(job(1), diag("network", "rerun"), config=off, run=MAIN, max_retries=3).risk == "low"


def test_a_fix_touching_a_protected_path_waits_for_approval() -> None:
    d = diag("dependency_missing", "fix-pr", strategy="python-module-not-found", params=MISSING)
    assert decide(job(1), d, config=CONFIG, run=RUN, max_retries=3).action == "fix-pr"
    gated = decide(job(1), d, config=PROTECTED, run=RUN, max_retries=3)
    assert (gated.action, gated.pending) == ("approval", "fix-pr")
    # the recipe's files are known as globs before the change is made: the reason names the one hit
    assert "protected path requirements*.txt" in gated.reason
    # without approvals a protected path is above max_risk: advice only
    off = replace(PROTECTED, approvals=replace(PROTECTED.approvals, enabled=False))
    assert decide(job(1), d, config=off, run=RUN, max_retries=3).action == "comment"
    # approved: the gate is passed
    assert decide(job(1), d, config=PROTECTED, run=RUN, max_retries=3, approved=True).action == "fix-pr"


def test_the_plan_holds_one_approval_step_with_the_keys_it_will_have() -> None:
    d = diag("dependency_missing", "fix-pr", strategy="python-module-not-found", params=MISSING)
    plan = plan_run(RUN, [(job(1), d), (job(2), d)], config=PROTECTED, max_retries=3, pull_request=7)
    [approval] = [s for s in plan.steps if s.action == "approval"]
    assert approval.pending == (("fix-pr", f"fix-pr:{d.signature}@{RUN.head_branch}", (1, 2)),)
    assert "fix-pr" not in plan.actions
    approved = plan_run(RUN, [(job(1), d)], config=PROTECTED, max_retries=3, pull_request=7, approved=True)
    assert [s.key for s in approved.steps if s.action == "fix-pr"] == [f"fix-pr:{d.signature}@{RUN.head_branch}"]
    # an attempt handled already posts no plan
    late = plan_run(RUN, [(job(1), d)], config=PROTECTED, max_retries=3, pull_request=7, already_handled=True)
    assert "approval" not in late.actions


def test_the_config_can_ask_for_approval_of_a_strategy() -> None:
    cfg = replace(CONFIG, strategies={"network-strategy": StrategyOverride(action="approval")})
    d = decide(job(1), diag("network", "rerun"), config=cfg, run=RUN, max_retries=3)
    assert (d.action, d.pending) == ("approval", "rerun")
    assert decide(job(1), diag("network", "rerun"), config=cfg, run=RUN, max_retries=3, approved=True).action == "rerun"


def test_notifications_are_planned_for_medium_risk_waiting_and_escalated_only_with_channels() -> None:
    low = plan_run(RUN, [(job(1), diag("network", "rerun"))], config=SLACK, max_retries=3, pull_request=None)
    assert "notify" not in low.actions
    medium = plan_run(MAIN, [(job(1), diag("network", "rerun"))], config=SLACK, max_retries=3, pull_request=None)
    assert medium.actions == ["rerun", "notify"]
    quiet = plan_run(MAIN, [(job(1), diag("network", "rerun"))], config=CONFIG, max_retries=3, pull_request=None)
    assert "notify" not in quiet.actions
    spent = plan_run(
        replace(RUN, attempt=4), [(job(1), diag("network", "rerun"))], config=SLACK, max_retries=3, pull_request=None
    )
    assert "escalate" in spent.actions and "notify" in spent.actions


def test_an_incident_after_the_configured_number_of_failures() -> None:
    cfg = replace(CONFIG, incidents=IncidentPolicy(after_failures=2, pagerduty=PagerDuty("PD")))
    d = diag("test_failure", "comment")
    first = plan_run(RUN, [(job(1), d)], config=cfg, max_retries=3, pull_request=None)
    assert "incident" not in first.actions
    second = plan_run(RUN, [(job(1), d)], config=cfg, max_retries=3, pull_request=None, occurrences={d.signature: 1})
    [incident] = [s for s in second.steps if s.action == "incident"]
    assert incident.key == f"incident:{d.signature}" and "failed 2 times" in incident.reason
    assert "incident" not in plan_run(RUN, [(job(1), d)], config=CONFIG, max_retries=3, pull_request=None).actions
