"""The safety gates and the run-level plan, on plain dataclasses (no HTTP)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from healing_guard.config import EscalationPolicy, GuardConfig, RetryPolicy, StrategyOverride
from healing_guard.models import Diagnosis, EvidenceLine, Remediation, Risk, SecondaryCause
from healing_guard.planner import decide, plan_run
from healing_guard.policies import ApprovalPolicy
from healing_guard.provider import JobInfo, RunInfo

RUN = RunInfo(
    id=42,
    name="CI",
    attempt=1,
    status="completed",
    conclusion="failure",
    event="pull_request",
    head_branch="feature/x",
    head_sha="a" * 40,
    html_url="https://github.com/o/r/actions/runs/42",
    head_repository="o/r",
    repository="o/r",
)
CONFIG = GuardConfig.default()


def job(n: int, name: str = "") -> JobInfo:
    return JobInfo(n, name or f"job-{n}", "completed", "failure", 1, f"https://github.com/o/r/actions/runs/42/job/{n}")


def diag(
    category: str,
    action: str,
    *,
    risk: str = "low",
    confidence: float = 0.9,
    strategy: str = "",
    params: dict[str, object] | None = None,
) -> Diagnosis:
    return Diagnosis(
        category=category,
        confidence=confidence,
        risk=risk,
        strategy=strategy or f"{category}-strategy",
        params=dict(params or {}),
        evidence=(EvidenceLine(3, "boom"),),
        failed_step="Run x",
        signature=f"sig-{category}-{strategy}",
        remediation=Remediation(action, "do the thing", recipe="python-dependency" if action == "fix-pr" else None),
    )


def test_transient_failure_is_rerun_on_first_attempt() -> None:
    d = decide(job(1), diag("network", "rerun"), config=CONFIG, run=RUN, max_retries=3)
    assert (d.action, d.escalate) == ("rerun", False)


@pytest.mark.parametrize("category", ["compile_error", "lint", "dependency_conflict", "config_env"])
def test_deterministic_failure_is_never_rerun(category: str) -> None:
    d = decide(job(1), diag(category, "rerun"), config=CONFIG, run=RUN, max_retries=3)
    assert d.action == "comment"
    assert "deterministic" in d.reason


def test_retries_spent_escalates() -> None:
    run = replace(RUN, attempt=4)
    d = decide(job(1), diag("network", "rerun"), config=CONFIG, run=run, max_retries=3)
    assert (d.action, d.escalate) == ("escalate", True)
    assert "attempt 4" in d.reason and "max-retries is 3" in d.reason
    # one retry left at attempt 3
    assert (
        decide(job(1), diag("network", "rerun"), config=CONFIG, run=replace(RUN, attempt=3), max_retries=3).action
        == "rerun"
    )


def test_max_retries_zero_never_reruns() -> None:
    assert decide(job(1), diag("network", "rerun"), config=CONFIG, run=RUN, max_retries=0).action == "escalate"


def test_timeout_is_rerun_only_on_first_occurrence() -> None:
    assert decide(job(1), diag("timeout", "rerun"), config=CONFIG, run=RUN, max_retries=3).action == "rerun"
    second = decide(job(1), diag("timeout", "rerun"), config=CONFIG, run=replace(RUN, attempt=2), max_retries=3)
    assert (second.action, second.escalate) == ("escalate", True)


def test_low_confidence_gets_no_automatic_action() -> None:
    d = decide(job(1), diag("network", "rerun", confidence=0.4), config=CONFIG, run=RUN, max_retries=3)
    assert d.action == "comment" and "below the threshold" in d.reason


def test_per_strategy_threshold_and_action_override() -> None:
    cfg = replace(CONFIG, strategies={"net": StrategyOverride(min_confidence=0.3, action="comment")})
    d = decide(job(1), diag("network", "rerun", confidence=0.4, strategy="net"), config=cfg, run=RUN, max_retries=3)
    assert d.action == "comment"


def test_high_risk_is_not_automated_and_escalates() -> None:
    # issue 10: high risk waits for a person's approval (and is escalated)
    d = decide(job(1), diag("network", "rerun", risk="high"), config=CONFIG, run=RUN, max_retries=3)
    assert (d.action, d.pending, d.escalate) == ("approval", "rerun", True)
    # without approvals, max_risk alone decides, as before
    no_approvals = replace(CONFIG, approvals=ApprovalPolicy(enabled=False))
    d = decide(job(1), diag("network", "rerun", risk="high"), config=no_approvals, run=RUN, max_retries=3)
    assert (d.action, d.escalate) == ("escalate", True)
    cfg = replace(no_approvals, escalation=replace(EscalationPolicy(), on_high_risk=False))
    quiet = decide(job(1), diag("network", "rerun", risk="high"), config=cfg, run=RUN, max_retries=3)
    assert (quiet.action, quiet.escalate) == ("comment", False)


def test_protected_branch_turns_fix_pr_and_cache_clearing_into_comments() -> None:
    main = replace(RUN, head_branch="main")
    yaml = diag("dependency_missing", "fix-pr", strategy="python-module-not-found", params={"module": "yaml"})
    assert decide(job(1), yaml, config=CONFIG, run=RUN, max_retries=3).action == "fix-pr"
    fix = decide(job(1), yaml, config=CONFIG, run=main, max_retries=3)
    assert fix.action == "comment" and "protected branch main" in fix.reason
    cache = diag("cache_corruption", "clear-cache", params={"key": "k"})
    assert decide(job(1), cache, config=CONFIG, run=RUN, max_retries=3).action == "clear-cache"
    assert decide(job(1), cache, config=CONFIG, run=main, max_retries=3).action == "comment"
    assert decide(job(1), diag("network", "rerun"), config=CONFIG, run=main, max_retries=3).action == "rerun"


def test_unknown_failure_escalates() -> None:
    d = decide(job(1), diag("unknown", "escalate", risk="high"), config=CONFIG, run=RUN, max_retries=3)
    assert (d.action, d.escalate) == ("escalate", True)


def test_deterministic_failure_escalates_after_repeated_occurrences() -> None:
    d = decide(job(1), diag("compile_error", "comment"), config=CONFIG, run=RUN, max_retries=3, occurrences=3)
    assert d.escalate and d.action == "comment"
    assert not decide(
        job(1), diag("compile_error", "comment"), config=CONFIG, run=RUN, max_retries=3, occurrences=2
    ).escalate


def test_all_transient_jobs_use_one_rerun_failed_jobs_with_backoff() -> None:
    plan = plan_run(
        RUN,
        [(job(1), diag("network", "rerun")), (job(2), diag("infrastructure", "rerun"))],
        config=CONFIG,
        max_retries=3,
        pull_request=7,
    )
    kinds = [(s.action, s.whole_run) for s in plan.steps]
    assert kinds == [("rerun", True), ("comment", False)]
    assert plan.steps[0].delay_seconds == CONFIG.retry.backoff_seconds
    assert plan.actions == ["rerun", "comment"]


def test_mixed_failure_reruns_only_the_transient_job() -> None:
    plan = plan_run(
        RUN,
        [(job(1, "lint"), diag("lint", "comment")), (job(2, "e2e"), diag("network", "rerun"))],
        config=CONFIG,
        max_retries=3,
        pull_request=None,
    )
    reruns = [s for s in plan.steps if s.remedy.implies_rerun]
    assert [(s.action, s.jobs, s.whole_run) for s in reruns] == [("rerun", (2,), False)]
    assert any("no pull request" in n for n in plan.notes)


def test_cache_corruption_clears_before_rerun() -> None:
    plan = plan_run(
        RUN,
        [(job(1), diag("cache_corruption", "clear-cache", params={"key": "pip-1"}))],
        config=CONFIG,
        max_retries=3,
        pull_request=None,
    )
    assert [s.action for s in plan.steps] == ["clear-cache", "rerun"]


def test_already_handled_attempt_gets_no_second_rerun() -> None:
    plan = plan_run(
        RUN,
        [(job(1), diag("network", "rerun")), (job(2), diag("cache_corruption", "clear-cache", params={"key": "k"}))],
        config=CONFIG,
        max_retries=3,
        pull_request=7,
        already_handled=True,
    )
    assert [s.action for s in plan.steps] == ["comment"]
    assert "already handled" in plan.notes[0]


def test_one_escalation_per_signature() -> None:
    same = diag("unknown", "escalate", risk="high")
    plan = plan_run(RUN, [(job(1), same), (job(2), same)], config=CONFIG, max_retries=3, pull_request=None)
    assert [s.action for s in plan.steps] == ["escalate"]


def delay_planned(cfg: GuardConfig, attempt: int, strategy_delay: int | None) -> float:
    d = replace(diag("network", "rerun"), remediation=Remediation("rerun", "", strategy_delay))
    plan = plan_run(replace(RUN, attempt=attempt), [(job(1), d)], config=cfg, max_retries=5, pull_request=None)
    return plan.steps[0].delay_seconds


def test_backoff_grows_and_is_capped() -> None:
    cfg = replace(
        CONFIG, retry=RetryPolicy(max_retries=5, backoff_seconds=30, backoff_factor=2.0, max_backoff_seconds=100)
    )
    assert [delay_planned(cfg, a, None) for a in (1, 2, 3, 4)] == [30, 60, 100, 100]
    assert delay_planned(cfg, 1, 90) == 90  # a strategy's own delay (e.g. a pull rate limit) wins


def test_one_backoff_formula() -> None:
    """The twin of ``RetryPolicy.delay_seconds`` in the planner gave 100 s where it gives 200 s: a
    strategy's own delay is the base the backoff grows from, as the config schema says."""
    cfg = replace(CONFIG, retry=RetryPolicy(max_retries=5, backoff_seconds=30, backoff_factor=2.0))
    assert delay_planned(cfg, 2, 100) == cfg.retry.delay_seconds(2, base=100) == 200


