"""``healing-guard history sync`` and ``history backfill``, and the repository options every history
command shares (``GITHUB_REPOSITORY``/``GITHUB_API_URL``/``GITHUB_TOKEN``, ``--repo``, ``--api-url``,
``--token-env``), against the fake GitHub server."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from healing_guard.cli import main
from healing_guard.errors import HealingGuardError
from healing_guard.github_api import GitHubClient
from healing_guard.history.github_trail import GitHubTrail
from healing_guard.history.records import make_record
from healing_guard.history.source import add_trail_arguments, open_trail
from healing_guard.history.sqlite_store import SqliteTrail
from healing_guard.history.store import LocalTrail
from healing_guard.simulator import FakeGitHub, timestamp_log
from tests.test_action_e2e import NETWORK, TESTS_FAILED

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def env(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The repository named as a workflow names it."""
    monkeypatch.setenv("GITHUB_REPOSITORY", gh.full_name)
    monkeypatch.setenv("GITHUB_API_URL", gh.url)
    monkeypatch.setenv("GITHUB_TOKEN", gh.token)
    return gh


def client(gh: FakeGitHub) -> GitHubClient:
    return GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda s: None)


def seed_trail(gh: FakeGitHub) -> None:
    GitHubTrail(client(gh)).append(
        [
            make_record(
                "failure",
                repository=gh.full_name,
                run_id=1,
                attempt=1,
                job_id=11,
                job="unit",
                signature="abc",
                failing_tests=("t::a", "t::b"),
                at=(NOW - timedelta(days=1)).isoformat(),
            ),
            make_record(
                "outcome",
                repository=gh.full_name,
                run_id=1,
                attempt=2,
                job_id=11,
                conclusion="success",
                result="passed",
                failing_tests=("t::a",),
                time_to_green_s=60.0,
            ),
            make_record("fix", repository=gh.full_name, run_id=2, attempt=1, fix_sha="f" * 40, files=("src/a.py",)),
        ]
    )


