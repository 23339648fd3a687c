"""Recovery after a mass failure, against the fake GitHub server with the repository's own trail:
the brake holds a re-run, a later passing run of the same workflow re-runs it once, the re-run's
outcome is the guard's; runs that moved on, other workflows, old holds, dry runs and the budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from healing_guard.history.github_trail import GitHubTrail
from healing_guard.history.policy import MemoryPolicy
from healing_guard.history.recorder import decision_record, held_run_record
from healing_guard.history.records import TrailRecord, make_record
from healing_guard.history.recovery import HELD, held_runs, hold_key, probe_key, probes, recovery_key
from healing_guard.provider import RunInfo
from healing_guard.results import Decision, Outcome
from healing_guard.simulator import FakeGitHub, timestamp_log
from tests.runner import FAST_CONFIG, run_action
from tests.test_action_e2e import NETWORK, POST, PREAMBLE, failed_run
from tests.test_history_recording import client, guard, records

REPO = "octo-org/octo-repo"


def busy_hour(gh: FakeGitHub, count: int = 5) -> None:
    """The trail of an outage: the guard re-ran ``count`` network failures in the last hour."""
    now = datetime.now(timezone.utc)
    GitHubTrail(client(gh)).append(
        [
            make_record(
                "failure",
                repository=gh.full_name,
                run_id=700 + i,
                attempt=1,
                job_id=1,
                workflow="CI",
                category="network",
                signature=f"outage-{i}",
                action="rerun",
                result="done",
                at=(now - timedelta(minutes=5 + 5 * i)).isoformat(timespec="seconds"),
            )
            for i in range(count)
        ]
    )


def green_run(gh: FakeGitHub, *, name: str = "CI", minutes: float = 1.0, branch: str = "main") -> dict[str, Any]:
    """A passing run of ``name`` that started ``minutes`` from now (after the held failure), on the
    held run's commit of ``main`` unless another branch is given."""
    run = gh.add_run(
        name=name,
        head_branch=branch,
        head_sha=gh.refs.get(f"refs/heads/{branch}"),
        conclusion="success",
        created_at=datetime.now(timezone.utc) + timedelta(minutes=minutes),
    )
    gh.add_job(run["id"], "install", conclusion="success", log=timestamp_log(PREAMBLE + "ok\n" + POST))
    return gh.run(run["id"])


def rerun_posts(gh: FakeGitHub) -> list[str]:
    return [r.path for r in gh.requests if r.method == "POST" and "rerun" in r.path]


def held_failure(gh: FakeGitHub, tmp_path: Path, config: str = FAST_CONFIG) -> dict[str, Any]:
    busy_hour(gh)
    run = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    result = guard(gh, tmp_path, run, config=config)
    (job,) = result.results
    assert job.decision is not None and job.decision.action == "escalate" and job.decision.memory == ("brake",)
    assert job.decision.held, job.decision.reason
    assert "held: re-run once a run of this workflow passes again within 24.0 h" in job.decision.reason
    assert any("re-run once a run of their workflow passes again" in n for n in result.notes)
    assert rerun_posts(gh) == []
    (issue,) = gh.issues.values()
    assert "The guard holds this failure until its cause recovers (mass-failure brake" in str(issue["body"])
    assert "Held, no need to re-run by hand" in str(issue["body"])
    return run


