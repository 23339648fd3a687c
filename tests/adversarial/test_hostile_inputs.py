"""Invalid action inputs: each fails the step with one clear error (and a "did you mean" where one
is close), never a traceback, never a request to GitHub. Every input of action.yml has cases.

The cases are ``data/hostile-inputs.yml``, run through the action's edge in process with the
runner's environment; one of each input also runs as the runner starts the action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.settings import INPUTS

from .edge import DATA, Repo, assert_refused, repo, run_main, runner_env, special, start_like_the_runner, write_config

__all__ = ["repo"]  # the module-scoped fake GitHub fixture

CASES: list[dict[str, Any]] = yaml.safe_load((DATA / "hostile-inputs.yml").read_text("utf-8"))


def prepare(case: dict[str, Any], workspace: Path) -> None:
    write_config(workspace)
    (workspace / "ok.log").write_text("ERROR: boom\n", "utf-8")
    for name, kind in (case.get("setup") or {}).items():
        special(workspace / name, kind, workspace.parent / "outside.txt")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_input(case: dict[str, Any], repo: Repo, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    env = runner_env(repo, workspace)
    prepare(case, workspace)
    for name, value in case["inputs"].items():
        env[f"INPUT_{name.upper()}"] = value
    repo.new_requests()
    result = run_main(env)
    assert_refused(result, repo, case["error"])
    assert "invalid input" in result.errors[0] or "Invalid healing-config" in result.errors[0]


def test_every_input_has_cases() -> None:
    covered = {name for case in CASES for name in case["inputs"]}
    assert covered == set(INPUTS)


CLASSES = [
    "dry-run-yes",
    "fail-on-error-yes",
    "max-retries-word",
    "run-id-url",
    "strategy-typo",
    "token-with-newline",
    "config-link-outside",
    "log-link-dev-zero",
]


@pytest.mark.parametrize("case_id", CLASSES)
def test_each_input_as_the_runner_starts_it(case_id: str, repo: Repo, tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c["id"] == case_id]
    workspace = tmp_path / "ws"
    workspace.mkdir()
    prepare(case, workspace)
    repo.new_requests()
    result = start_like_the_runner(repo, workspace, inputs=case["inputs"], config=None)
    assert_refused(result, repo, case["error"])
