"""What the guard writes to the repository's trail when it handles a completed run, against the
fake GitHub server: failure and decision records, outcomes closed on a later attempt, learned
fixes, nothing for a dry run or an untouched green run, and a trail that cannot be written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from healing_guard.config import HistoryPolicy
from healing_guard.github_api import GitHubClient
from healing_guard.guard import PipelineGuard
from healing_guard.history.flaky import flaky_tests
from healing_guard.history.github_trail import GitHubTrail
from healing_guard.history.policy import MemoryPolicy
from healing_guard.history.records import TrailRecord, make_record, shard_name
from healing_guard.history.remember import months_to_read, remember
from healing_guard.provider import RunInfo
from healing_guard.results import GuardResult
from healing_guard.settings import Settings
from healing_guard.simulator import FakeGitHub, timestamp_log
from tests.runner import FAST_CONFIG, run_action, workflow_run_event
from tests.test_action_e2e import NETWORK, POST, PREAMBLE, TESTS_FAILED, failed_run
from tests.test_sanitize import runner_commands

BRANCH = "healing-guard/state"
TEST_ID = "tests/test_cart.py::test_total_price"


def client(gh: FakeGitHub) -> GitHubClient:
    return GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda s: None)


def guard(
    gh: FakeGitHub, tmp_path: Path, run: dict[str, Any], *, config: str = FAST_CONFIG, **inputs: str
) -> GuardResult:
    """The guard on a workflow_run event for ``run``, in this process (as ``action.main`` runs it)."""
    workspace = tmp_path / f"ws-{len(list(tmp_path.iterdir()))}"
    (workspace / ".github").mkdir(parents=True)
    (workspace / ".github" / "healing-config.yml").write_text(config, "utf-8")
    event = workspace.parent / f"{workspace.name}-event.json"
    event.write_text(json.dumps(workflow_run_event(gh, run)), "utf-8")
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_REPOSITORY": gh.full_name,
        "GITHUB_API_URL": gh.url,
        "GITHUB_RUN_ID": "999999",
        "INPUT_GITHUB-TOKEN": gh.token,
        **{f"INPUT_{k.upper().replace('_', '-')}": v for k, v in inputs.items()},
    }
    return PipelineGuard(Settings.from_env(env), provider=client(gh), sleep=lambda s: None).run()


def records(gh: FakeGitHub, kind: str | None = None) -> list[TrailRecord]:
    found = GitHubTrail(client(gh)).read().records
    return [r for r in found if kind is None or r.kind == kind]


def shard_lines(gh: FakeGitHub) -> list[str]:
    text = gh.file(f"trail/{datetime.now(timezone.utc):%Y-%m}.jsonl", BRANCH)
    return text.splitlines() if text else []


def test_a_healed_run_leaves_failure_and_decision_records(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK, "unit": TESTS_FAILED})
    result = guard(gh, tmp_path, run)
    assert not result.errors, result.errors
    failures = {r.job: r for r in records(gh, "failure")}
    assert set(failures) == {"install", "unit"}
    install, unit = failures["install"], failures["unit"]
    assert (install.run_id, install.attempt, install.workflow, install.branch) == (run["id"], 1, "CI", "feature/cart")
    assert install.sha == run["head_sha"] and install.event == "pull_request"
    assert (install.category, install.strategy, install.action, install.result) == (
        "network",
        "npm-network-error",
        "rerun",
        "done",
    )
    assert "ETIMEDOUT" in install.root_line and install.signature and install.confidence > 0.9
    assert install.guard_duration_s is not None and install.job_duration_s is not None
    assert unit.category == "test_failure" and unit.failing_tests == (TEST_ID,)
    assert unit.action == "comment" and unit.result == "done"
    decisions = records(gh, "decision")
    # the pull request comment (an outcome no failure record stands for), and the guard's own
    # decision that it acted (GuardResult.decisions: by nobody, so result is empty)
    assert sorted((d.action, d.result) for d in decisions) == [("acted", ""), ("comment", "done")]


def test_the_same_attempt_handled_twice_writes_no_duplicate(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"unit": TESTS_FAILED})
    guard(gh, tmp_path, run)
    before = shard_lines(gh)
    gh.reset_requests()
    guard(gh, tmp_path, run)
    assert shard_lines(gh) == before
    assert not any("/git/" in r.path for r in gh.writes())


def test_a_failed_run_reads_each_shard_of_the_trail_once(gh: FakeGitHub, tmp_path: Path) -> None:
    """The memory reads the trail before planning (the tree, then each shard's blob); what it read
    is what the records are closed against afterwards, so the shard is not fetched again through
    the Contents API. The append reads the blob it appends to once more (optimistic concurrency)."""
    guard(gh, tmp_path, failed_run(gh, {"install": NETWORK}, branch="other"))
    gh.reset_requests()
    guard(gh, tmp_path, failed_run(gh, {"unit": TESTS_FAILED}))
    reads = [r.path for r in gh.requests if r.method == "GET" and "/contents/trail/" in r.path]
    blobs = [r.path for r in gh.requests if r.method == "GET" and "/git/blobs/" in r.path]
    assert reads == [] and len(blobs) == 2, (reads, blobs)


def test_a_dry_run_writes_nothing_to_the_trail(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.reset_requests()
    result = guard(gh, tmp_path, run, dry_run="true")
    assert result.dry_run and gh.writes() == []
    assert f"refs/heads/{BRANCH}" not in gh.refs
    # the memory may read the trail in a dry run; nothing is written to it
    assert not any(r.method != "GET" and ("/git/" in r.path or "/contents/trail" in r.path) for r in gh.requests)


def test_history_disabled_writes_nothing(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    guard(gh, tmp_path, run, config=FAST_CONFIG + "history:\n  enabled: false\n")
    assert f"refs/heads/{BRANCH}" not in gh.refs


def test_a_green_run_the_guard_never_touched_costs_two_requests_and_writes_nothing(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    earlier = failed_run(gh, {"install": NETWORK}, branch="other")  # a trail with something in it
    guard(gh, tmp_path, earlier)
    green = gh.add_run(name="CI", head_branch="feature/green", conclusion="success")
    gh.add_job(green["id"], "build", conclusion="success")
    gh.reset_requests()
    result = guard(gh, tmp_path, gh.run(green["id"]))
    # the run, and the month's shard (in the first 6 hours of a month, the recovery window's last
    # month's too: runs held then may be released by this one)
    now = datetime.now(timezone.utc)
    crosses = shard_name(now - timedelta(hours=MemoryPolicy().recover_within_hours)) != shard_name(now)
    assert len(gh.requests) <= 2 + crosses, [(r.method, r.path) for r in gh.requests]
    assert gh.writes() == []
    assert not result.errors and not any("audit trail" in n for n in result.notes)


def test_a_rerun_that_turns_green_closes_the_outcome_with_time_to_green(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.set_rerun_outcome(run["id"], "success")
    guard(gh, tmp_path, run)
    gh.advance_clock(90)
    second = gh.run(run["id"])
    assert second["run_attempt"] == 2
    result = guard(gh, tmp_path, gh.run(run["id"]))
    (outcome,) = records(gh, "outcome")
    assert (outcome.attempt, outcome.previous_attempt, outcome.conclusion, outcome.result) == (
        2,
        1,
        "success",
        "healed",
    )
    assert (outcome.action, outcome.strategy, outcome.job) == ("rerun", "npm-network-error", "install")
    failure = records(gh, "failure")[0]
    assert outcome.signature == failure.signature and outcome.first_failure_at == failure.at
    assert outcome.time_to_green_s is not None and 85 <= outcome.time_to_green_s <= 200
    assert any("healed" in n and "to green" in n for n in result.notes)


def test_a_rerun_that_fails_again_closes_not_healed_and_records_the_new_failure(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.set_rerun_outcome(run["id"], "failure", logs={"install": timestamp_log(NETWORK)})
    guard(gh, tmp_path, run)
    guard(gh, tmp_path, gh.run(run["id"]))
    (outcome,) = records(gh, "outcome")
    assert (outcome.attempt, outcome.result, outcome.conclusion, outcome.time_to_green_s) == (
        2,
        "not_healed",
        "failure",
        None,
    )
    assert sorted(r.attempt for r in records(gh, "failure")) == [1, 2]


def test_a_test_that_passes_when_the_same_commit_runs_again_is_a_flake(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"unit": TESTS_FAILED})
    guard(gh, tmp_path, run)  # a test failure: the guard comments, it does not re-run
    gh.set_rerun_outcome(run["id"], "success")
    client(gh).rerun_failed_jobs(run["id"])  # a person re-runs it
    guard(gh, tmp_path, gh.run(run["id"]))
    (outcome,) = records(gh, "outcome")
    assert outcome.failing_tests == (TEST_ID,) and outcome.result == "passed" and outcome.action == "comment"
    (flaky,) = flaky_tests(records(gh))
    assert (flaky.test, flaky.failures, flaky.flakes) == (TEST_ID, 1, 1)


def test_a_human_commit_that_turns_the_workflow_green_is_a_learned_fix(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"unit": TESTS_FAILED}, pr=False)
    guard(gh, tmp_path, run)
    fix_sha = gh.add_file("src/cart.py", "def total_price(xs):\n    return sum(xs) + 1\n", branch="feature/cart")
    green = gh.add_run(name="CI", head_branch="feature/cart", head_sha=fix_sha, conclusion="success")
    gh.add_job(green["id"], "unit", conclusion="success", log=timestamp_log(PREAMBLE + "ok\n" + POST))
    result = guard(gh, tmp_path, gh.run(green["id"]))
    (fix,) = records(gh, "fix")
    failure = records(gh, "failure")[0]
    assert (fix.fix_sha, fix.files, fix.signature, fix.result) == (
        fix_sha,
        ("src/cart.py",),
        failure.signature,
        "fixed",
    )
    assert fix.run_id == green["id"] and fix.branch == "feature/cart"
    assert any("learned fix" in n and "src/cart.py" in n for n in result.notes)
    # the next green run of that workflow and branch learns nothing more
    again = gh.add_run(name="CI", head_branch="feature/cart", head_sha=fix_sha, conclusion="success")
    guard(gh, tmp_path, gh.run(again["id"]))
    assert len(records(gh, "fix")) == 1


def test_the_guards_own_commits_are_recorded_as_its_fix(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"unit": TESTS_FAILED}, pr=False)
    guard(gh, tmp_path, run)
    client(gh).open_fix_pull_request(
        base="feature/cart",
        branch="healing-guard/fix-x",
        files=[("requirements.txt", "pyyaml\n")],
        message="fix",
        title="fix",
        body="fix",
    )
    head = gh.refs["refs/heads/healing-guard/fix-x"]
    gh.add_branch("feature/cart", head)  # the fix pull request merged (fast-forward)
    green = gh.add_run(name="CI", head_branch="feature/cart", head_sha=head, conclusion="success")
    guard(gh, tmp_path, gh.run(green["id"]))
    (fix,) = records(gh, "fix")
    assert fix.result == "guard_fix" and fix.files == ("requirements.txt",)


@pytest.mark.parametrize("status", [500, 403])
def test_a_trail_that_cannot_be_written_is_a_note_and_the_healing_still_happens(
    gh: FakeGitHub, tmp_path: Path, status: int
) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.inject("POST", r"/git/", status, times=None)
    result = guard(gh, tmp_path, run)
    assert result.healed and gh.run(run["id"])["run_attempt"] == 2
    assert not result.errors
    assert any("audit trail" in n and "could not be written" in n and "contents: write" in n for n in result.notes)


def test_the_action_end_to_end_reruns_then_closes_the_outcome(gh: FakeGitHub, tmp_path: Path) -> None:
    """entrypoint.py as the runner starts it: attempt 1 fails, the guard re-runs it, attempt 2 is
    green, the guard (started again by its completion) records the outcome."""
    run = failed_run(gh, {"install": NETWORK})
    gh.set_rerun_outcome(run["id"], "success")
    first = run_action(gh, tmp_path / "one", event=workflow_run_event(gh, run))
    assert first.returncode == 0, first.stderr
    assert first.outputs["healed"] == "true"
    gh.reset_requests()
    second = run_action(gh, tmp_path / "two", event=workflow_run_event(gh, gh.run(run["id"])))
    assert second.returncode == 0, second.stderr
    (outcome,) = records(gh, "outcome")
    assert (outcome.attempt, outcome.result, outcome.action) == (2, "healed", "rerun")
    assert outcome.time_to_green_s is not None
    assert "audit trail" in second.summary and "healed" in second.summary
    # a successful attempt is not healed again: nothing but reads and the trail's own writes
    assert all("/git/" in r.path for r in gh.writes())


def test_the_action_says_in_the_summary_when_the_trail_cannot_be_written(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    gh.inject("POST", r"/git/(blobs|trees|commits)$", 500, times=None)
    result = run_action(gh, tmp_path / "ws", event=workflow_run_event(gh, run))
    assert result.returncode == 0, result.stderr
    assert result.outputs["healed"] == "true"
    assert "audit trail" in result.summary and "could not be written" in result.summary


def test_log_text_in_the_trail_is_redacted_and_hostile_names_stay_inert(gh: FakeGitHub, tmp_path: Path) -> None:
    leaky = NETWORK.replace("https://registry.npmjs.org/left-pad", f"https://ci:{gh.token}@registry.npmjs.org/left-pad")
    run = failed_run(gh, {"::error::pwned [click](https://evil.example)": leaky})
    gh.set_rerun_outcome(run["id"], "success")
    guard(gh, tmp_path, run)
    (failure,) = records(gh, "failure")
    assert gh.token not in failure.root_line and "***" in failure.root_line
    assert gh.token not in "".join(shard_lines(gh))
    result = run_action(gh, tmp_path / "e2e", event=workflow_run_event(gh, gh.run(run["id"])))
    assert result.returncode == 0, result.stderr
    # the job's name in a note is no workflow command of its own
    assert not [c for c in runner_commands(result.stdout) if c.name == "error" and "pwned" in c.data]
    assert any("pwned" in c.data and "audit trail" in c.data for c in runner_commands(result.stdout))
    assert "[click](https://evil.example)" not in result.summary  # nor a live link


def test_an_outcome_is_closed_across_a_month_boundary_with_one_more_read(gh: FakeGitHub) -> None:
    now = datetime(2026, 12, 1, 0, 10, tzinfo=timezone.utc)
    failed_at = datetime(2026, 11, 30, 23, 55, tzinfo=timezone.utc)
    run = RunInfo(
        id=42,
        name="CI",
        attempt=2,
        status="completed",
        conclusion="success",
        event="push",
        head_branch="main",
        head_sha="a" * 40,
        html_url="",
        repository=gh.full_name,
        created_at="2026-11-30T23:50:00Z",
        updated_at=now.isoformat(),
    )
    GitHubTrail(client(gh)).append(
        [
            make_record(
                "failure",
                repository=gh.full_name,
                run_id=42,
                attempt=1,
                job_id=7,
                job="install",
                workflow="CI",
                branch="main",
                action="rerun",
                result="done",
                at=failed_at.isoformat(),
            )
        ]
    )
    assert [m.month for m in months_to_read(run, now)] == [11, 12]
    gh.reset_requests()
    notes = remember(
        client(gh),
        HistoryPolicy(),
        GuardResult(mode="run", run=run),
        repository=gh.full_name,
        redactor=str,
        now=lambda: now,
    )
    reads = [r.path for r in gh.requests if "/contents/trail/" in r.path]
    assert reads == [
        f"/repos/{gh.full_name}/contents/trail/2026-11.jsonl",
        f"/repos/{gh.full_name}/contents/trail/2026-12.jsonl",
    ]
    (outcome,) = records(gh, "outcome")
    assert outcome.result == "healed" and outcome.time_to_green_s == 15 * 60
    assert any("healed" in n for n in notes)
