"""The registry's contract: every remediation declares what the gates need, and every gate holds for
every remediation by its properties, whatever a strategy or a config chooses.

A new entry in ``healing_guard/remediations.py`` is checked here without a new test.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from healing_guard import config as config_module
from healing_guard import planner as planner_module
from healing_guard.config import GuardConfig, StrategyOverride
from healing_guard.executor import Executor
from healing_guard.models import ACTIONS, Diagnosis, EvidenceLine, Remediation, SecondaryCause
from healing_guard.planner import decide, plan_run
from healing_guard.provider import JobInfo, RunInfo
from healing_guard.remediations import ADVICE, REGISTRY, Remedy

PACKAGE = Path(__file__).resolve().parent.parent / "healing_guard"
SCOPES = {"job", "run", "signature", "nothing"}

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
JOB = JobInfo(1, "build", "completed", "failure", 1, "https://github.com/o/r/actions/runs/42/job/1")
STRATEGY = "python-module-not-found"  # a strategy id whose preconditions every remediation can meet


def diagnosis(category: str = "dependency_missing", **changes: object) -> Diagnosis:
    d = Diagnosis(
        category=category,
        confidence=0.95,
        risk="low",
        strategy=STRATEGY,
        params={"module": "yaml", "key": "pip-Linux-1"},
        evidence=(EvidenceLine(3, "E   ModuleNotFoundError: No module named 'yaml'"),),
        failed_step="Run tests",
        signature="sig",
        remediation=Remediation("comment", "advice", recipe="python-dependency"),  # as the strategy names it
    )
    return replace(d, **changes)  # type: ignore[arg-type]


def chosen(remedy: Remedy) -> GuardConfig:
    """A config whose overrides choose ``remedy`` for the strategies used here."""
    override = StrategyOverride(action=remedy.name)
    return replace(GuardConfig.default(), strategies={STRATEGY: override, "npm-network-error": override})


def transient(category: str = "network") -> Diagnosis:
    line = EvidenceLine(7, "npm error network request to https://registry.npmjs.org/x failed, reason: ETIMEDOUT")
    return diagnosis(category, evidence=(line,), strategy="npm-network-error")


def suitable(remedy: Remedy) -> Diagnosis:
    """A diagnosis for which ``remedy`` passes every gate on ``RUN``."""
    return transient("cache_corruption") if remedy.implies_rerun else diagnosis()


# -- what every entry declares ------------------------------------------------------------------


def test_the_registry_is_the_vocabulary_of_actions() -> None:
    assert tuple(REGISTRY) == ACTIONS
    schema = json.loads(resources.files("healing_guard").joinpath("schemas/healing-config.schema.json").read_text())
    assert schema["$defs"]["action"]["enum"] == list(REGISTRY)
    assert set(config_module._DEFAULT_REMEDIATION_TEXT) == set(REGISTRY)


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_every_remediation_declares_its_properties(remedy: Remedy) -> None:
    assert remedy.summary and remedy.idempotent_by
    assert remedy.scope in SCOPES
    # something that re-runs jobs changes the repository's runs
    assert not remedy.implies_rerun or remedy.mutates_repository
    # a handler is one of the executor's, and it is the only way the executor acts
    if remedy.scope == "nothing":
        assert remedy.handler is None
    else:
        assert remedy.handler is not None
        assert getattr(Executor, remedy.handler.__name__) is remedy.handler
    # fallbacks are registered, change nothing and are allowed everywhere (no chains, no loops)
    for fallback in {remedy.on_protected_branch, remedy.on_fork, ADVICE} - {None}:
        assert fallback is not None
        safe = REGISTRY[fallback]
        assert not safe.mutates_repository and not safe.implies_rerun
        assert safe.on_protected_branch is None and safe.on_fork is None and safe.requires is None
    # the idempotency key is a pure function of the run and the failure
    assert remedy.key(RUN, diagnosis()) == remedy.key(RUN, diagnosis())
    if remedy.recipe is not None:
        assert remedy.requires is not None


def test_anything_that_changes_the_repository_is_gated_on_forks_or_reruns() -> None:
    """What a fork's run may trigger on the base repository: re-runs of its own jobs only."""
    for remedy in REGISTRY.values():
        if remedy.mutates_repository and not remedy.implies_rerun:
            assert remedy.on_fork is not None, remedy.name
        if remedy.mutates_repository and remedy.scope == "job":
            assert remedy.on_fork is not None and remedy.on_protected_branch is not None, remedy.name


