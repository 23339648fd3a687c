"""The command line's contract with its users and with ``.ci/run``, checked as a user runs it.

Each check starts ``python -m healing_guard`` in a fresh process on files that ship with the
repository, and reads its output the way a script would: ``validate`` on the example config,
``strategies --format json`` parsed, ``analyze`` on several paths as a JSON array in input order
(with an error object in the place of an unreadable input), the single-log object that the README's
first command and ``.ci/run`` read, ``--version``, and the README's command-line section naming every
command and exit status.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from healing_guard import cli, completion, load_catalogue

from .test_cli import KEYS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = "examples/healing-config.yml"
EXAMPLE_LOG = "examples/logs/pytest-missing-module.log"
OTHER_LOG = "tests/fixtures/inputs/windows-job.log"
DIAGNOSIS_KEYS = KEYS  # one JSON shape of analyze, kept in tests/test_cli.py
STRATEGY_KEYS = ["id", "name", "category", "risk", "action", "enabled", "patterns", "description", "advice", "source"]


def healing_guard(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "healing_guard", *argv],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_validate_the_example_config() -> None:
    proc = healing_guard("validate", "--config", EXAMPLE_CONFIG)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines()[0] == f"{EXAMPLE_CONFIG}: valid"
    assert "custom strategies:  2 (flaky-db-container, internal-mirror-down)" in proc.stdout


def test_strategies_json_parses() -> None:
    proc = healing_guard("strategies", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert isinstance(data, list) and [d["id"] for d in data] == load_catalogue().ids()
    assert all(list(d) == STRATEGY_KEYS for d in data)
    with_config = json.loads(healing_guard("strategies", "--format", "json", "--config", EXAMPLE_CONFIG).stdout)
    assert [d["id"] for d in with_config if d["source"] == "config"] == ["flaky-db-container", "internal-mirror-down"]


def test_analyze_several_paths_is_an_array_in_input_order() -> None:
    proc = healing_guard("analyze", "--format", "json", OTHER_LOG, "no/such.log", EXAMPLE_LOG)
    assert proc.returncode == 1  # one input could not be read
    data = json.loads(proc.stdout)
    assert [d["path"] for d in data] == [OTHER_LOG, "no/such.log", EXAMPLE_LOG]
    assert set(data[0]) == set(data[2]) == DIAGNOSIS_KEYS
    assert data[1] == {"path": "no/such.log", "error": "no such file"}
    assert [d["params"]["module"] for d in (data[0], data[2])] == ["yaml", "yaml"]
    assert data[2]["remediation"]["action"] == "fix-pr" and "PyYAML" in data[2]["remediation"]["advice"]
    assert proc.stderr == "healing-guard: error: no/such.log: no such file\n"


def test_analyze_one_log_is_the_object_ci_run_reads() -> None:
    proc = healing_guard("analyze", EXAMPLE_LOG, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["category"] == "dependency_missing" and d["params"]["module"] == "yaml"
    assert d["path"] == EXAMPLE_LOG


def test_version() -> None:
    proc = healing_guard("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"healing-guard \d+\.\d+\.\d+\S*\n", proc.stdout)
    assert proc.stdout == f"healing-guard {cli.package_version()}\n"


def test_readme_command_line_section_names_every_command_and_exit_status() -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## The command line and the library", 1)[1].split("\n## ", 1)[0]
    for command in ("analyze", "validate", "strategies", "completion", "demo"):
        assert f"healing-guard {command}" in section, command
    assert "healing-guard --version" in section
    for status in ("0", "1", "2"):
        assert re.search(rf"\b{status}\b", section)
    # every other command (the history commands) is documented in its own README section
    _, commands = completion.commands(cli.build_parser())
    undocumented = {c.name for c in commands if f"healing-guard {c.name}" not in text}
    assert not undocumented
