"""Fix pull requests end to end: entrypoint.py as the runner starts it, against the fake GitHub
over HTTP. The job logs are the catalogue's real fixture logs (tests/fixtures/logs, each names
its source); the repository files are real project files (tests/fixtures/recipes).

Covered: a pull request opened by an edit recipe, found again and updated by the next failure
(never a second one), a run from a fork (no pull request, no dispatch), a fix that belongs in
.github/workflows/ (advice, nothing written), and a toolchain fix dispatched to the fix workflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub

from .runner import FAST_CONFIG, ActionRun, run_action, workflow_run_event

LOGS = Path(__file__).parent / "fixtures" / "logs"
RECIPES = Path(__file__).parent / "fixtures" / "recipes"
BRANCH = "feature/cart"
FIX_WORKFLOW = """name: heal-fix
on:
  workflow_dispatch:
    inputs:
      recipe:
        required: true
      sha:
        required: true
      signature:
        required: true
      run-id:
        required: true
      argument:
        required: false
"""


def log(name: str) -> str:
    return (LOGS / name).read_text("utf-8").replace(" #=MATCH=#", "")


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as server:
        yield server


def failed_run(
    gh: FakeGitHub, job_log: str, *, fork: str | None = None, number: int = 7, branch: str = BRANCH
) -> dict[str, Any]:
    owner = fork.split("/")[0] if fork else None
    pull = gh.add_pull(head_ref=branch, title="Cart", number=number, head_owner=owner)
    run = gh.add_run(
        name="CI",
        head_branch=branch,
        head_sha=str(pull["head"]["sha"]),
        event="pull_request",
        head_repository=fork,
        pull_requests=[] if fork else [number],
    )
    gh.add_job(
        run["id"],
        "test",
        conclusion="failure",
        log=job_log,
        steps=[("Set up job", "success"), ("Run tests", "failure"), ("Complete job", "success")],
    )
    return gh.run(run["id"])


def heal(gh: FakeGitHub, tmp_path: Path, run: dict[str, Any], name: str = "ws", config: str = FAST_CONFIG) -> ActionRun:
    # these tests count the fix's own writes: the audit trail (tests/test_history_*) stays off
    config += "history:\n  enabled: false\n"
    result = run_action(gh, tmp_path / name, event=workflow_run_event(gh, run), config=config)
    assert result.returncode == 0, result.stderr + result.stdout
    return result


def fix_pulls(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [p for p in gh.pulls.values() if str(p["head"]["ref"]).startswith("healing-guard/")]


def writes(gh: FakeGitHub) -> list[str]:
    return [f"{r.method} {r.path}" for r in gh.writes() if "/comments" not in r.path and not r.path.endswith("/issues")]


def test_a_fix_pull_request_is_opened_then_found_again_and_updated(gh: FakeGitHub, tmp_path: Path) -> None:
    flask = (RECIPES / "pep621-flask" / "repo" / "pyproject.toml").read_text("utf-8")
    gh.add_file("pyproject.toml", flask, branch=BRANCH)
    missing = log("python-module-not-found--python-c-import.log")
    first = heal(gh, tmp_path, failed_run(gh, missing))
    (pull,) = fix_pulls(gh)
    assert "fix-pr" in first.outputs["action"].split(",")
    head = pull["head"]["ref"]
    assert head.startswith(f"healing-guard/{BRANCH}/fix-") and pull["base"]["ref"] == BRANCH
    expected = (RECIPES / "pep621-flask" / "expected" / "pyproject.toml").read_text("utf-8")
    module = "yaml"  # the module the fixture log names
    assert module in missing
    assert gh.file("pyproject.toml", head) == expected
    body = str(pull["body"])
    for heading in ("What failed, and why", "What this change does", "Risk", "How to verify"):
        assert heading in body
    assert "create-github-app-token" in body and "python-dependency" in body
    # the same failure on the same branch again: the same pull request, brought up to date
    second_run = failed_run(gh, missing, number=30)
    second = heal(gh, tmp_path, second_run, name="ws2")
    (again,) = fix_pulls(gh)
    assert again["number"] == pull["number"]
    assert str(second_run["id"]) in str(again["body"]) and str(second_run["id"]) not in body
    assert "updated fix pull request" in second.summary


def test_a_failure_on_the_guards_own_fix_branch_gets_no_fix_of_its_own(gh: FakeGitHub, tmp_path: Path) -> None:
    branch = f"healing-guard/{BRANCH}/fix-0123456789abcdef"
    gh.add_file("requirements.txt", "requests\n", branch=branch)
    gh.reset_requests()
    result = heal(gh, tmp_path, failed_run(gh, log("python-module-not-found--python-c-import.log"), branch=branch))
    assert [p["number"] for p in fix_pulls(gh)] == [7] and writes(gh) == []  # only the run's own pull request
    assert "the guard's own fix branch" in result.summary


def test_a_node_package_is_added_to_package_json_keeping_its_tabs(gh: FakeGitHub, tmp_path: Path) -> None:
    execa = (RECIPES / "package-json-execa-tabs-dev" / "repo" / "package.json").read_text("utf-8")
    gh.add_file("package.json", execa, branch=BRANCH)
    gh.add_file("package-lock.json", "{}\n", branch=BRANCH)
    heal(gh, tmp_path, failed_run(gh, log("node-cannot-find-module.log")))
    (pull,) = fix_pulls(gh)
    text = gh.file("package.json", pull["head"]["ref"])
    assert text is not None
    assert '\t\t"fast-glob": "*",\n' in text and text.replace('\t\t"fast-glob": "*",\n', "") == execa
    assert "npm install" in str(pull["body"])  # the lock file's command, in the risk and the verification


def test_a_run_from_a_fork_gets_no_fix_pull_request_and_no_dispatch(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("go.mod", "module example.com/api\n\ngo 1.22\n", branch=BRANCH)
    gh.add_file(".github/workflows/heal-fix.yml", FIX_WORKFLOW)
    config = FAST_CONFIG + "fixes:\n  workflow: heal-fix.yml\n"
    gh.reset_requests()
    result = heal(gh, tmp_path, failed_run(gh, log("go-mod-tidy-needed.log"), fork="mallory/octo-repo"), config=config)
    assert fix_pulls(gh) == [] and gh.dispatches == [] and writes(gh) == []
    assert "fix-pr" not in result.outputs["action"].split(",")
    assert "fork" in result.summary


def test_a_fix_in_github_workflows_is_advice_with_the_reason(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.reset_requests()
    result = heal(gh, tmp_path, failed_run(gh, log("action-not-found.log")))
    assert fix_pulls(gh) == [] and writes(gh) == []
    assert "fix-pr" not in result.outputs["action"].split(",")
    assert "workflows" in result.summary and "GITHUB_TOKEN" in result.summary


def test_a_toolchain_fix_dispatches_the_fix_workflow(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("go.mod", "module example.com/api\n\ngo 1.22\n", branch=BRANCH)
    gh.add_file(".github/workflows/heal-fix.yml", FIX_WORKFLOW)
    gh.add_file(".github/workflows/heal-fix.yml", FIX_WORKFLOW, branch=BRANCH)
    run = failed_run(gh, log("go-mod-tidy-needed.log"))
    config = FAST_CONFIG + "fixes:\n  workflow: heal-fix.yml\n"
    result = heal(gh, tmp_path, run, config=config)
    (sent,) = gh.dispatches
    assert sent["workflow"] == ".github/workflows/heal-fix.yml" and sent["ref"] == BRANCH
    inputs = sent["inputs"]
    assert isinstance(inputs, dict)
    assert inputs["recipe"] == "go-mod-tidy" and inputs["sha"] == run["head_sha"]
    assert inputs["run-id"] == str(run["id"]) and inputs["signature"]
    assert fix_pulls(gh) == []  # the pull request comes from fix mode, with the workflow's diff
    assert "dispatched the fix workflow heal-fix.yml" in result.summary


def test_without_a_fix_workflow_a_toolchain_fix_is_advice(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("go.mod", "module example.com/api\n\ngo 1.22\n", branch=BRANCH)
    result = heal(gh, tmp_path, failed_run(gh, log("go-mod-tidy-needed.log")))
    assert gh.dispatches == [] and fix_pulls(gh) == []
    assert "no fix workflow is configured" in result.summary