# -- every gate, for every remediation, by its properties -----------------------------------------


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_deterministic_failures_never_get_a_rerun(remedy: Remedy) -> None:
    cases = [
        diagnosis("compile_error"),
        diagnosis("lint"),
        replace(transient(), secondary=(SecondaryCause("compile_error", "tsc-compile-error", 9, "error TS2322"),)),
        replace(transient("docker_image"), evidence=(EvidenceLine(5, "E       assert 'toomanyrequests' == ''"),)),
        replace(transient("infrastructure"), params={"exit_code": 1, "key": "k"}),
    ]
    for d in cases:
        decision = decide(JOB, d, config=chosen(remedy), run=RUN, max_retries=3)
        assert not decision.remedy.implies_rerun, (remedy.name, d.category, decision)
        plan = plan_run(RUN, [(JOB, d)], config=chosen(remedy), max_retries=3, pull_request=None)
        assert not any(s.remedy.implies_rerun for s in plan.steps)


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_rerun_budget_and_second_timeout_hold_for_every_remediation(remedy: Remedy) -> None:
    if remedy.implies_rerun:  # the same facts on a first attempt are re-run: the gates below bite
        assert decide(JOB, transient(), config=chosen(remedy), run=RUN, max_retries=3).remedy.implies_rerun
    spent = decide(JOB, transient(), config=chosen(remedy), run=replace(RUN, attempt=4), max_retries=3)
    assert not spent.remedy.implies_rerun
    again = decide(JOB, transient("timeout"), config=chosen(remedy), run=replace(RUN, attempt=2), max_retries=3)
    assert not again.remedy.implies_rerun
    assert not decide(JOB, transient(), config=chosen(remedy), run=RUN, max_retries=0).remedy.implies_rerun


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_confidence_and_risk_gate_every_remediation_that_changes_the_repository(remedy: Remedy) -> None:
    d = suitable(remedy)
    assert decide(JOB, d, config=chosen(remedy), run=RUN, max_retries=3).action == remedy.name
    unsure = decide(JOB, replace(d, confidence=0.2), config=chosen(remedy), run=RUN, max_retries=3)
    assert not unsure.remedy.mutates_repository
    risky = decide(JOB, replace(d, risk="high"), config=chosen(remedy), run=RUN, max_retries=3)
    assert not risky.remedy.mutates_repository


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_forks_and_protected_branches_get_what_the_remediation_declares(remedy: Remedy) -> None:
    d = suitable(remedy)
    fork = decide(JOB, d, config=chosen(remedy), run=replace(RUN, head_repository="evil/r"), max_retries=3)
    assert fork.remedy.on_fork is None
    if remedy.on_fork is not None:
        assert fork.action != remedy.name
    protected = decide(JOB, d, config=chosen(remedy), run=replace(RUN, head_branch="main"), max_retries=3)
    assert protected.remedy.on_protected_branch is None
    if remedy.on_protected_branch is not None:
        assert protected.action != remedy.name


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_preconditions_hold_or_the_guard_advises(remedy: Remedy) -> None:
    bare = diagnosis("cache_corruption", params={})  # no cache key, no module
    decision = decide(JOB, bare, config=chosen(remedy), run=RUN, max_retries=3)
    assert decision.remedy.requires is None or decision.remedy.requires(bare, GuardConfig.default()) is None


@pytest.mark.parametrize("remedy", list(REGISTRY.values()), ids=str)
def test_a_remediation_that_passes_every_gate_is_planned_once_by_its_key(remedy: Remedy) -> None:
    d = suitable(remedy)
    plan = plan_run(RUN, [(JOB, d), (replace(JOB, id=2), d)], config=chosen(remedy), max_retries=3, pull_request=7)
    keys = [s.key for s in plan.steps]
    assert len(keys) == len(set(keys))
    if remedy.scope != "nothing":
        assert remedy.name in [s.action for s in plan.steps]


# -- no gate outside the registry ---------------------------------------------------------------

_NAME_CHECK = re.compile(
    r"""(?:==|!=|\bin\b)\s*[(\[{]?\s*["'](?:rerun|clear-cache|fix-pr|comment|escalate)["']"""
    r"""|["'](?:rerun|clear-cache|fix-pr|comment|escalate)["']\s*(?:==|!=)"""
    r"""|startswith\(\s*["']rerun"""
)


def test_no_module_checks_a_remediation_by_its_name() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "remediations.py":
            continue
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if _NAME_CHECK.search(line):
                offenders.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_old_protected_branch_gate_is_not_used() -> None:
    """``GuardConfig.gate_action`` named the gated actions itself; the registry's
    ``on_protected_branch`` replaced it, and it is gone."""
    assert not hasattr(GuardConfig, "gate_action")
    users = [p.name for p in PACKAGE.rglob("*.py") if "gate_action(" in p.read_text("utf-8")]
    assert users == []
    assert "is_protected" in inspect.getsource(planner_module)