def test_risk_rank_order() -> None:
    assert [r.rank for r in (Risk.LOW, Risk.MEDIUM, Risk.HIGH)] == [0, 1, 2]


# -- issue 7, defect 3 (the gate side): a transient-looking line never re-runs a deterministic failure


def with_facts(
    d: Diagnosis, *, secondary: tuple[SecondaryCause, ...] = (), evidence: tuple[str, ...] = ()
) -> Diagnosis:
    lines = tuple(EvidenceLine(10 + i, text) for i, text in enumerate(evidence)) or d.evidence
    return replace(d, secondary=secondary, evidence=lines)


def reruns(d: Diagnosis, *, config: GuardConfig = CONFIG) -> list[str]:
    plan = plan_run(RUN, [(job(1), d)], config=config, max_retries=3, pull_request=None)
    return [s.action for s in plan.steps if s.action.startswith("rerun") or s.action == "clear-cache"]


def test_transient_line_beside_a_deterministic_error_is_not_rerun() -> None:
    # `npm ERR! network` beside a tsc error: the diagnosis may say network, the tsc error decides
    tsc = SecondaryCause("compile_error", "tsc-compile-error", 40, "src/a.ts(3,7): error TS2322: Type 'x'")
    d = with_facts(diag("network", "rerun", strategy="npm-network-error"), secondary=(tsc,))
    decision = decide(job(1), d, config=CONFIG, run=RUN, max_retries=3)
    assert decision.action == "comment" and "compile_error" in decision.reason
    assert reruns(d) == []


