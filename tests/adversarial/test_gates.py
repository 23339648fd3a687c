"""Hostile logs, configs and run origins against the planner's gates (``gates.yaml`` beside this file).

Every case goes through the real classifier and the real planner; the plan may hold only the
remediations the case allows, and must hold the ones a control case requires. The gates are
checked on the plan whatever the diagnosis says, so a classifier fooled by a log still cannot
re-run a deterministic failure, open a pull request for a name a log chose, or delete caches for
a fork.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.catalogue import load_catalogue
from healing_guard.classify import Classifier
from healing_guard.config import load_config
from healing_guard.logsource import from_text
from healing_guard.planner import plan_run
from healing_guard.provider import JobInfo, RunInfo

DATA = yaml.safe_load((Path(__file__).with_name("gates.yaml")).read_text("utf-8"))
CASES: list[dict[str, Any]] = DATA["cases"]
DEFAULTS: dict[str, Any] = DATA["defaults"]
REPOSITORY = "octo-org/octo-repo"
JOB = JobInfo(1, "job", "completed", "failure", 1, "https://github.com/octo-org/octo-repo/actions/runs/9/job/1")


def run_of(case: dict[str, Any]) -> RunInfo:
    fields = {**DEFAULTS["run"], **case.get("run", {})}
    return RunInfo(
        id=9,
        name="CI",
        attempt=int(fields["attempt"]),
        status="completed",
        conclusion="failure",
        event=str(fields["event"]),
        head_branch=str(fields["head_branch"]),
        head_sha="f" * 40,
        html_url="https://github.com/octo-org/octo-repo/actions/runs/9",
        head_repository=str(fields["head_repository"]),
        repository=REPOSITORY,
    )


def test_the_suite_is_not_empty() -> None:
    assert len(CASES) >= 30
    assert len({c["name"] for c in CASES}) == len(CASES)
    controls = [c for c in CASES if c.get("must")]
    assert 5 <= len(controls) < len(CASES) // 2


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_case_gets_only_what_it_may(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "healing-config.yml"
    path.write_text(case.get("config", ""), "utf-8")
    loaded = load_config(path, catalogue=load_catalogue())
    diagnosis = replace(Classifier(loaded.catalogue).diagnose(from_text(case["log"])), source="job")
    plan = plan_run(
        run_of(case),
        [(JOB, diagnosis)],
        config=loaded.config,
        max_retries=int(case.get("max_retries", 3)),
        pull_request=7,
    )
    planned = {s.action for s in plan.steps}
    may = set(case.get("may", DEFAULTS["may"]))
    why = f"{diagnosis.category}/{diagnosis.strategy}: {plan.decisions[0].reason}"
    assert planned <= may, why
    assert set(case.get("must", ())) <= planned, why
