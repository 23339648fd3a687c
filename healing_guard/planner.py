"""Decide what to do about a failed run: pure logic over dataclasses, no I/O.

For each failed job the remediation is the strategy's default, or the config's
``strategies.<id>.action``; an unknown failure escalates. Then every gate below is applied to
whichever remediation it is, by the properties the registry (``remediations.py``) declares for
it, never by its name:

1. ``mutates_repository``: nothing below the confidence threshold, nothing above ``max_risk``
   (high risk escalates when configured);
2. ``requires``: a precondition on the diagnosis' facts (a cache key for clear-cache, an
   applicable recipe for fix-pr); when it fails the guard advises instead;
3. ``implies_rerun``: never for a deterministic failure, nor for a transient-looking line that
   sits beside a deterministic error or inside a failing test's output; a timeout only on the
   run's first attempt; never beyond ``max_retries`` (escalate instead);
4. ``on_fork``: a run whose head repository is not this repository (or is unknown) gets what
   the remediation degrades to there;
5. ``on_protected_branch``: likewise on a protected branch;
6. approval (issue 10): a remediation that ``mutates_repository`` and is high risk (the
   strategy's risk, one level up on a protected branch where it is allowed, high when it
   ``touches`` a protected path) becomes ``approval``: the plan is posted and waits for a person.

With a ``Memory`` of the trail (issue 9; without one, nothing below applies), four gates more:
a test failure whose failing tests are all known flaky is re-run (``_known_flaky``, first, so
every gate above still applies to that re-run); a remediation that ``mutates_repository`` and
keeps failing for the signature is skipped and the failure escalated (``_adaptive``); the failed
re-run a probe (``mode: recover``) started of a held run is held again, and does not count as a
retry (``_outage_goes_on``; ``_retries`` gives it back); a remediation that ``implies_rerun``
beyond the budget of re-runs per hour for one cause is escalated instead (``_brake``). The plan
also carries the tests to quarantine and each decision's learned fix.

Then the run-level plan: caches cleared before the re-run; one ``rerun-failed-jobs`` when every
failed job is to be re-run, else the first such job alone; a comment on the pull request; one
escalation issue per failure signature. Steps are keyed by the registry's idempotency key: a key
is planned once, and an attempt that was already handled gets nothing that implies a re-run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from .config import GuardConfig
from .history.flaky import FlakyTest
from .history.memory import Memory, cause_of, describe_flaky, describe_rate
from .models import TRANSIENT_CATEGORIES, Diagnosis, Risk
from .policies import higher
from .provider import JobInfo, RunInfo
from .remediations import (
    ADVICE,
    APPROVAL,
    COMMENT,
    ESCALATE,
    INCIDENT,
    NOTIFY,
    REGISTRY,
    RERUN,
    JobDecision,
    PlannedStep,
    Remedy,
    names,
)

__all__ = ["JobDecision", "Plan", "PlannedStep", "decide", "from_fork", "plan_run", "rerun_blocker"]

#: Causes that a transient failure does not bring about: found beside a transient-looking line, they
#: are what fails (a missing dependency or file is left out: a network failure does cause those).
INDEPENDENT_CAUSES: frozenset[str] = frozenset(
    {"compile_error", "lint", "test_failure", "dependency_conflict", "config_env"}
)
#: A line that belongs to a failing test's report (pytest's ``E`` lines, assertion messages,
#: jest/vitest expectations, go test and unittest failure headers).
_TEST_OUTPUT = re.compile(
    r"^\s*E\s{2,}\S"
    r"|\bAssertionError\b|\bassert(?:ion)?\b.*\b(?:failed|==|!=)"
    r"|^\s*(?:Expected|Received)(?: value)?:"
    r"|\bexpect\(.*\)\.to"
    r"|^\s*---\s+FAIL:"
    r"|^\s*(?:FAILED|FAIL|ERROR)\s+\S+(?:::|\.py|\.test\.|\.spec\.)"
    r"|^\s*[●✕×]\s"
)
#: An exit code a step's own command returns (a signal is 128 + its number).
_OWN_EXIT_CODES = range(1, 128)


@dataclass(frozen=True)
class Plan:
    decisions: tuple[JobDecision, ...] = ()
    steps: tuple[PlannedStep, ...] = ()
    notes: tuple[str, ...] = ()
    #: known flaky tests of this run above the quarantine share (with a memory only)
    quarantine: tuple[FlakyTest, ...] = ()

    @property
    def actions(self) -> list[str]:
        """The remediations planned, in the vocabulary of the ``action`` output."""
        return names(s.action for s in self.steps)


@dataclass(frozen=True)
class _Gates:
    """What the gates know about the run."""

    run: RunInfo
    config: GuardConfig
    max_retries: int
    #: a person approved this run attempt's plan (approval mode): the approval gate is passed
    approved: bool = False
    memory: Memory | None = None

    @property
    def fork(self) -> bool:
        return from_fork(self.run)

    @property
    def protected(self) -> bool:
        return bool(self.run.head_branch) and self.config.is_protected(self.run.head_branch)


@dataclass(frozen=True)
class _Verdict:
    to: str
    reason: str
    escalate: bool = False
    pending: str = ""
    #: the memory gate that decided (issue 9), else ""
    memory: str = ""
    #: the risk of what the gate chose, when it is not the strategy's (which weighs its own remediation)
    risk: Risk | None = None
    #: the brake stopped a re-run that every later gate allows (see ``JobDecision.held``)
    held: bool = False


Gate = Callable[[Remedy, Diagnosis, Risk, _Gates], "_Verdict | None"]


def from_fork(run: RunInfo) -> bool:
    """Whether the run's code comes from another repository than the one being healed.

    A pull request run whose head repository is not known (deleted fork) counts as a fork."""
    if run.head_repository and run.repository:
        return run.head_repository.lower() != run.repository.lower()
    return run.event.startswith("pull_request") and not run.head_repository


def rerun_blocker(diagnosis: Diagnosis) -> str | None:
    """Why a re-run would fail the same way (None when it may pass).

    The diagnosis' facts are read as a whole, so that a transient-looking line cannot make a
    deterministic failure transient: its category, the other causes found in the same log, the
    line's place in a failing test's output, and whether the step's own command exited."""
    category = diagnosis.category
    if category not in TRANSIENT_CATEGORIES and category != "test_failure":
        return f"{category} is deterministic: a re-run would fail the same way"
    for s in diagnosis.secondary:
        # a test that times out is reported as a failed test too: that is the same failure
        cascade = category == "timeout" and s.category == "test_failure"
        if s.category in INDEPENDENT_CAUSES and s.category != category and not cascade:
            return f"the log also shows {s.category} ({s.strategy}, line {s.line}): a re-run would fail the same way"
    if category in TRANSIENT_CATEGORIES and category != "timeout":  # a test's timeout is in its report
        for e in diagnosis.evidence:
            if _TEST_OUTPUT.search(e.text):
                return f"line {e.line} belongs to a failing test's output: the failure is the test's"
    code = diagnosis.params.get("exit_code")
    if category == "infrastructure" and isinstance(code, int) and code in _OWN_EXIT_CODES:
        return f"the step's own command exited with code {code}, so the runner was alive: not a runner failure"
    return None