@pytest.mark.parametrize(
    ("category", "strategy", "line"),
    [
        (
            "network",
            "pip-network-error",
            "E       AssertionError: expected ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.org', port=443): "
            'Read timed out. (read timeout=15)") to be retried',
        ),
        (
            "docker_image",
            "docker-pull-rate-limit",
            "E       assert 'toomanyrequests: You have reached your pull rate limit' == ''",
        ),
        ("network", "npm-network-error", '    Expected: "npm ERR! network request failed"'),
    ],
)
def test_transient_line_inside_a_failing_tests_output_is_not_rerun(category: str, strategy: str, line: str) -> None:
    d = with_facts(diag(category, "rerun", strategy=strategy), evidence=(line,))
    decision = decide(job(1), d, config=CONFIG, run=RUN, max_retries=3)
    assert decision.action == "comment", decision.reason
    assert reruns(d) == []


def test_a_test_timeout_reported_as_a_failed_test_is_still_a_timeout() -> None:
    failed = SecondaryCause("test_failure", "jest-test-failed", 80, "✕ loads the page (5003 ms)")
    d = with_facts(diag("timeout", "rerun", strategy="js-test-timeout"), secondary=(failed,))
    assert decide(job(1), d, config=CONFIG, run=RUN, max_retries=3).action == "rerun"


