"""Start the action the way the runner does, and read back what it wrote.

``run_action`` writes the event payload and the config file into a workspace, sets ``INPUT_*``
variables (hyphens kept), ``GITHUB_*`` variables pointing at a FakeGitHub, starts
``entrypoint.py`` in a fresh process, and parses ``GITHUB_OUTPUT`` and the step summary.
"""

from __future__ import annotations

import json
import os
import re
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


def parse_output_file(text: str) -> dict[str, str]:
    """Parse GITHUB_OUTPUT as the runner does: ``name=value`` or ``name<<DELIM`` blocks."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (eq < 0 or heredoc < eq):
            name, delim = line[:heredoc], line[heredoc + 2 :]
            body: list[str] = []
            i += 1
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            out[name] = "\n".join(body)
        else:
            out[line[:eq]] = line[eq + 1 :]
        i += 1
    return out


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
    proc = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py")],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    outputs = parse_output_file(output.read_text("utf-8")) if output.exists() else {}
    return ActionRun(
        proc.returncode,
        proc.stdout,
        proc.stderr,
        outputs,
        summary.read_text("utf-8") if summary.exists() else "",
        workspace,
    )


def runner_commands(stdout: str) -> list[str]:
    """The workflow commands the runner would act on, honouring ::stop-commands::."""
    commands: list[str] = []
    stop: str | None = None
    for line in stdout.splitlines():
        stripped = line.lstrip()
        if stop is not None:
            if stripped == f"::{stop}::":
                stop = None
            continue
        m = re.match(r"::([\w-]+)(?: [^:]*)?::(.*)", stripped)
        if m:
            if m.group(1) == "stop-commands":
                stop = m.group(2)
            commands.append(m.group(1))
        elif "##[" in line:
            commands.append("legacy:" + line[line.index("##[") :])
    return commands
