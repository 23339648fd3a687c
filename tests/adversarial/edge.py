"""The action's edge under hostile input: started in process (the ``main()`` that ``entrypoint.py``
calls, with the environment the runner gives it) for hundreds of cases, and as the runner starts it
(``tests/runner.py``) for one case of each class.

What every refused input must give: exit status 1, one ``::error::`` saying what is wrong, no
traceback, ``action=none`` in the outputs, the message in the job summary, and not one request to
GitHub (a refused input never acts).
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from healing_guard import action
from healing_guard.simulator import FakeGitHub, timestamp_log

from ..runner import FAST_CONFIG, ActionRun, parse_file_commands, run_action
from ..test_action_e2e import NETWORK

DATA = Path(__file__).parent / "data"


@dataclass
class EdgeRun:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::error")]

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("::warning")]


class Repo:
    """A FakeGitHub with one failed run whose only job failed on a network error: a guard that is
    allowed to act re-runs it, so any request at all shows that a refused input was acted on."""

    def __init__(self, gh: FakeGitHub) -> None:
        self.gh = gh
        run = gh.add_run(name="CI", head_branch="feature/x", event="push")
        gh.add_job(run["id"], "install", conclusion="failure", log=timestamp_log(NETWORK))
        self.run = gh.run(run["id"])
        self.seen = 0

    def event(self) -> dict[str, Any]:
        return {"action": "completed", "workflow_run": self.run, "repository": {"full_name": self.gh.full_name}}

    def new_requests(self) -> list[str]:
        requests = self.gh.requests
        fresh = [f"{r.method} {r.path}" for r in requests[self.seen :]]
        self.seen = len(requests)
        return fresh


@pytest.fixture(scope="module")
def repo() -> Iterator[Repo]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as gh:
        yield Repo(gh)


def runner_env(repo: Repo, workspace: Path, event: bytes | None = None) -> dict[str, str]:
    """The variables the runner gives a container action, pointing at ``repo``'s fake GitHub."""
    workspace.mkdir(parents=True, exist_ok=True)
    event_path = workspace.parent / f"{workspace.name}-event.json"
    event_path.write_bytes(json.dumps(repo.event()).encode() if event is None else event)
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_OUTPUT": str(workspace.parent / f"{workspace.name}-output.txt"),
        "GITHUB_STEP_SUMMARY": str(workspace.parent / f"{workspace.name}-summary.md"),
        "GITHUB_RUN_ID": "999999",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_REPOSITORY": repo.gh.full_name,
        "GITHUB_API_URL": repo.gh.url,
        "GITHUB_SERVER_URL": "https://github.com",
        "INPUT_GITHUB-TOKEN": repo.gh.token,
    }


def write_config(workspace: Path, content: bytes | None = FAST_CONFIG.encode()) -> Path:
    path = workspace / ".github" / "healing-config.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is not None:
        path.write_bytes(content)
    return path


def run_main(env: dict[str, str]) -> EdgeRun:
    stdout, stderr = io.StringIO(), io.StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        code = action.main(env)
    output, summary = Path(env["GITHUB_OUTPUT"]), Path(env["GITHUB_STEP_SUMMARY"])
    return EdgeRun(
        code,
        stdout.getvalue(),
        stderr.getvalue(),
        parse_file_commands(output.read_text("utf-8")) if output.exists() else {},
        summary.read_text("utf-8") if summary.exists() else "",
    )


def assert_refused(result: EdgeRun | ActionRun, repo: Repo, message: str | None = None) -> None:
    """The step failed with one clear error, and nothing was done."""
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    code = result.returncode if isinstance(result, ActionRun) else result.code
    assert code == 1, result.stdout
    assert len(errors) == 1, result.stdout
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    assert "internal error" not in result.stdout.lower()
    assert result.outputs.get("action") == "none" and result.outputs.get("healed") == "false"
    assert "[!CAUTION]" in result.summary
    assert repo.new_requests() == []
    if message is not None:
        text = errors[0].split("::", 2)[2].replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
        assert re.search(message, text, re.S), text


def start_like_the_runner(
    repo: Repo,
    workspace: Path,
    *,
    inputs: dict[str, str] | None = None,
    event: bytes | None = None,
    config: str | None = None,
) -> ActionRun:
    """``entrypoint.py`` in a fresh process, as the runner starts it (``tests/runner.py``).

    ``event`` is the payload file's bytes (default: the workflow_run event of the seeded run).
    """
    extra = {"PYTHONDONTWRITEBYTECODE": "1"}
    if event is not None:
        path = workspace.parent / f"{workspace.name}-hostile-event.json"
        path.write_bytes(event)
        extra["GITHUB_EVENT_PATH"] = str(path)
    return run_action(repo.gh, workspace, inputs=inputs, event=repo.event(), config=config, extra_env=extra)


def special(path: Path, kind: str, outside: Path) -> None:
    """Put a special file at ``path``: fifo, dev-zero (a link to it), directory, environ (a link to
    /proc/self/environ), outside or outside-folder (links to a file or a folder beside the workspace)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "directory":
        path.mkdir()
    elif kind == "outside":
        outside.write_text("password: hunter2\n", "utf-8")
        path.symlink_to(outside)
    elif kind == "outside-folder":
        outside.mkdir(exist_ok=True)
        path.symlink_to(outside)
    elif kind == "environ":
        path.unlink(missing_ok=True)
        path.symlink_to("/proc/self/environ")
    else:  # pragma: no cover - a typo in a data file
        raise ValueError(kind)