def test_a_dependency_missing_after_a_network_failure_is_its_cascade() -> None:
    cascade = SecondaryCause("dependency_missing", "gradle-dependency-resolution-failed", 65, "Could not resolve all")
    d = with_facts(diag("network", "rerun", strategy="jvm-repository-unreachable"), secondary=(cascade,))
    assert decide(job(1), d, config=CONFIG, run=RUN, max_retries=3).action == "rerun"


def test_runner_lost_line_printed_by_the_job_is_not_rerun() -> None:
    lost = diag("infrastructure", "rerun", strategy="runner-lost-communication")
    printed = replace(lost, params={"exit_code": 1})  # the step's own command exited: the runner was alive
    assert decide(job(1), printed, config=CONFIG, run=RUN, max_retries=3).action == "comment"
    # the runner really went away: no exit code, or the shutdown signal's 143
    assert decide(job(1), lost, config=CONFIG, run=RUN, max_retries=3).action == "rerun"
    shutdown = replace(lost, params={"exit_code": 143})
    assert decide(job(1), shutdown, config=CONFIG, run=RUN, max_retries=3).action == "rerun"


# -- issue 7, defect 4: every gate applies to every remediation that implies a re-run


def test_clear_cache_chosen_by_the_config_never_reruns_a_compile_failure() -> None:
    cfg = replace(CONFIG, strategies={"tsc-compile-error": StrategyOverride(action="clear-cache")})
    d = diag("compile_error", "comment", strategy="tsc-compile-error", params={"key": "node-modules-abc"})
    decision = decide(job(1), d, config=cfg, run=RUN, max_retries=3)
    assert decision.action == "comment" and "deterministic" in decision.reason
    assert reruns(d, config=cfg) == []


def test_clear_cache_respects_the_retry_budget_and_a_second_timeout() -> None:
    d = diag("cache_corruption", "clear-cache", params={"key": "k"})
    spent = decide(job(1), d, config=CONFIG, run=replace(RUN, attempt=4), max_retries=3)
    assert (spent.action, spent.escalate) == ("escalate", True)
    timeout = diag("timeout", "clear-cache", params={"key": "k"})
    again = decide(job(1), timeout, config=CONFIG, run=replace(RUN, attempt=2), max_retries=3)
    assert again.action == "escalate"


# -- issue 7, defects 2 and 5 on plain data (end to end over HTTP: tests/test_executor.py)


def test_run_from_a_fork_gets_no_fix_pr_and_no_cache_deletion() -> None:
    fork = replace(RUN, head_repository="mallory/r")
    yaml = diag("dependency_missing", "fix-pr", strategy="python-module-not-found", params={"module": "yaml"})
    cache = diag("cache_corruption", "clear-cache", params={"key": "k"})
    for d in (yaml, cache):
        decision = decide(job(1), d, config=CONFIG, run=fork, max_retries=3)
        assert decision.action == "comment" and "fork mallory/r" in decision.reason
    # a pull request run whose head repository is unknown (a deleted fork) counts as a fork
    unknown = replace(RUN, head_repository="")
    assert decide(job(1), yaml, config=CONFIG, run=unknown, max_retries=3).action == "comment"
    # re-runs of a fork's run are allowed: they run the same code again, with the same token
    assert decide(job(1), diag("network", "rerun"), config=CONFIG, run=fork, max_retries=3).action == "rerun"


def test_clear_cache_without_a_key_is_advice() -> None:
    decision = decide(job(1), diag("cache_corruption", "clear-cache"), config=CONFIG, run=RUN, max_retries=3)
    assert decision.action == "comment" and "no cache key" in decision.reason


@pytest.mark.parametrize("module", ["src", "reqeusts", "tests", "app.models", "os;rm -rf", ""])
def test_fix_pr_for_a_module_that_is_not_a_well_known_distribution_is_advice(module: str) -> None:
    d = diag("dependency_missing", "fix-pr", strategy="python-module-not-found", params={"module": module})
    assert decide(job(1), d, config=CONFIG, run=RUN, max_retries=3).action == "comment"
