"""Decide what to do about a failed run: pure logic over dataclasses, no I/O.

Safety gates, in order, for each failed job:

1. the remediation is the strategy's default, or the config's ``strategies.<id>.action``;
2. an unknown failure, or one below the confidence threshold, gets no automatic action;
3. a deterministic failure (compile, lint, assertion…) is never re-run;
4. a timeout is re-run on the run's first attempt only;
5. no re-run beyond ``max_retries`` (``run_attempt`` says where we are): escalate instead;
6. a risk above ``max_risk`` is not automated; high risk escalates when configured;
7. on protected branches fix PRs and cache deletion become comments (``GuardConfig.gate_action``).

Then the run-level plan: caches cleared before the re-run; one ``rerun-failed-jobs`` when every
failed job is transient, else the transient jobs one by one; a comment on the pull request; one
escalation issue per failure signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .config import GuardConfig
from .models import TRANSIENT_CATEGORIES, Diagnosis, Risk
from .provider import JobInfo, RunInfo

AUTOMATIC = ("rerun", "clear-cache", "fix-pr")


@dataclass(frozen=True)
class JobDecision:
    """What the guard decided for one failed job, and why."""

    job: JobInfo
    diagnosis: Diagnosis
    action: str
    reason: str
    escalate: bool = False


@dataclass(frozen=True)
class PlannedStep:
    """One request-level remediation."""

    action: str  # rerun-job | rerun-failed-jobs | clear-cache | fix-pr | comment | escalate
    reason: str
    jobs: tuple[int, ...] = ()
    delay_seconds: float = 0.0
    signature: str = ""


@dataclass
class Plan:
    decisions: list[JobDecision] = field(default_factory=list)
    steps: list[PlannedStep] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def actions(self) -> list[str]:
        """The user-facing action names, in the vocabulary of the ``action`` output."""
        return action_names(s.action for s in self.steps)


def action_names(actions: Iterable[str]) -> list[str]:
    """Step actions as the ``action`` output names them (both re-run kinds are ``rerun``), once
    each, in order; ``["none"]`` when there are none."""
    names: list[str] = []
    for action in actions:
        name = "rerun" if action.startswith("rerun") else action
        if name not in names:
            names.append(name)
    return names or ["none"]


def backoff_delay(config: GuardConfig, attempt: int, strategy_delay: int | None) -> float:
    """Seconds to wait before re-running attempt ``attempt`` (1-based) of a run."""
    policy = config.retry
    delay = policy.backoff_seconds * policy.backoff_factor ** max(0, attempt - 1)
    delay = max(delay, float(strategy_delay or 0))
    return float(min(delay, policy.max_backoff_seconds))


def decide(
    job: JobInfo,
    diagnosis: Diagnosis,
    *,
    config: GuardConfig,
    run: RunInfo,
    max_retries: int,
    occurrences: int = 1,
) -> JobDecision:
    """The remediation for one failed job after every safety gate."""
    override = config.override(diagnosis.strategy)
    default = diagnosis.remediation.action if diagnosis.remediation else "escalate"
    action = override.action or default
    risk = Risk(override.risk or diagnosis.risk)
    transient = diagnosis.category in TRANSIENT_CATEGORIES
    retries_used = max(0, run.attempt - 1)
    escalate = False

    if diagnosis.category == "unknown":
        return JobDecision(job, diagnosis, "escalate", "no known failure pattern matched", escalate=True)
    threshold = config.min_confidence_for(diagnosis.strategy)
    if action in AUTOMATIC and diagnosis.confidence < threshold:
        return JobDecision(
            job, diagnosis, "comment", f"confidence {diagnosis.confidence:.2f} is below the threshold {threshold:.2f}"
        )
    if action == "rerun" and not transient and diagnosis.category != "test_failure":
        action = "comment"
        reason = f"{diagnosis.category} is deterministic: a re-run would fail the same way"
    elif action in ("rerun", "clear-cache") and diagnosis.category == "timeout" and run.attempt > 1:
        action, escalate = "escalate", True
        reason = "the job timed out again after a re-run"
    elif action in ("rerun", "clear-cache") and retries_used >= max_retries:
        action, escalate = "escalate", True
        reason = f"retries spent: this is attempt {run.attempt}, max-retries is {max_retries}"
    elif action in AUTOMATIC and not config.allows_risk(risk):
        escalate = risk is Risk.HIGH and config.escalation.on_high_risk
        reason = f"risk {risk.value} is above max_risk {config.max_risk.value}"
        action = "escalate" if escalate else "comment"
    else:
        reason = (
            f"{diagnosis.strategy} ({diagnosis.category}, confidence {diagnosis.confidence:.2f}, risk {risk.value})"
        )
    gated = config.gate_action(action, run.head_branch)
    if gated != action:
        reason = f"{action} is not automated on the protected branch {run.head_branch}"
        action = gated
    if action == "escalate":
        escalate = True
    if not transient and occurrences >= config.escalation.after_failures:
        escalate = True
        reason += f"; seen {occurrences} times"
    if risk is Risk.HIGH and config.escalation.on_high_risk:
        escalate = True
    return JobDecision(job, diagnosis, action, reason, escalate=escalate)


def plan_run(
    run: RunInfo,
    failed: Sequence[tuple[JobInfo, Diagnosis]],
    *,
    config: GuardConfig,
    max_retries: int,
    pull_request: int | None,
    occurrences: Mapping[str, int] | None = None,
    already_handled: bool = False,
) -> Plan:
    """The whole plan for one failed run attempt."""
    plan = Plan()
    occurrences = occurrences or {}
    for job, diagnosis in failed:
        seen = max(occurrences.get(diagnosis.signature, 0) + 1, run.attempt)
        plan.decisions.append(decide(job, diagnosis, config=config, run=run, max_retries=max_retries, occurrences=seen))

    if already_handled:
        plan.notes.append(
            f"attempt {run.attempt} of this run was already handled (the run has a newer attempt or is running "
            "again); no re-run or cache deletion is repeated"
        )
    else:
        _plan_caches_and_reruns(plan, run, config, len(failed))

    for d in plan.decisions:
        if d.action == "fix-pr":
            plan.steps.append(PlannedStep("fix-pr", d.reason, (d.job.id,), signature=d.diagnosis.signature))
    if failed and config.comment_on_pr and pull_request is not None:
        plan.steps.append(PlannedStep("comment", f"diagnosis posted on pull request #{pull_request}"))
    elif failed and pull_request is None and any(d.action == "comment" for d in plan.decisions):
        plan.notes.append("no pull request is associated with this run, so no comment is posted")
    escalated: set[str] = set()
    for d in plan.decisions:
        if d.escalate and d.diagnosis.signature not in escalated:
            escalated.add(d.diagnosis.signature)
            plan.steps.append(PlannedStep("escalate", d.reason, (d.job.id,), signature=d.diagnosis.signature))
    return plan


def _plan_caches_and_reruns(plan: Plan, run: RunInfo, config: GuardConfig, failed_count: int) -> None:
    clear = [d for d in plan.decisions if d.action == "clear-cache"]
    for d in clear:
        plan.steps.append(PlannedStep("clear-cache", d.reason, (d.job.id,), signature=d.diagnosis.signature))
    rerun = [d for d in plan.decisions if d.action in ("rerun", "clear-cache")]
    if not rerun:
        return
    strategy_delay = max((d.diagnosis.remediation.retry_delay_seconds or 0) for d in rerun if d.diagnosis.remediation)
    delay = backoff_delay(config, run.attempt, strategy_delay)
    if len(rerun) == failed_count:
        plan.steps.append(
            PlannedStep(
                "rerun-failed-jobs",
                "every failed job failed for a transient reason",
                tuple(d.job.id for d in rerun),
                delay_seconds=delay,
            )
        )
        return
    first, rest = rerun[0], rerun[1:]
    plan.steps.append(
        PlannedStep("rerun-job", f"{first.job.name}: {first.reason}", (first.job.id,), delay_seconds=delay)
    )
    if rest:
        plan.notes.append(
            "GitHub re-runs one job per attempt when jobs are picked singly; "
            + ", ".join(d.job.name for d in rest)
            + " will be re-run when the new attempt completes"
        )