def parsed(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_trail_arguments(parser)
    return parser.parse_args(list(argv))


def test_sync_materialises_the_repository_trail_into_sqlite(
    env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_trail(env)
    db = tmp_path / "h.sqlite"
    assert main(["history", "sync", "--db", str(db)]) == 0
    assert "synced 3 record(s)" in capsys.readouterr().out
    with sqlite3.connect(db) as con:
        kinds = sorted(k for (k,) in con.execute("SELECT kind FROM records"))
        tests = sorted(con.execute("SELECT test, COUNT(*) FROM record_tests GROUP BY test"))
        files = list(con.execute("SELECT file FROM record_files"))
        ttg = con.execute("SELECT time_to_green_s FROM records WHERE kind = 'outcome'").fetchone()
        indexes = {name for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        columns = {row[1]: row[2] for row in con.execute("PRAGMA table_info(records)")}
    assert kinds == ["failure", "fix", "outcome"]
    assert tests == [("t::a", 2), ("t::b", 1)] and files == [("src/a.py",)] and ttg == (60.0,)
    assert {"records_kind_at", "records_run", "records_signature", "record_tests_test"} <= indexes
    assert columns["run_id"] == "INTEGER" and columns["confidence"] == "REAL" and columns["key"] == "TEXT"
    # again: nothing new, nothing doubled
    assert main(["history", "sync", "--db", str(db)]) == 0
    assert "0 new" in capsys.readouterr().out
    # the other commands read it back offline, the same records
    offline = open_trail(parsed("--db", str(db))).read().records
    online = GitHubTrail(client(env)).read().records
    assert offline == online


def test_sync_reads_a_local_copy_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    LocalTrail(tmp_path / "copy").append([make_record("failure", repository="o/r", run_id=5, attempt=1)])
    db = tmp_path / "h.sqlite"
    assert main(["history", "sync", "--trail-dir", str(tmp_path / "copy"), "--db", str(db)]) == 0
    assert [r.run_id for r in SqliteTrail(db).read().records] == [5]


def test_the_repository_options_override_the_environment(
    gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seed_trail(gh)
    monkeypatch.setenv("GITHUB_REPOSITORY", "someone/else")
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("MY_TOKEN", gh.token)
    args = parsed("--repo", gh.full_name, "--api-url", gh.url, "--token-env", "MY_TOKEN")
    assert len(open_trail(args).read().records) == 3


def test_missing_repository_or_token_is_a_clear_error(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    with pytest.raises(HealingGuardError, match="--repo OWNER/NAME"):
        open_trail(parsed())
    monkeypatch.setenv("GITHUB_REPOSITORY", gh.full_name)
    monkeypatch.delenv("NO_SUCH_TOKEN", raising=False)
    with pytest.raises(HealingGuardError, match="NO_SUCH_TOKEN is empty or not set"):
        open_trail(parsed("--token-env", "NO_SUCH_TOKEN"))
    with pytest.raises(HealingGuardError, match="not the name of an environment variable"):
        open_trail(parsed("--token-env", "ghs_abc-not a name"))
    with pytest.raises(HealingGuardError, match="history sync --db"):
        open_trail(parsed("--db", "/no/such.sqlite"))


def test_backfill_records_failures_and_outcomes_of_past_runs(
    env: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = env
    # a run re-run by someone: attempt 1 failed (network), attempt 2 passed
    flaky = gh.add_run(name="CI", head_branch="main", run_attempt=2, conclusion="success")
    gh.add_job(flaky["id"], "install", conclusion="failure", log=timestamp_log(NETWORK), run_attempt=1)
    gh.add_job(flaky["id"], "install", conclusion="success", run_attempt=2)
    # a run that failed once (a test)
    broken = gh.add_run(name="CI", head_branch="feature/x", conclusion="failure")
    gh.add_job(broken["id"], "unit", conclusion="failure", log=timestamp_log(TESTS_FAILED))
    gh.add_job(broken["id"], "lint", conclusion="success")
    # too old, and still running: not read
    gh.add_run(name="CI", conclusion="failure", created_at=NOW - timedelta(days=40))
    gh.add_run(name="CI", status="in_progress", conclusion=None)
    assert main(["history", "backfill", "--days", "30", "--diagnose", "5"]) == 0
    out = capsys.readouterr().out
    assert "2 completed run(s)" in out and "2 failure record(s) (2 diagnosed) and 1 outcome record(s)" in out
    found = GitHubTrail(client(gh)).read().records
    failures = {r.run_id: r for r in found if r.kind == "failure"}
    assert set(failures) == {flaky["id"], broken["id"]}
    assert failures[flaky["id"]].category == "network" and failures[flaky["id"]].attempt == 1
    assert failures[broken["id"]].failing_tests == ("tests/test_cart.py::test_total_price",)
    (outcome,) = [r for r in found if r.kind == "outcome"]
    assert (outcome.run_id, outcome.attempt, outcome.previous_attempt) == (flaky["id"], 2, 1)
    assert outcome.conclusion == "success" and outcome.result == "passed" and outcome.time_to_green_s is not None
    # again: the keys are there, nothing is added
    assert main(["history", "backfill", "--days", "30", "--diagnose", "0"]) == 0
    assert "0 new" in capsys.readouterr().out
    assert len(GitHubTrail(client(gh)).read().records) == len(found)


def test_backfill_tells_an_automatic_rerun_from_a_persons(env: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    """Who started the attempt (``triggering_actor``) decides: a re-run requested with the
    workflow's token (a bot, as the guard's re-runs are) healed without a person; a person's passed."""
    gh = env
    by_bot = gh.add_run(name="CI", head_branch="main", conclusion="failure")
    gh.add_job(by_bot["id"], "install", conclusion="failure", log=timestamp_log(NETWORK))
    client(gh).rerun_failed_jobs(by_bot["id"])  # the token is the app's: its bot starts attempt 2
    gh.complete_attempt(by_bot["id"], "success")
    by_person = gh.add_run(name="CI", head_branch="main", run_attempt=2, conclusion="success")
    gh.add_job(by_person["id"], "install", conclusion="failure", log=timestamp_log(NETWORK), run_attempt=1)
    gh.add_job(by_person["id"], "install", conclusion="success", run_attempt=2)
    assert main(["history", "backfill", "--days", "30", "--diagnose", "5"]) == 0
    outcomes = {r.run_id: r for r in GitHubTrail(client(gh)).read().records if r.kind == "outcome"}
    bot, person = outcomes[by_bot["id"]], outcomes[by_person["id"]]
    assert (bot.result, bot.action) == ("healed", "rerun")
    assert bot.detail.endswith(f"attempt 2 started by {gh.identity}") and gh.identity.endswith("[bot]")
    assert (person.result, person.action) == ("passed", "")
    assert "[bot]" not in person.detail and "attempt 2 started by " in person.detail
    # the report counts the bot's heal as healed without a person, and not the person's
    assert main(["stats", "--days", "7", "--format", "json", "--repo", gh.full_name]) == 0
    assert '"healed_failures": 1' in capsys.readouterr().out


def test_backfill_dry_run_writes_nothing(env: FakeGitHub, capsys: pytest.CaptureFixture[str]) -> None:
    run = env.add_run(name="CI", conclusion="failure")
    env.add_job(run["id"], "unit", conclusion="failure", log="boom\n")
    env.reset_requests()
    assert main(["history", "backfill", "--dry-run", "--diagnose", "0"]) == 0
    assert "1 failure record(s)" in capsys.readouterr().out
    assert env.writes() == []
