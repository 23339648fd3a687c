"""The action end to end: entrypoint.py started as the runner starts it, against a fake GitHub.

Each test seeds a FakeGitHub (real HTTP on 127.0.0.1), starts the action in a fresh process
with INPUT_* variables, the event payload, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, and checks
what reached GitHub (requests and state), the outputs, the summary and the log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub, timestamp_log

from .runner import ActionRun, run_action, workflow_run_event
from .test_sanitize import runner_commands

PREAMBLE = """Current runner version: '2.321.0'
##[group]Operating System
Ubuntu
24.04.1
LTS
##[endgroup]
##[group]Runner Image
Image: ubuntu-24.04
##[endgroup]
##[group]Run actions/checkout@v4
with:
  repository: octo-org/octo-repo
##[endgroup]
Syncing repository: octo-org/octo-repo
"""
POST = "Post job cleanup.\n[command]/usr/bin/git version\nCleaning up orphan processes\n"

NETWORK = (
    PREAMBLE
    + """##[group]Run npm ci
npm ci
shell: /usr/bin/bash -e {0}
##[endgroup]
npm warn deprecated inflight@1.0.6: This module is not supported
npm error code ETIMEDOUT
npm error errno ETIMEDOUT
npm error network request to https://registry.npmjs.org/left-pad failed, reason: connect ETIMEDOUT 104.16.3.35:443
npm error network This is a problem related to network connectivity.
npm error A complete log of this run can be found in: /home/runner/.npm/_logs/2026-11-02T14_03_18_123Z-debug-0.log
##[error]Process completed with exit code 1.
"""
    + POST
)

TESTS_FAILED = (
    PREAMBLE
    + """##[group]Run python -m pytest -q