def test_a_held_run_is_rerun_once_its_workflow_passes_again_and_its_outcome_is_the_guards(
    gh: FakeGitHub, tmp_path: Path
) -> None:
    run = held_failure(gh, tmp_path)
    held = [r for r in records(gh, "decision") if r.action == HELD]
    assert [(r.run_id, r.attempt, r.workflow) for r in held] == [(run["id"], 1, "CI")]

    green = green_run(gh)
    result = guard(gh, tmp_path, green)
    assert not result.errors, result.errors
    (outcome,) = [o for o in result.outcomes if o.action == "rerun"]
    assert outcome.status == "done" and f"held run {run['id']} attempt 1" in outcome.detail
    assert f"run {green['id']} of CI passed after the mass failure" in outcome.detail
    assert rerun_posts(gh) == [f"/repos/{REPO}/actions/runs/{run['id']}/rerun-failed-jobs"]
    assert gh.run(run["id"])["run_attempt"] == 2
    (mark,) = [r for r in records(gh, "decision") if r.action == "rerun"]
    assert (mark.run_id, mark.attempt, mark.result) == (run["id"], 1, "done")
    assert recovery_key(run["id"], 1) in mark.key

    # the same passing run handled again, and another passing run: nothing is re-run twice
    guard(gh, tmp_path, green)
    guard(gh, tmp_path, green_run(gh, minutes=2))
    assert len(rerun_posts(gh)) == 1

    # the held run's second attempt passes: the outcome says the guard healed it
    gh.complete_attempt(run["id"], "success")
    guard(gh, tmp_path, gh.run(run["id"]))
    (closed,) = [r for r in records(gh, "outcome") if r.run_id == run["id"]]
    assert (closed.result, closed.action, closed.previous_attempt, closed.conclusion) == (
        "healed",
        "rerun",
        1,
        "success",
    )
    assert "after the mass failure it held ended" in closed.detail
    assert closed.time_to_green_s is not None


def test_a_held_run_someone_already_reran_is_left_alone(gh: FakeGitHub, tmp_path: Path) -> None:
    run = held_failure(gh, tmp_path)
    gh.set_rerun_outcome(run["id"], "success", after_polls=100)
    client(gh).rerun_failed_jobs(run["id"])  # a person, before the trail knows
    result = guard(gh, tmp_path, green_run(gh))
    (outcome,) = [o for o in result.outcomes if o.action == "rerun"]
    assert outcome.status == "skipped" and "has moved on (attempt 2 is queued)" in outcome.detail
    assert len(rerun_posts(gh)) == 1  # the person's only
    (mark,) = [r for r in records(gh, "decision") if r.action == "rerun"]
    assert (mark.run_id, mark.attempt, mark.result) == (run["id"], 1, "skipped")  # on the held attempt


def test_a_held_run_superseded_by_a_passing_commit_on_its_branch_is_not_rerun(gh: FakeGitHub, tmp_path: Path) -> None:
    run = held_failure(gh, tmp_path)
    newer = gh.add_run(
        name="CI",
        head_branch="main",
        head_sha="b" * 40,
        conclusion="success",
        created_at=datetime.now(timezone.utc) + timedelta(minutes=1),
    )
    result = guard(gh, tmp_path, gh.run(newer["id"]))
    (outcome,) = [o for o in result.outcomes if o.action == "rerun"]
    assert outcome.status == "skipped"
    assert (
        outcome.detail
        == f"held run {run['id']} is superseded: run {newer['id']} passed on a newer commit of main; not re-run"
    )
    assert rerun_posts(gh) == []
    # recorded on the held attempt: a passing run of another branch does not re-run it later
    guard(gh, tmp_path, green_run(gh, minutes=2, branch="feature/x"))
    assert rerun_posts(gh) == []


@pytest.mark.parametrize(
    ("name", "minutes"),
    [("Release", 1.0), ("CI", -30.0)],
    ids=["another workflow passed", "the passing run started before the failure"],
)
def test_only_a_later_pass_of_the_same_workflow_releases_a_held_run(
    gh: FakeGitHub, tmp_path: Path, name: str, minutes: float
) -> None:
    held_failure(gh, tmp_path)
    result = guard(gh, tmp_path, green_run(gh, name=name, minutes=minutes))
    assert [o for o in result.outcomes if o.action == "rerun"] == []
    assert rerun_posts(gh) == []


def test_a_dry_run_says_what_recovery_would_rerun_and_does_nothing(gh: FakeGitHub, tmp_path: Path) -> None:
    run = held_failure(gh, tmp_path)
    before = len(records(gh))
    result = guard(gh, tmp_path, green_run(gh), **{"dry_run": "true"})
    (outcome,) = [o for o in result.outcomes if o.action == "rerun"]
    assert outcome.status == "planned" and outcome.detail.startswith(
        f"would re-run the failed jobs of held run {run['id']}"
    )
    assert rerun_posts(gh) == [] and len(records(gh)) == before


