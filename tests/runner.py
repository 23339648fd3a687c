"""Start the action the way the runner does, and read back what it wrote.

``run_action`` writes the event payload and the config file into a workspace, sets ``INPUT_*``
variables (hyphens kept), ``GITHUB_*`` variables pointing at a FakeGitHub, starts
``entrypoint.py`` in a fresh process, and parses ``GITHUB_OUTPUT`` and the step summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healing_guard.simulator import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
FAST_CONFIG = "retry:\n  backoff_seconds: 0\n  max_backoff_seconds: 0\n"


@dataclass
class ActionRun:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    workspace: Path

    @property
    def diagnosis(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self.outputs["diagnosis"])
        return value


def parse_file_commands(text: str) -> dict[str, str]:
    """``name=value`` and ``name<<DELIM`` blocks, read like the runner reads GITHUB_OUTPUT on Linux."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line == "":
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line[:eq], line[eq + 1 :]
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            assert delimiter, f"empty delimiter: {line!r}"
            body: list[str] = []
            while True:
                assert i < len(lines), f"Matching delimiter not found '{delimiter}'"
                if lines[i] == delimiter:
                    assert i + 1 < len(lines), "EOF marker missing new line"
                    i += 1
                    break
                body.append(lines[i])
                i += 1
            value = "\n".join(body)
        else:
            raise AssertionError(f"invalid format {line!r}")
        assert name, f"empty name: {line!r}"
        values[name] = value
    return values


def workflow_run_event(gh: FakeGitHub, run: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": "completed",
        "workflow_run": run,
        "repository": {"full_name": gh.full_name},
        "sender": {"login": "octocat"},
    }


def run_action(
    gh: FakeGitHub | None,
    workspace: Path,
    *,
    inputs: dict[str, str] | None = None,
    event: dict[str, Any] | None = None,
    event_name: str = "workflow_run",
    config: str | None = FAST_CONFIG,
    extra_env: dict[str, str] | None = None,
) -> ActionRun:
    workspace.mkdir(parents=True, exist_ok=True)
    event_path = workspace.parent / f"{workspace.name}-event.json"
    event_path.write_text(json.dumps(event or {}), "utf-8")
    if config is not None:
        (workspace / ".github").mkdir(exist_ok=True)
        (workspace / ".github" / "healing-config.yml").write_text(config, "utf-8")
    output = workspace.parent / f"{workspace.name}-output.txt"
    summary = workspace.parent / f"{workspace.name}-summary.md"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
        "PYTHONPATH": str(ROOT),
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_RUN_ID": "999999",
        "GITHUB_RUN_ATTEMPT": "1",
        "RUNNER_TEMP": str(workspace.parent),
    }
    if gh is not None:
        env.update(
            {
                "GITHUB_REPOSITORY": gh.full_name,
                "GITHUB_API_URL": gh.url,
                "GITHUB_SERVER_URL": "https://github.com",
                "INPUT_GITHUB-TOKEN": gh.token,
            }
        )
    for name, value in (inputs or {}).items():
        env[f"INPUT_{name.upper()}"] = value
    env.update(extra_env or {})
    # coverage of this subprocess, when the tests run under `coverage run` (its patch=subprocess)
    env.update({k: v for k, v in os.environ.items() if k.startswith("COVERAGE_")})
    proc = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = parse_file_commands(output.read_text("utf-8")) if output.exists() else {}
    return ActionRun(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        outputs,
        summary.read_text("utf-8") if summary.exists() else "",
        workspace,
    )