python -m pytest -q
##[endgroup]
\x1b[31mF\x1b[0m..
=================================== FAILURES ===================================
_______________________________ test_total_price _______________________________
    def test_total_price():
>       assert total_price([1, 2]) == 4
E       assert 3 == 4
tests/test_cart.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_total_price - assert 3 == 4
========================= 1 failed, 2 passed in 0.12s ==========================
##[error]Process completed with exit code 1.
"""
    + POST
)

MISSING_YAML = (
    PREAMBLE
    + """##[group]Run python -m pytest -q
python -m pytest -q
##[endgroup]
ImportError while importing test module '/home/runner/work/octo-repo/octo-repo/tests/test_config.py'.
E   ModuleNotFoundError: No module named 'yaml'
=========================== short test summary info ============================
ERROR tests/test_config.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
##[error]Process completed with exit code 2.
"""
    + POST
)

CACHE = (
    PREAMBLE
    + """##[group]Run actions/cache@v4
with:
  path: ~/.cache/pip
  key: pip-Linux-3f2a9c
##[endgroup]
Cache restored from key: pip-Linux-3f2a9c
##[group]Run pip install -r requirements.txt
##[endgroup]
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE CACHE pip-Linux-3f2a9c
##[error]Process completed with exit code 1.
"""
    + POST
)

CACHE_STRATEGY = """
retry:
  backoff_seconds: 0
  max_backoff_seconds: 0
custom_strategies:
  - id: pip-cache-hash-mismatch
    name: pip cache with wrong hashes
    category: cache_corruption
    patterns: ['^ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE CACHE (?P<key>\\S+)']
    risk: low
    confidence: 0.95
    action: clear-cache
"""


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as server:
        yield server


def failed_run(
    gh: FakeGitHub,
    jobs: dict[str, str],
    *,
    pr: bool = True,
    attempt: int = 1,
    branch: str = "feature/cart",
    passing: tuple[str, ...] = ("build",),
) -> dict[str, Any]:
    pulls: list[int] = []
    if pr:
        pull = gh.add_pull(head_ref=branch, title="Cart totals", number=7)
        pulls = [int(pull["number"])]
    run = gh.add_run(
        name="CI",
        head_branch=branch,
        head_sha=gh.refs.get(f"refs/heads/{branch}"),
        event="pull_request" if pr else "push",
        run_attempt=attempt,
        pull_requests=pulls,
    )
    for name in passing:
        gh.add_job(run["id"], name, conclusion="success", log=timestamp_log(PREAMBLE + "ok\n" + POST))
    for name, log in jobs.items():
        gh.add_job(
            run["id"],
            name,
            conclusion="failure",
            log=timestamp_log(log),
            steps=[("Set up job", "success"), ("Run tests", "failure"), ("Complete job", "success")],
        )
    return gh.run(run["id"])


def heal(gh: FakeGitHub, tmp_path: Path, run: dict[str, Any], **kwargs: Any) -> ActionRun:
    return run_action(gh, tmp_path / "ws", event=workflow_run_event(gh, run), **kwargs)


def paths(gh: FakeGitHub, method: str) -> list[str]:
    return [r.path for r in gh.requests if r.method == method]


def test_transient_failure_is_rerun_and_reported(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert paths(gh, "POST").count(f"/repos/octo-org/octo-repo/actions/runs/{run['id']}/rerun-failed-jobs") == 1
    assert result.outputs["category"] == "network"
    assert result.outputs["strategy"] == "npm-network-error"
    assert result.outputs["action"] == "rerun,comment"
    assert result.outputs["healed"] == "true"
    assert [d["line"] for d in result.diagnosis] == [22]
    assert gh.run(run["id"])["run_attempt"] == 2
    # the log came from the 302 Location, fetched without the token
    assert gh.blob_fetches and not any(f.authorization for f in gh.blob_fetches)
    # one comment on the PR, with the diagnosis
    comments = list(gh.comments.values())
    assert len(comments) == 1 and "network" in comments[0]["body"]
    assert "npm-network-error" in result.summary and "rerun" in result.summary
    assert (result.workspace / ".healing-guard" / f"audit-{run['id']}-1.json").exists()


def test_dry_run_plans_everything_and_writes_nothing(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.reset_requests()
    result = heal(gh, tmp_path, run, inputs={"dry-run": "true"})
    assert result.returncode == 0, result.stderr
    assert gh.writes() == []
    assert result.outputs["action"] == "rerun,comment"
    assert result.outputs["healed"] == "false"
    assert "Dry run" in result.summary and "planned" in result.summary
    assert gh.run(run["id"])["run_attempt"] == 1 and not gh.comments


def test_deterministic_failure_is_not_rerun(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"test": TESTS_FAILED})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert not any("rerun" in p for p in paths(gh, "POST"))
    assert result.outputs["category"] == "test_failure"
    assert result.outputs["action"] == "comment"
    assert result.outputs["healed"] == "false"
    assert result.diagnosis[0]["params"]["tests"] == ["tests/test_cart.py::test_total_price"]


def test_mixed_failure_reruns_only_the_transient_job(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"unit": TESTS_FAILED, "install": NETWORK})
    install = next(j for j in gh.jobs.values() if j["name"] == "install")
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    reruns = [p for p in paths(gh, "POST") if "rerun" in p]
    assert reruns == [f"/repos/octo-org/octo-repo/actions/jobs/{install['id']}/rerun"]
    assert {d["category"] for d in result.diagnosis} == {"test_failure", "network"}


def test_retries_exhausted_escalates_once_per_signature(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK}, attempt=4)
    first = heal(gh, tmp_path, run, inputs={"max-retries": "3"})
    assert first.returncode == 0, first.stderr
    # the open issues are listed for the count, again right before creating and right after
    # (a racing guard's issue would show there), not once per use
    assert paths(gh, "GET").count("/repos/octo-org/octo-repo/issues") == 3
    assert not any("rerun" in p for p in paths(gh, "POST"))
    assert "escalate" in first.outputs["action"].split(",")
    issues = [i for i in gh.issues.values() if i.get("pull_request") is None]
    assert len(issues) == 1
    issue = issues[0]
    assert {label["name"] for label in issue["labels"]} == {"ci-failure", "healing-guard"}
    assert "retries spent" in issue["body"] and "seen **1** time" in issue["body"]
    # the same run attempt handled again counts once (issue 7, defect 7)
    again = heal(gh, tmp_path, run, inputs={"max-retries": "3"})
    assert again.returncode == 0, again.stderr
    issues = [i for i in gh.issues.values() if i.get("pull_request") is None]
    assert len(issues) == 1 and "seen **1** time" in issues[0]["body"]
    assert len(gh.comments) == 1  # the PR comment is updated in place, not duplicated
    # the next failure with the same signature (another run) updates that issue
    second = heal(gh, tmp_path, failed_run(gh, {"install": NETWORK}, attempt=4, pr=False), inputs={"max-retries": "3"})
    assert second.returncode == 0, second.stderr
    issues = [i for i in gh.issues.values() if i.get("pull_request") is None]
    assert len(issues) == 1 and "seen **2** times" in issues[0]["body"]


def test_cache_corruption_clears_the_key_then_reruns(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_cache("pip-Linux-3f2a9c", ref="refs/pull/7/merge", size_in_bytes=1000)
    gh.add_cache("pip-Linux-3f2a9c", ref="refs/heads/main", size_in_bytes=1000)
    run = failed_run(gh, {"install": CACHE})
    result = heal(gh, tmp_path, run, config=CACHE_STRATEGY)
    assert result.returncode == 0, result.stderr
    deletes = [r for r in gh.requests if r.method == "DELETE"]
    assert [(r.query.get("key"), r.query.get("ref")) for r in deletes] == [("pip-Linux-3f2a9c", "refs/pull/7/merge")]
    assert [c["ref"] for c in gh.caches] == ["refs/heads/main"]  # other refs untouched
    posts = paths(gh, "POST")
    assert any(p.endswith("/rerun-failed-jobs") for p in posts)
    assert result.outputs["action"].split(",")[:2] == ["clear-cache", "rerun"]
    assert "left pip-Linux-3f2a9c on protected refs/heads/main" in result.summary


def test_missing_python_module_opens_a_fix_pull_request(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    run = failed_run(gh, {"test": MISSING_YAML})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert "fix-pr" in result.outputs["action"].split(",")
    fix = [p for p in gh.pulls.values() if str(p["head"]["ref"]).startswith("healing-guard/feature/cart/fix-")]
    assert len(fix) == 1 and fix[0]["base"]["ref"] == "feature/cart"
    assert gh.file("requirements.txt", fix[0]["head"]["ref"]) == "requests==2.32.3\nPyYAML\n"
    assert gh.file("requirements.txt", "feature/cart") == "requests==2.32.3\n"


def test_invalid_config_fails_the_step_with_file_and_line(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.reset_requests()
    result = heal(gh, tmp_path, run, config="retry:\n  max_retries: three\n")
    assert result.returncode == 1
    assert "::error file=.github/healing-config.yml,line=2,title=Invalid healing-config::" in result.stdout
    assert "max_retries" in result.stdout
    assert gh.writes() == []
    assert result.outputs["action"] == "none"


def test_run_in_progress_is_left_alone(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run(name="CI", head_branch="feature/x", status="in_progress", conclusion=None)
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert "still in_progress" in result.stdout
    assert gh.writes() == [] and result.outputs["action"] == "none"


def test_successful_and_cancelled_runs_are_left_alone(gh: FakeGitHub, tmp_path: Path) -> None:
    for conclusion in ("success", "cancelled"):
        run = gh.add_run(name="CI", head_branch="feature/x", conclusion=conclusion)
        result = heal(gh, tmp_path, run)
        assert result.returncode == 0 and f"concluded {conclusion}" in result.stdout
    assert gh.writes() == []


def test_an_attempt_already_rerun_is_not_rerun_again(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    first = heal(gh, tmp_path, run)
    assert first.outputs["healed"] == "true"
    # the same event delivered again (or the healer re-run by hand): attempt 1 was handled
    second = heal(gh, tmp_path, run)
    assert second.returncode == 0, second.stderr
    reruns = [p for p in paths(gh, "POST") if "rerun" in p]
    assert len(reruns) == 1
    assert "already handled" in second.summary
    assert len(gh.comments) == 1


def test_bad_token_is_a_clear_error_and_fails_only_when_asked(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    quiet = heal(gh, tmp_path, run, inputs={"github-token": "ghs_wrong"})
    assert quiet.returncode == 0
    assert "401" in quiet.stdout and "github-token" in quiet.stdout
    assert "401" in quiet.summary
    loud = heal(gh, tmp_path, run, inputs={"github-token": "ghs_wrong", "fail-on-error": "true"})
    assert loud.returncode == 1


def test_missing_permission_names_it_and_other_remediations_go_on(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.set_permission("actions", "read")
    run = failed_run(gh, {"install": NETWORK})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert "actions: write" in result.summary
    assert len(gh.comments) == 1  # the comment still went out
    assert result.outputs["healed"] == "false"
    assert result.outputs["action"] == "comment"


def test_unknown_run_is_a_clear_404(gh: FakeGitHub, tmp_path: Path) -> None:
    result = run_action(gh, tmp_path / "ws", inputs={"run-id": "424242"}, event_name="workflow_dispatch")
    assert result.returncode == 0
    assert "not found (404)" in result.stdout


def test_server_errors_and_rate_limits_are_retried(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.inject("GET", r"/actions/jobs/\d+/logs$", 502)
    gh.inject_rate_limit("POST", r"/rerun-failed-jobs$", kind="secondary", status=429, retry_after=1)
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert result.outputs["healed"] == "true"
    assert len([p for p in paths(gh, "POST") if p.endswith("/rerun-failed-jobs")]) == 2


def test_hostile_log_cannot_issue_commands_or_leak_secrets(gh: FakeGitHub, tmp_path: Path) -> None:
    secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    hostile = NETWORK.replace(
        "npm error network request",
        f"::add-mask::oops\n::stop-commands::abc\n##[set-env name=X]1 ::error::forged {secret}\n"
        f"npm error network request",
    ).replace("left-pad failed", f"left-pad?token={secret} failed")
    run = failed_run(gh, {"install": hostile})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    commands = [c.name for c in runner_commands(result.stdout)]
    resumes = [c for c in commands if re.fullmatch(r"[0-9a-f]{32}", c)]  # the guard's own ::<token>::
    assert len(resumes) == commands.count("stop-commands") == 1
    allowed = {"add-mask", "group", "stop-commands", "endgroup", "notice", "error", "warning"}
    assert set(commands) - set(resumes) <= allowed, commands
    assert commands.count("add-mask") == 1  # the guard's own token only
    everything = result.stdout + result.summary + "".join(c["body"] for c in gh.comments.values())
    assert secret not in everything and gh.token not in everything.replace(f"::add-mask::{gh.token}", "")


def test_in_job_mode_diagnoses_log_files_without_the_api(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "pytest.log").write_text(timestamp_log(MISSING_YAML), "utf-8")
    result = run_action(None, ws, inputs={"log-path": "pytest.log"}, event_name="push")
    assert result.returncode == 0, result.stderr
    assert result.outputs["category"] == "dependency_missing"
    assert result.outputs["healed"] == "false"
    assert "::error title=Healing Guard%3A dependency_missing in pytest.log::" in result.stdout
    assert "dependency_missing" in result.summary