# -- the gates, each on properties -------------------------------------------------------------


def _confidence(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    threshold = g.config.min_confidence_for(d.strategy)
    if remedy.mutates_repository and d.confidence < threshold:
        return _Verdict(ADVICE, f"confidence {d.confidence:.2f} is below the threshold {threshold:.2f}")
    return None


def _precondition(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    why = remedy.requires(d, g.config) if remedy.requires else None
    return _Verdict(ADVICE, f"no {remedy.name}: {why}") if why else None


def _determinism(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    why = rerun_blocker(d) if remedy.implies_rerun else None
    return _Verdict(ADVICE, why) if why else None


def _timeout_again(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    if remedy.implies_rerun and d.category == "timeout" and g.run.attempt > 1:
        return _Verdict(ESCALATE.name, "the job timed out again after a re-run", escalate=True)
    return None


def _retries(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    # the re-runs of probes that failed during an outage were the outage's, not the run's retries
    given_back = g.memory.probes_before(g.run.id, g.run.attempt) if g.memory is not None else 0
    if remedy.implies_rerun and max(0, g.run.attempt - 1 - given_back) >= g.max_retries:
        probes = f", not counting {given_back} probe re-run(s) during an outage" if given_back else ""
        return _Verdict(
            ESCALATE.name,
            f"retries spent: this is attempt {g.run.attempt}{probes}, max-retries is {g.max_retries}",
            escalate=True,
        )
    return None


def _risk(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    waits = risk is Risk.HIGH and g.config.approvals.enabled  # the approval gate takes it
    if remedy.mutates_repository and not g.config.allows_risk(risk) and not waits:
        escalate = risk is Risk.HIGH and g.config.escalation.on_high_risk
        reason = f"risk {risk.value} is above max_risk {g.config.max_risk.value}"
        return _Verdict(ESCALATE.name if escalate else ADVICE, reason, escalate=escalate)
    return None


def _fork(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    if remedy.on_fork is not None and g.fork:
        head = g.run.head_repository or "an unknown repository"
        return _Verdict(remedy.on_fork, f"{remedy.name} is not done for a run from the fork {head}")
    return None


def _protected(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    if remedy.on_protected_branch is not None and g.protected:
        return _Verdict(
            remedy.on_protected_branch,
            f"{remedy.name} is not automated on the protected branch {g.run.head_branch}",
        )
    return None


def effective_risk(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> tuple[Risk, str]:
    """The risk of carrying out ``remedy`` here, and why it is higher than the strategy's."""
    policy = g.config.approvals
    if remedy.touches is not None and policy.protected_paths:
        hit = [glob for glob in map(policy.protected_by, remedy.touches(d, g.config)) if glob is not None]
        if hit:
            return Risk.HIGH, f"it may change the protected path {hit[0]}"
    if remedy.mutates_repository and policy.raise_on_protected_branches and g.protected:
        raised = higher(risk)
        if raised is not risk:
            return raised, f"risk {risk.value} raised to {raised.value} on the protected branch {g.run.head_branch}"
    return risk, f"risk {risk.value}"


def _approval(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    if not remedy.mutates_repository or g.approved:
        return None
    effective, why = effective_risk(remedy, d, risk, g)
    if effective is not Risk.HIGH:
        return None
    if g.config.approvals.enabled:
        return _Verdict(APPROVAL.name, f"{remedy.name} waits for approval ({why})", pending=remedy.name)
    if not g.config.allows_risk(effective):
        return _Verdict(ADVICE, f"{remedy.name} is not done: {why}, above max_risk {g.config.max_risk.value}")
    return None


# -- the memory's gates (issue 9): each is a no-op without a memory -----------------------------


def _known_flaky(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    """A test failure whose failing tests are all known flaky is re-run (the gates after it still apply)."""
    m = g.memory
    if m is None or d.category != "test_failure" or remedy.mutates_repository or remedy.scope == "nothing":
        return None
    if g.config.override(d.strategy).action:  # the user chose this strategy's remediation
        return None
    flaky = m.all_flaky(d.failing_tests)
    if flaky is None:
        return None
    # a re-run of known flaky tests changes no code: it weighs as any transient re-run (low), not as
    # the test strategy's own remediation
    why = f"history: every failing test is known flaky ({describe_flaky(flaky)})"
    return _Verdict(RERUN.name, why, memory="flaky", risk=Risk.LOW)


def _adaptive(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    """A remediation that keeps failing for this signature is skipped: the failure is escalated at once."""
    m = g.memory
    futile = m.futile(d.signature, remedy.name) if m is not None and remedy.mutates_repository else None
    if futile is None:
        return None
    return _Verdict(ESCALATE.name, f"history: {describe_rate(remedy.name, futile)}", escalate=True, memory="adaptive")


def _brake(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    """The mass-failure brake: no re-run beyond the budget of re-runs per hour for one cause."""
    m = g.memory
    if m is None or not remedy.implies_rerun:
        return None
    cause = cause_of(d.category, d.signature)
    if not m.braked(cause):
        return None
    budget = m.settings.reruns_per_hour
    held = m.settings.recovers and _passes_after(_brake, remedy, d, risk, g)
    return _Verdict(
        ESCALATE.name,
        f"mass-failure brake: {m.reruns_for(cause)} re-runs for {cause} in the last hour, "
        f"the budget is {budget} per hour"
        + (
            f"; held: re-run once a run of this workflow passes again within {m.settings.recover_within_hours} h"
            if held
            else ""
        ),
        escalate=True,
        memory="brake",
        held=held,
    )


def _outage_goes_on(remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> _Verdict | None:
    """A probe re-ran this held run while no run of its workflow had passed, and the re-run failed:
    the outage goes on. The failure is held again, whatever the brake's budget, for
    ``recover_within_hours`` after the run's first hold (then the gates decide as for any failure)."""
    m = g.memory
    if m is None or not remedy.implies_rerun or not m.settings.recovers:
        return None
    since = m.held_since(g.run.id, g.run.attempt - 1)
    window = timedelta(hours=m.settings.recover_within_hours)
    if since is None or m.now >= since + window or not _passes_after(_brake, remedy, d, risk, g):
        return None
    return _Verdict(
        ESCALATE.name,
        f"the probe's re-run of held attempt {g.run.attempt - 1} failed again ({cause_of(d.category, d.signature)}): "
        f"the outage goes on; held: re-run once a run of this workflow passes again within "
        f"{m.settings.recover_within_hours} h of the first hold",
        escalate=True,
        memory="outage",
        held=True,
    )


def _passes_after(gate: Gate, remedy: Remedy, d: Diagnosis, risk: Risk, g: _Gates) -> bool:
    """Whether every gate after ``gate`` leaves ``remedy`` as it is (the brake holds only a re-run
    nothing else would have stopped: no fork, protected-branch or approval gate is bypassed later)."""
    later = GATES[GATES.index(gate) + 1 :]
    return all(later_gate(remedy, d, risk, g) is None for later_gate in later)


#: Every gate, in order; each sees the remediation the gates before it left.
GATES: tuple[Gate, ...] = (
    _known_flaky,
    _confidence,
    _precondition,
    _determinism,
    _timeout_again,
    _retries,
    _adaptive,
    _outage_goes_on,
    _brake,
    _risk,
    _fork,
    _protected,
    _approval,
)


def decide(
    job: JobInfo,
    diagnosis: Diagnosis,
    *,
    config: GuardConfig,
    run: RunInfo,
    max_retries: int,
    occurrences: int = 1,
    approved: bool = False,
    memory: Memory | None = None,
) -> JobDecision:
    """The remediation for one failed job after every safety gate."""
    override = config.override(diagnosis.strategy)
    default = diagnosis.remediation.action if diagnosis.remediation else ESCALATE.name
    chosen = override.action or default
    # `action: approval` chosen for a strategy: its own remediation, always approved by a person
    forced = chosen == APPROVAL.name
    if forced:
        chosen = default if default != APPROVAL.name else COMMENT.name
    risk = Risk(override.risk or diagnosis.risk)
    if diagnosis.category == "unknown":
        return JobDecision(job, diagnosis, ESCALATE.name, "no known failure pattern matched", escalate=True)
    remedy = REGISTRY.get(chosen)
    gates = _Gates(run, config, max_retries, approved=approved, memory=memory)
    reasons: list[str] = []
    decided: list[str] = []
    escalate = False
    held = False
    pending = ""
    if remedy is None:  # the catalogue and the config are validated; this is a guard's bug
        remedy = ESCALATE
        reasons.append(f"{chosen!r} is not a remediation the guard knows")
    for gate in GATES:
        verdict = gate(remedy, diagnosis, risk, gates)
        if verdict is not None:
            remedy = REGISTRY[verdict.to]
            reasons.append(verdict.reason)
            escalate = escalate or verdict.escalate
            pending = verdict.pending or pending
            if verdict.memory:
                decided.append(verdict.memory)
            if verdict.risk is not None:
                risk = verdict.risk
            held = held or verdict.held
    if forced and not approved and remedy is not APPROVAL:
        pending, remedy = remedy.name, APPROVAL
        reasons.append(f"the config asks for approval of {pending} for {diagnosis.strategy}")
    if not reasons:
        reasons.append(
            f"{diagnosis.strategy} ({diagnosis.category}, confidence {diagnosis.confidence:.2f}, risk {risk.value})"
        )
    if remedy is ESCALATE:
        escalate = True
    if diagnosis.category not in TRANSIENT_CATEGORIES and occurrences >= config.escalation.after_failures:
        escalate = True
        reasons.append(f"seen {occurrences} times")
    if risk is Risk.HIGH and config.escalation.on_high_risk:
        escalate = True
    acted = REGISTRY[pending] if pending else remedy
    final_risk = effective_risk(acted, diagnosis, risk, gates)[0]
    fix = memory.fix_for(diagnosis.signature) if memory is not None else None
    return JobDecision(
        job,
        diagnosis,
        remedy.name,
        "; ".join(reasons),
        escalate=escalate,
        risk=final_risk.value,
        pending=pending,
        memory=tuple(decided),
        learned_fix=fix,
        held=held,
    )


def plan_run(
    run: RunInfo,
    failed: Sequence[tuple[JobInfo, Diagnosis]],
    *,
    config: GuardConfig,
    max_retries: int,
    pull_request: int | None,
    occurrences: Mapping[str, int] | None = None,
    already_handled: bool = False,
    approved: bool = False,
    memory: Memory | None = None,
) -> Plan:
    """The whole plan for one failed run attempt (``approved``: a person approved it; ``memory``: what
    the trail says, None plans without it)."""
    occurrences = occurrences or {}
    counts = {d.signature: max(occurrences.get(d.signature, 0) + 1, run.attempt) for _, d in failed}
    decisions = tuple(
        decide(
            job,
            diagnosis,
            config=config,
            run=run,
            max_retries=max_retries,
            occurrences=counts[diagnosis.signature],
            approved=approved,
            memory=memory,
        )
        for job, diagnosis in failed
    )
    steps: list[PlannedStep] = []
    notes: list[str] = []

    def add(step: PlannedStep) -> None:
        if not step.key or all(s.key != step.key for s in steps):
            steps.append(step)

    if already_handled:
        notes.append(
            f"attempt {run.attempt} of this run was already handled (the run has a newer attempt or is running "
            "again); nothing that re-runs jobs is repeated"
        )
    # one step per job for the remediations of that scope, in the registry's order (caches are
    # cleared before the re-run they imply)
    for remedy in REGISTRY.values():
        if remedy.scope != "job" or (remedy.implies_rerun and already_handled):
            continue
        for d in decisions:
            if d.remedy is remedy:
                add(
                    PlannedStep(
                        remedy, d.reason, remedy.key(run, d.diagnosis), (d.job.id,), signature=d.diagnosis.signature
                    )
                )
    if not already_handled:
        _plan_rerun(steps, notes, decisions, run, config, len(failed))
    if failed and config.comment_on_pr and pull_request is not None:
        add(PlannedStep(COMMENT, f"diagnosis posted on pull request #{pull_request}", COMMENT.key(run, failed[0][1])))
    elif failed and pull_request is None and any(d.remedy is COMMENT for d in decisions):
        notes.append("no pull request is associated with this run, so no comment is posted")
    for d in decisions:
        if d.escalate:
            key = ESCALATE.key(run, d.diagnosis)
            add(PlannedStep(ESCALATE, d.reason, key, (d.job.id,), signature=d.diagnosis.signature))
    _plan_issue10(add, decisions, run, config, counts, already_handled)
    quarantine: tuple[FlakyTest, ...] = ()
    if memory is not None:
        notes.extend(_memory_notes(decisions, memory))
        quarantine = memory.to_quarantine(t for _, diagnosis in failed for t in diagnosis.failing_tests)
    return Plan(decisions, tuple(steps), tuple(notes), quarantine)


def _memory_notes(decisions: Sequence[JobDecision], memory: Memory) -> list[str]:
    """What the summary says about the memory's decisions: the brake, once per cause; an outage that goes on."""
    notes: list[str] = []
    for d in decisions:
        if "brake" in d.memory:
            cause = cause_of(d.diagnosis.category, d.diagnosis.signature)
            note = (
                f"mass-failure brake: the guard re-ran {memory.reruns_for(cause)} runs for {cause} in the last "
                f"hour, its budget is {memory.settings.reruns_per_hour} re-runs per hour (memory.brake."
                "reruns_per_hour); no more re-runs for this cause, the failure is escalated instead"
                + (
                    f". The held runs are re-run once a run of their workflow passes again within "
                    f"{memory.settings.recover_within_hours} h (memory.brake.recover_within_hours), "
                    f"at most {memory.settings.recover_max} at a time (memory.brake.recover_max)"
                    if d.held
                    else ""
                )
            )
            if note not in notes:
                notes.append(note)
        if "outage" in d.memory:
            note = (
                "the outage goes on: a probe's re-run of a held run failed again, so the failure is held again "
                "and the re-run is not counted as a retry. The next probe (mode: recover, once the workflow has "
                "been quiet for 30 minutes) tries again, and a passing run of the workflow releases every held "
                f"run, within {memory.settings.recover_within_hours} h of the run's first hold "
                "(memory.brake.recover_within_hours)"
            )
            if note not in notes:
                notes.append(note)
    return notes


def _plan_rerun(
    steps: list[PlannedStep],
    notes: list[str],
    decisions: Sequence[JobDecision],
    run: RunInfo,
    config: GuardConfig,
    failed_count: int,
) -> None:
    """One re-run for every decision whose remediation implies one."""
    rerun = [d for d in decisions if d.remedy.implies_rerun]
    if not rerun:
        return
    remedy = RERUN
    key = remedy.key(run, rerun[0].diagnosis)
    strategy_delay = max((d.diagnosis.remediation.retry_delay_seconds or 0) for d in rerun if d.diagnosis.remediation)
    delay = float(config.retry.delay_seconds(run.attempt, base=strategy_delay or None))
    if len(rerun) == failed_count:
        steps.append(
            PlannedStep(
                remedy,
                "every failed job failed for a transient reason",
                key,
                tuple(d.job.id for d in rerun),
                delay_seconds=delay,
                whole_run=True,
            )
        )
        return
    first, rest = rerun[0], rerun[1:]
    steps.append(PlannedStep(remedy, f"{first.job.name}: {first.reason}", key, (first.job.id,), delay_seconds=delay))
    if rest:
        notes.append(
            "GitHub re-runs one job per attempt when jobs are picked singly; "
            + ", ".join(d.job.name for d in rest)
            + " will be re-run when the new attempt completes"
        )


# -- issue 10: the plan awaiting approval, notifications, incidents --------------------------------


def _plan_issue10(
    add: Callable[[PlannedStep], None],
    decisions: Sequence[JobDecision],
    run: RunInfo,
    config: GuardConfig,
    counts: Mapping[str, int],
    already_handled: bool,
) -> None:
    """One ``approval`` step for the run (what waits, with the keys it will have once approved);
    one ``notify`` per failure signature that acts at medium risk or above, waits or escalates,
    when channels are configured; one ``incident`` per signature that failed
    ``incidents.after_failures`` times, when PagerDuty or Jira is configured."""
    waiting = [d for d in decisions if d.remedy is APPROVAL]
    if waiting and not already_handled:
        pending: list[tuple[str, str, tuple[int, ...]]] = []
        for d in waiting:
            target = REGISTRY[d.pending or COMMENT.name]
            key = target.key(run, d.diagnosis)
            if all(p[1] != key for p in pending):
                pending.append((target.name, key, (d.job.id,)))
            else:
                pending = [(a, k, (*j, d.job.id) if k == key else j) for a, k, j in pending]
        reason = "; ".join(dict.fromkeys(d.reason for d in waiting))
        add(
            PlannedStep(
                APPROVAL,
                reason,
                APPROVAL.key(run, waiting[0].diagnosis),
                tuple(d.job.id for d in waiting),
                signature=waiting[0].diagnosis.signature,
                pending=tuple(pending),
            )
        )
    for d in decisions:
        loud = d.remedy is APPROVAL or d.escalate or (d.remedy.mutates_repository and d.risk in ("medium", "high"))
        if (config.notifications and loud) or d.remedy is NOTIFY:
            add(
                PlannedStep(
                    NOTIFY, d.reason, NOTIFY.key(run, d.diagnosis), (d.job.id,), signature=d.diagnosis.signature
                )
            )
    for d in decisions:
        count = counts.get(d.diagnosis.signature, 1)
        unreadable = d.diagnosis.category == "unknown" and not d.diagnosis.evidence
        due = config.incidents.configured and count >= config.incidents.after_failures and not unreadable
        if due or d.remedy is INCIDENT:
            reason = f"failed {count} times (incidents.after_failures is {config.incidents.after_failures})"
            add(
                PlannedStep(
                    INCIDENT, reason, INCIDENT.key(run, d.diagnosis), (d.job.id,), signature=d.diagnosis.signature
                )
            )
