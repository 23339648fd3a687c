"""examples/workflows/weekly-report.yml: its posting step, run by bash as the runner would, against a
stand-in ``gh`` that keeps the repository's issues in a file: one issue per week, found again and
updated (open or closed), never duplicated. (Its schema is checked in test_container_lint.)"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parents[1] / "examples" / "workflows" / "weekly-report.yml"

# gh as far as the step uses it: `label create`, `api repos/{owner}/{repo}/issues?labels=L&... --jq E`
# (the list through the real jq, as gh's --jq would), `issue create`, `issue edit`
FAKE_GH = r"""
import json, subprocess, sys, urllib.parse
from pathlib import Path
state = Path(sys.argv[0]).parent.parent / "issues.json"
issues = json.loads(state.read_text()) if state.exists() else []
args = sys.argv[1:]
def opt(name):
    return args[args.index(name) + 1]
if args[:2] == ["label", "create"]:
    sys.exit(0)
if args[0] == "api":
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(args[1]).query)
    assert "{owner}/{repo}" in args[1] and query["state"] == ["all"], args
    label = query["labels"][0]
    found = [i for i in reversed(issues) if label in i["labels"]]
    out = subprocess.run(["jq", "-r", opt("--jq")], input=json.dumps(found), capture_output=True, text=True, check=True)
    sys.stdout.write(out.stdout)
    sys.exit(0)
if args[:2] == ["issue", "create"]:
    number = len(issues) + 1
    issues.append({"number": number, "title": opt("--title"), "labels": [opt("--label")],
                   "body": Path(opt("--body-file")).read_text(), "pull_request": None})
elif args[:2] == ["issue", "edit"]:
    issue = next(i for i in issues if i["number"] == int(args[2]))
    issue["body"] = Path(opt("--body-file")).read_text()
else:
    sys.exit(f"fake gh: unexpected {args}")
state.write_text(json.dumps(issues))
"""


def post_step() -> dict[str, Any]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["report"]["steps"]
    step: dict[str, Any] = next(s for s in steps if s.get("name") == "Post the report as this week's issue")
    return step


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("jq") is None or shutil.which("bash") is None:
        pytest.skip("needs bash and jq (gh's --jq is jq)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}", encoding="utf-8")
    gh.chmod(0o755)
    date = bin_dir / "date"
    date.write_text('#!/bin/sh\necho "$FAKE_WEEK"\n', encoding="utf-8")
    date.chmod(0o755)
    return tmp_path


def post(repo: Path, week: str, report: str) -> list[dict[str, Any]]:
    (repo / "report.md").write_text(report, encoding="utf-8")
    step = post_step()
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    env = {
        **os.environ,
        "PATH": f"{repo / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_WEEK": week,
        "LABEL": workflow["env"]["LABEL"],
        "GH_TOKEN": "x",
        "GH_REPO": "octo/shop",
        "RUN_URL": "https://github.com/octo/shop/actions/runs/42",
    }
    done = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    issues: list[dict[str, Any]] = json.loads((repo / "issues.json").read_text())
    return issues


def test_one_issue_per_week_updated_not_duplicated(repo: Path) -> None:
    issues = post(repo, "2026-W48", "first report\n")
    assert [(i["title"], i["labels"]) for i in issues] == [
        ("Healing Guard weekly report 2026-W48", ["healing-guard-report"])
    ]
    assert issues[0]["body"].startswith("first report")
    assert "https://github.com/octo/shop/actions/runs/42" in issues[0]["body"]
    issues = post(repo, "2026-W48", "second report\n")
    assert len(issues) == 1 and issues[0]["body"].startswith("second report")
    issues = post(repo, "2026-W49", "next week\n")
    assert [i["title"] for i in issues] == [
        "Healing Guard weekly report 2026-W48",
        "Healing Guard weekly report 2026-W49",
    ]
    assert issues[0]["body"].startswith("second report")


def test_a_pull_request_with_the_same_title_is_not_the_issue(repo: Path) -> None:
    pr = {"number": 1, "title": "Healing Guard weekly report 2026-W48", "labels": ["healing-guard-report"]}
    (repo / "issues.json").write_text(json.dumps([{**pr, "body": "pr", "pull_request": {"url": "x"}}]))
    issues = post(repo, "2026-W48", "report\n")
    assert [i["number"] for i in issues] == [1, 2] and issues[0]["body"] == "pr"


def test_a_report_too_long_for_an_issue_points_at_the_artifact(repo: Path) -> None:
    issues = post(repo, "2026-W48", "x" * 70000)
    assert len(issues[0]["body"]) < 1000 and "artifact" in issues[0]["body"]
