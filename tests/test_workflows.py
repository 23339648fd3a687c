"""The project's own workflows (.github/workflows): valid, pinned, least privilege, and wired to
the tools they call (the workflows cannot run here; what they promise is checked as data)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(?:\.\d+){0,2}\b")


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOW_DIR / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_three_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "release.yml", "heal.yml"}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflow_matches_github_workflows_schema(workflow: Path) -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_every_third_party_action_is_pinned_by_commit_with_its_version(workflow: Path) -> None:
    for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if match is None or match.group(1).startswith("./"):
            continue
        assert PINNED.match(match.group(1)), f"{workflow.name}:{number}: {match.group(1)} is not pinned by a full SHA"
        assert VERSION_COMMENT.search(match.group(2)), f"{workflow.name}:{number}: say which version the SHA is"


def test_one_action_one_sha_across_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for workflow in WORKFLOWS:
        for action, sha in re.findall(r"uses:\s*([\w.-]+/[\w./-]+)@([0-9a-f]{40})", workflow.read_text("utf-8")):
            pins.setdefault(action, set()).add(sha)
    assert {a: s for a, s in pins.items() if len(s) > 1} == {}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_the_default_token_is_read_only_at_the_top(workflow: Path) -> None:
    permissions = _load(workflow.name).get("permissions")
    assert permissions is not None, "say the workflow's permissions (the default may be read/write on everything)"
    assert all(level in ("read", "none") for level in (permissions or {}).values()), permissions


def test_release_triggers_and_least_privilege_per_job() -> None:
    release = _load("release.yml")
    assert release["on"]["release"] == {"types": ["published"]}
    assert "workflow_dispatch" in release["on"]
    jobs = release["jobs"]
    assert jobs["image"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    assert jobs["release-commit"]["permissions"] == {"contents": "write"}
    assert jobs["release-commit"]["needs"] == "image"


def test_release_builds_both_platforms_pushes_attests_and_rewrites_action_yml() -> None:
    release = _load("release.yml")
    image_steps = release["jobs"]["image"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in image_steps]
    for action in (
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "docker/login-action",
        "docker/build-push-action",
        "actions/attest-build-provenance",
    ):
        assert action in uses, action
    build = next(s for s in image_steps if s.get("uses", "").startswith("docker/build-push-action@"))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["push"] is True
    attest = next(s for s in image_steps if s.get("uses", "").startswith("actions/attest-build-provenance@"))
    assert attest["with"]["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["with"]["push-to-registry"] is True
    runs = "\n".join(step.get("run", "") for step in _steps(release))
    assert 'python3 tools/version.py --tag "$TAG"' in runs
    assert "ghcr.io/${GITHUB_REPOSITORY,,}" in runs, "GHCR names are lower case"
    assert 'tools/release_action_yml.py --repository "$GITHUB_REPOSITORY" --digest "$DIGEST"' in runs
    assert 'git push --force origin "${refs[@]}"' in runs


def test_release_passes_event_text_through_the_environment_only() -> None:
    """No ${{ }} expression inside a run: script (script injection); they go through env:."""
    for workflow in WORKFLOWS:
        for step in _steps(_load(workflow.name)):
            assert "${{" not in step.get("run", ""), f"{workflow.name}: {step.get('name') or step['run'][:40]}"


def test_ci_runs_ci_run() -> None:
    ci = _load("ci.yml")
    assert ci["name"] == "CI"
    runs = [step.get("run", "") for step in _steps(ci)]
    assert "bash .ci/run" in runs


def test_heal_is_the_local_action_in_dry_run_on_ci_failures() -> None:
    heal = _load("heal.yml")
    assert heal["on"] == {"workflow_run": {"workflows": [_load("ci.yml")["name"]], "types": ["completed"]}}
    job = heal["jobs"]["heal"]
    assert job["if"] == "github.event.workflow_run.conclusion == 'failure'"
    guard = next(step for step in job["steps"] if step.get("uses") == "./")
    assert guard["with"]["dry-run"] == "true"
    assert all(level == "read" for level in job["permissions"].values()), "dry run needs no write permission"


def test_ci_runs_the_release_checks() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in (
        "python tools/version.py --check",
        "python tools/lock.py --check --online",
        "check-jsonschema --builtin-schema vendor.github-actions action.yml",
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml examples/workflows/*.yml",
    ):
        assert command in script