def test_recovery_can_be_switched_off(gh: FakeGitHub, tmp_path: Path) -> None:
    busy_hour(gh)
    config = FAST_CONFIG + "memory:\n  brake:\n    recover_within_hours: 0\n"
    run = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    (job,) = guard(gh, tmp_path, run, config=config).results
    assert job.decision is not None and job.decision.action == "escalate" and not job.decision.held
    assert [r for r in records(gh, "decision") if r.action == HELD] == []
    assert [o for o in guard(gh, tmp_path, green_run(gh), config=config).outcomes if o.action == "rerun"] == []


# -- which held runs a passing run releases (the trail's records alone) -------------------------


def _run(run_id: int, *, workflow: str = "CI", attempt: int = 1, **fields: Any) -> RunInfo:
    return RunInfo(run_id, workflow, attempt, "completed", "failure", "push", "main", "", "", repository=REPO, **fields)


def _held(run_id: int, minutes_ago: float, *, workflow: str = "CI", attempt: int = 1) -> TrailRecord:
    """The ``held`` record of job 1 of a run attempt, as the guard writes it."""
    at = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc) - timedelta(minutes=minutes_ago)
    held = Decision(HELD, "held", key=hold_key(run_id, attempt, 1), at=at.isoformat())
    return decision_record(_run(run_id, workflow=workflow, attempt=attempt), held, REPO, str)


def _recovery(run_id: int, result: str, at: str, *, workflow: str = "CI") -> TrailRecord:
    """The decision record of a recovery re-run of attempt 1 of ``run_id``, as the guard writes it."""
    rerun = Outcome(
        "rerun", result, "re-ran the held run", key=recovery_key(run_id, 1), run=_run(run_id, workflow=workflow)
    )
    return held_run_record(rerun, REPO, str, at)


GREEN = RunInfo(
    900,
    "CI",
    1,
    "completed",
    "success",
    "push",
    "main",
    "f" * 40,
    "",
    repository=REPO,
    started_at="2026-11-02T12:00:00Z",
)
NOW = datetime(2026, 11, 2, 12, 10, tzinfo=timezone.utc)


def test_held_runs_are_released_oldest_first_within_the_window_and_the_budget() -> None:
    trail = [_held(1, 30), _held(2, 90), _held(3, 25 * 60), _held(4, 10, workflow="Release"), _held(5, 5)]
    policy = MemoryPolicy(recover_max=2)
    found = held_runs(trail, GREEN, repository=REPO, now=NOW, policy=policy)
    assert [h.run_id for h in found] == [2, 1]  # 3 is older than 24 h; 4 is another workflow
    assert [h.run_id for h in held_runs(trail, GREEN, repository=REPO, now=NOW, policy=MemoryPolicy())] == [2, 1, 5]


def test_a_held_run_with_a_later_attempt_or_a_recovery_in_the_trail_is_not_released() -> None:
    later = make_record("failure", repository=REPO, run_id=1, attempt=2, job_id=1, at="2026-11-02T11:50:00Z")
    done = _recovery(2, "done", "2026-11-02T11:55:00Z")
    failed = _recovery(3, "failed", "2026-11-02T11:55:00Z")
    trail = [_held(1, 30), _held(2, 30), _held(3, 30), later, done, failed]
    found = held_runs(trail, GREEN, repository=REPO, now=NOW, policy=MemoryPolicy())
    assert [h.run_id for h in found] == [3]  # a failed recovery is tried again


def test_a_passing_run_without_a_known_start_releases_nothing() -> None:
    unknown = RunInfo(901, "CI", 2, "completed", "success", "push", "main", "f" * 40, "", repository=REPO)
    assert held_runs([_held(1, 30)], unknown, repository=REPO, now=NOW, policy=MemoryPolicy()) == []


# -- mode: recover, on a schedule: one probe per quiet workflow ---------------------------------


