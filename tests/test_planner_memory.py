"""The planner's memory gates, case by case (data: tests/fixtures/planner/memory-gates.yml)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.config import GuardConfig, StrategyOverride
from healing_guard.history.memory import Memory
from healing_guard.history.policy import MemoryPolicy
from healing_guard.history.recorder import decision_record, held_run_record
from healing_guard.history.records import TrailRecord, make_record
from healing_guard.history.recovery import HELD, hold_key, probe_key, recovery_key
from healing_guard.models import Diagnosis, EvidenceLine, Remediation, SecondaryCause
from healing_guard.planner import plan_run
from healing_guard.provider import JobInfo, RunInfo
from healing_guard.results import Decision, Outcome

from .test_planner import RUN

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=timezone.utc)
CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "planner" / "memory-gates.yml").read_text("utf-8")
)


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")


def history(items: list[dict[str, Any]]) -> list[TrailRecord]:
    """Trail records from the cases' shorthands (see the data file's header)."""
    out: list[TrailRecord] = []
    run = 1000
    for item in items:
        ((kind, v),) = item.items()
        if kind == "flaky":
            for i in range(v["failures"]):
                run += 1
                at = _at(60 * 24 * 3 + i)
                out.append(
                    make_record(
                        "failure",
                        repository="o/r",
                        run_id=run,
                        attempt=1,
                        job_id=1,
                        failing_tests=[v["test"]],
                        category="test_failure",
                        at=at,
                    )
                )
                if i < v["flakes"]:
                    out.append(
                        make_record(
                            "outcome",
                            repository="o/r",
                            run_id=run,
                            attempt=2,
                            failing_tests=[v["test"]],
                            conclusion="success",
                            result="healed",
                            previous_attempt=1,
                            at=at,
                        )
                    )
        elif kind == "outcomes":
            for i in range(v["tries"]):
                run += 1
                out.append(
                    make_record(
                        "outcome",
                        repository="o/r",
                        run_id=run,
                        attempt=2,
                        signature=v["signature"],
                        action=v["action"],
                        conclusion="success" if i < v["healed"] else "failure",
                        result="healed" if i < v["healed"] else "not_healed",
                        at=_at(600 + i),
                    )
                )
        elif kind == "reruns":
            for _ in range(v["runs"]):
                run += 1
                for j in range(v.get("jobs", 1)):
                    out.append(
                        make_record(
                            "failure",
                            repository="o/r",
                            run_id=run,
                            attempt=1,
                            job_id=j + 1,
                            category=v["category"],
                            signature=v["signature"],
                            action="rerun",
                            result="done",
                            at=_at(v["minutes_ago"]),
                        )
                    )
        elif kind == "recovered":  # held failures the recovery re-ran (history/recovery.py)
            for _ in range(v["runs"]):
                run += 1
                out += _rerun_held(run, 1, v, failed_at=_at(v["minutes_ago"] + 30), key=recovery_key(run, 1))
        elif kind == "this_run_held":  # this run (RUN) held at its attempts, each re-run by a probe or a recovery
            for attempt in v["attempts"]:
                key = (probe_key if v["by"] == "probe" else recovery_key)(RUN.id, attempt)
                out += _rerun_held(RUN.id, attempt, v, failed_at=_at(v["first_held_minutes_ago"]), key=key, held=True)
        elif kind == "fix":
            out.append(
                make_record(
                    "fix",
                    repository="o/r",
                    run_id=run,
                    attempt=1,
                    signature=v["signature"],
                    fix_sha=v["sha"],
                    files=v["files"],
                    at=_at(60 * 24 * v["days_ago"]),
                )
            )
        else:
            raise AssertionError(f"unknown history item {kind}")
    return out


def _rerun_held(
    run_id: int, attempt: int, v: dict[str, Any], *, failed_at: str, key: str, held: bool = False
) -> list[TrailRecord]:
    """A failure (category and signature from ``v``) the guard escalated at ``failed_at`` (with its
    ``held`` decision record when ``held``), and the re-run ``key`` of it ``v["minutes_ago"]``."""
    failure = make_record(
        "failure",
        repository="o/r",
        run_id=run_id,
        attempt=attempt,
        job_id=1,
        category=v["category"],
        signature=v["signature"],
        action="escalate",
        result="done",
        at=failed_at,
    )
    about = RunInfo(run_id, "CI", attempt, "completed", "failure", "push", "main", "", "", repository="o/r")
    out = [failure]
    if held:
        hold = Decision(HELD, "mass-failure brake", key=hold_key(run_id, attempt, 1), at=failed_at)
        out.append(decision_record(about, hold, "o/r", str))
    rerun = Outcome("rerun", "done", "re-ran the held run", key=key, run=about)
    return [*out, held_run_record(rerun, "o/r", str, _at(v["minutes_ago"]))]


def diagnosis(spec: dict[str, Any]) -> Diagnosis:
    category = spec["category"]
    secondary: tuple[SecondaryCause, ...] = ()
    if spec.get("secondary"):
        secondary = (SecondaryCause(spec["secondary"], f"{spec['secondary']}-strategy", 9, "error: x"),)
    return Diagnosis(
        category=category,
        confidence=0.9,
        risk=spec.get("risk", "low"),
        strategy=f"{category}-strategy",
        params={},
        evidence=(EvidenceLine(3, "boom"),),
        failed_step="Run x",
        signature=spec.get("signature", f"sig-{category}"),
        secondary=secondary,
        remediation=Remediation(spec["action"], "do the thing"),
        failing_tests=tuple(spec.get("failing_tests", ())),
    )


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_memory_gate(case: dict[str, Any]) -> None:
    config = GuardConfig.default()
    if case.get("override"):
        d0 = diagnosis(case["diagnosis"])
        config = replace(config, strategies={d0.strategy: StrategyOverride(action=case["override"])})
    memory = None
    if case.get("memory", "yes") is not None:
        policy = replace(MemoryPolicy(), **case.get("settings", {}))
        memory = Memory.from_records(history(case["history"]), now=NOW, settings=policy)
    run = replace(RUN, attempt=case.get("attempt", 1), head_branch=case.get("branch", RUN.head_branch))
    job = JobInfo(1, "test", "completed", "failure", 1, "https://github.com/o/r/actions/runs/42/job/1")
    plan = plan_run(
        run, [(job, diagnosis(case["diagnosis"]))], config=config, max_retries=3, pull_request=None, memory=memory
    )
    (decision,) = plan.decisions
    want = case["expect"]
    assert decision.action == want["action"], decision.reason
    if "escalate" in want:
        assert decision.escalate is want["escalate"]
    if "memory" in want:
        assert list(decision.memory) == want["memory"]
    assert decision.held is want.get("held", False)
    if "reason" in want:
        assert want["reason"] in decision.reason
    if "note" in want:
        assert any(want["note"] in n for n in plan.notes), plan.notes
    if "plan" in want:
        assert plan.actions == want["plan"]
    if "quarantine" in want:
        assert [t.test for t in plan.quarantine] == want["quarantine"]
    fix = decision.learned_fix
    assert (fix.text() if fix else None) == want.get("learned_fix")


def test_without_memory_every_case_plans_as_before() -> None:
    """``memory=None`` is today's planner exactly: the same plan as a call without the argument."""
    job = JobInfo(1, "test", "completed", "failure", 1, "")
    for case in CASES:
        failed = [(job, diagnosis(case["diagnosis"]))]
        before = plan_run(RUN, failed, config=GuardConfig.default(), max_retries=3, pull_request=7)
        after = plan_run(RUN, failed, config=GuardConfig.default(), max_retries=3, pull_request=7, memory=None)
        assert before == after


def test_an_empty_memory_plans_as_no_memory() -> None:
    empty = Memory.from_records([], now=NOW, settings=MemoryPolicy())
    job = JobInfo(1, "test", "completed", "failure", 1, "")
    for case in CASES:
        failed = [(job, diagnosis(case["diagnosis"]))]
        if case.get("settings", {}).get("reruns_per_hour") == 0:
            continue  # a budget of 0 brakes with no history at all
        plain = plan_run(RUN, failed, config=GuardConfig.default(), max_retries=3, pull_request=7)
        remembered = plan_run(RUN, failed, config=GuardConfig.default(), max_retries=3, pull_request=7, memory=empty)
        assert remembered == plain