def test_the_newest_held_run_of_each_quiet_workflow_is_the_probe() -> None:
    trail = [
        _held(1, 300),
        _held(2, 200),
        _held(3, 100, workflow="Release"),
        _held(4, 10, workflow="Nightly"),  # held 10 minutes ago: that outage is not quiet yet
        _held(5, 25 * 60),  # older than the window
    ]
    found = probes(trail, repository=REPO, now=NOW, policy=MemoryPolicy())
    assert [(h.workflow, h.run_id) for h in found] == [("CI", 2), ("Release", 3)]
    # a recovery re-run of run 2 twenty minutes ago: CI is probing already; run 2 is not a candidate
    probing = _recovery(2, "done", (NOW - timedelta(minutes=20)).isoformat())
    assert [h.run_id for h in probes([*trail, probing], repository=REPO, now=NOW, policy=MemoryPolicy())] == [3]
    later = replace(probing, at=(NOW - timedelta(minutes=40)).isoformat())
    assert [h.run_id for h in probes([*trail, later], repository=REPO, now=NOW, policy=MemoryPolicy())] == [1, 3]
    assert probes(trail, repository=REPO, now=NOW, policy=MemoryPolicy(recover_max=0)) == []


def _old_hold(gh: FakeGitHub, run: dict[str, Any], minutes_ago: float) -> None:
    at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    held = Decision(HELD, "held", key=hold_key(run["id"], 1, 1), at=at.isoformat(timespec="seconds"))
    about = RunInfo(
        run["id"], "CI", 1, "completed", "failure", "push", "main", run["head_sha"], "", repository=gh.full_name
    )
    GitHubTrail(client(gh)).append([decision_record(about, held, gh.full_name, str)])


def test_the_scheduled_probe_reruns_a_quiet_held_run_as_the_runner_starts_it(gh: FakeGitHub, tmp_path: Path) -> None:
    old = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    new = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    _old_hold(gh, old, 120)
    _old_hold(gh, new, 60)
    result = run_action(
        gh, tmp_path / "one", inputs={"mode": "recover"}, event={"schedule": "17 * * * *"}, event_name="schedule"
    )
    assert result.returncode == 0, result.stderr
    assert rerun_posts(gh) == [f"/repos/{REPO}/actions/runs/{new['id']}/rerun-failed-jobs"]
    assert result.outputs["healed"] == "true" and result.outputs["action"] == "rerun"
    assert f"held run {new['id']} attempt 1" in result.summary and "a probe" in result.summary
    (mark,) = [r for r in records(gh, "decision") if r.action == "rerun"]
    assert (mark.run_id, mark.attempt, mark.result, mark.workflow) == (new["id"], 1, "done", "CI")
    # the next tick: CI is being probed, nothing more
    again = run_action(gh, tmp_path / "two", inputs={"mode": "recover"}, event={}, event_name="schedule")
    assert again.returncode == 0, again.stderr
    assert len(rerun_posts(gh)) == 1 and "no held run to probe" in again.summary


def test_the_probe_with_nothing_held_says_so(gh: FakeGitHub, tmp_path: Path) -> None:
    result = run_action(gh, tmp_path / "ws", inputs={"mode": "recover"}, event={}, event_name="schedule")
    assert result.returncode == 0, result.stderr
    assert "no held run to probe" in result.summary and rerun_posts(gh) == []


def test_a_probe_that_fails_again_is_held_again_without_spending_a_retry(gh: FakeGitHub, tmp_path: Path) -> None:
    """The outage goes on: the probe's failed re-run is held (no re-run, no retry spent) and the
    next quiet tick probes it again; a retry it gave back stays the run's."""
    run = failed_run(gh, {"install": NETWORK}, pr=False, branch="main")
    _old_hold(gh, run, 60)
    probed = run_action(gh, tmp_path / "one", inputs={"mode": "recover"}, event={}, event_name="schedule")
    assert probed.returncode == 0, probed.stderr
    (mark,) = [r for r in records(gh, "decision") if r.action == "rerun"]
    assert probe_key(run["id"], 1) in mark.key
    gh.complete_attempt(run["id"], "failure", logs={"install": timestamp_log(NETWORK)})
    # max-retries 1: without the probe's retry given back, attempt 2 would have spent it
    result = guard(gh, tmp_path, gh.run(run["id"]), **{"max_retries": "1"})
    (job,) = result.results
    assert job.decision is not None and job.decision.held, job.decision
    assert "the probe's re-run of held attempt 1 failed again (network): the outage goes on" in job.decision.reason
    assert len(rerun_posts(gh)) == 1
    held = [r for r in records(gh, "decision") if r.action == HELD]
    assert [(r.run_id, r.attempt) for r in held] == [(run["id"], 1), (run["id"], 2)]
