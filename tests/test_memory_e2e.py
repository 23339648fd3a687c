"""The memory end to end: ``PipelineGuard`` against the fake GitHub server, with a ``LocalTrail``.

The job's log is a real pytest failure (tests/fixtures/logs/pytest-test-failed.log); the trail holds
the history a guard would have written: failure records of its tests, and outcome records where the
same commit went green on the next attempt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from healing_guard.guard import PipelineGuard
from healing_guard.history.records import TrailRecord, make_record
from healing_guard.history.store import LocalTrail
from healing_guard.render import jinja_env
from healing_guard.results import GuardResult
from healing_guard.settings import Settings
from healing_guard.simulator import FakeGitHub, timestamp_log

from .fixturelogs import FIXTURES, load
from .test_report import outside_code

PYTEST_LOG = load(FIXTURES / "pytest-test-failed.log").text
TESTS = ("tests/test_cart.py::test_discount_is_applied", "tests/test_pricing.py::test_vat_rounding[DE]")
CONFIG = "retry:\n  backoff_seconds: 0\n  max_backoff_seconds: 0\n"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as server:
        yield server


def failed_run(gh: FakeGitHub, log: str) -> dict[str, Any]:
    pull = gh.add_pull(head_ref="feature/cart", title="Cart totals", number=7)
    run = gh.add_run(
        name="CI",
        head_branch="feature/cart",
        head_sha=str(pull["head"]["sha"]),
        event="pull_request",
        pull_requests=[7],
    )
    gh.add_job(
        run["id"],
        "test",
        conclusion="failure",
        log=timestamp_log(log),
        steps=[("Set up job", "success"), ("Run tests", "failure"), ("Complete job", "success")],
    )
    return gh.run(run["id"])


def guard(gh: FakeGitHub, tmp_path: Path, run: dict[str, Any], trail: LocalTrail | None) -> PipelineGuard:
    workspace = tmp_path / "ws"
    (workspace / ".github").mkdir(parents=True, exist_ok=True)
    (workspace / ".github" / "healing-config.yml").write_text(CONFIG, "utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "completed", "workflow_run": run}), "utf-8")
    env = {
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_EVENT_NAME": "workflow_run",
        "GITHUB_REPOSITORY": gh.full_name,
        "GITHUB_API_URL": gh.url,
        "GITHUB_RUN_ID": "999999",
        "GITHUB_RUN_ATTEMPT": "1",
        "INPUT_GITHUB-TOKEN": gh.token,
    }
    return PipelineGuard(Settings.from_env(env), trail=trail, sleep=lambda s: None)


def flake_history(tests: tuple[str, ...], runs: int = 3) -> list[TrailRecord]:
    """Each test failed on ``runs`` runs and passed on the next attempt of each: flaked every time."""
    now = datetime.now(timezone.utc)
    out = []
    for i in range(runs):
        at = (now - timedelta(days=2, hours=i)).isoformat(timespec="seconds")
        out.append(
            make_record(
                "failure",
                repository="octo-org/octo-repo",
                run_id=500 + i,
                attempt=1,
                job_id=1,
                failing_tests=list(tests),
                category="test_failure",
                at=at,
            )
        )
        out.append(
            make_record(
                "outcome",
                repository="octo-org/octo-repo",
                run_id=500 + i,
                attempt=2,
                failing_tests=list(tests),
                conclusion="success",
                result="healed",
                at=at,
            )
        )
    return out


def summary(result: GuardResult) -> str:
    return str(jinja_env().get_template("summary.md.j2").render(res=result))


def reruns(gh: FakeGitHub) -> list[str]:
    return [r.path for r in gh.writes() if "/rerun" in r.path]


def test_a_known_flaky_test_failure_is_rerun(gh: FakeGitHub, tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path / "state")
    trail.append(flake_history(TESTS))
    run = failed_run(gh, PYTEST_LOG)
    result = guard(gh, tmp_path, run, trail).run()
    assert result.errors == ()
    (job,) = result.results
    assert job.diagnosis.category == "test_failure" and job.diagnosis.failing_tests == TESTS
    assert job.decision is not None and job.decision.action == "rerun", job.decision
    assert "history: every failing test is known flaky" in job.decision.reason
    assert len(reruns(gh)) == 1 and reruns(gh)[0].endswith(f"/runs/{run['id']}/rerun-failed-jobs")
    assert [t.test for t in result.quarantine] == list(TESTS)
    text = summary(result)
    assert "### Flaky tests to quarantine" in text
    assert "flaked 3 of 3 failures (100 %)" in text


def test_without_flake_history_the_same_failure_is_not_rerun(gh: FakeGitHub, tmp_path: Path) -> None:
    trail = LocalTrail(tmp_path / "state")
    trail.append(flake_history(TESTS[:1]))  # only one of the two tests is known flaky
    run = failed_run(gh, PYTEST_LOG)
    result = guard(gh, tmp_path, run, trail).run()
    (job,) = result.results
    assert job.decision is not None and job.decision.action == "comment"
    assert reruns(gh) == []
    assert [t.test for t in result.quarantine] == [TESTS[0]]


def test_no_trail_plans_as_before(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, PYTEST_LOG)
    result = guard(gh, tmp_path, run, None).run()
    (job,) = result.results
    assert job.decision is not None and job.decision.action == "comment"
    assert reruns(gh) == [] and result.quarantine == ()


class BrokenTrail(LocalTrail):
    def read(self, since: datetime | None = None) -> Any:
        raise OSError("the state branch is not readable")


def test_an_unreadable_trail_is_a_note_and_the_guard_goes_on(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, PYTEST_LOG)
    result = guard(gh, tmp_path, run, BrokenTrail(tmp_path / "state")).run()
    assert result.errors == ()
    assert any("the trail could not be read" in n and "not readable" in n for n in result.notes)
    (job,) = result.results
    assert job.decision is not None and job.decision.action == "comment"


def test_the_learned_fix_is_shown_in_the_comment_and_summary_and_is_inert(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, PYTEST_LOG)
    # the signature this log gets, from a dry diagnosis first
    first = guard(gh, tmp_path / "a", run, LocalTrail(tmp_path / "empty")).run()
    signature = first.results[0].diagnosis.signature
    trail = LocalTrail(tmp_path / "state")
    trail.append(
        [
            make_record(
                "fix",
                repository="octo-org/octo-repo",
                run_id=1,
                attempt=1,
                signature=signature,
                fix_sha="0123456789abcdef0123456789abcdef01234567",
                files=["src/cart/pricing.py", "[x](https://evil.example) @octocat ``` `"],
            )
        ]
    )
    gh.reset_requests()
    result = guard(gh, tmp_path / "b", run, trail).run()
    (job,) = result.results
    assert job.decision is not None and job.decision.learned_fix is not None
    text = summary(result)
    line = next(line for line in text.splitlines() if line.startswith("- Last fixed by"))
    assert line.startswith("- Last fixed by `0123456789ab`: `src/cart/pricing.py`, ")
    # the hostile file name is inside a code span: no link, no mention outside code
    assert "](" not in outside_code(line) and "@octocat" not in outside_code(line)
    comments = [c["body"] for c in gh.comments.values()]
    assert any("Last fixed by `0123456789ab`" in body for body in comments)


def test_the_mass_failure_brake_escalates_and_the_summary_names_it(gh: FakeGitHub, tmp_path: Path) -> None:
    network = load(FIXTURES / "http-server-error--cmake-fetch.log").text
    now = datetime.now(timezone.utc)
    trail = LocalTrail(tmp_path / "state")
    trail.append(
        [
            make_record(
                "failure",
                repository="octo-org/octo-repo",
                run_id=700 + i,
                attempt=1,
                job_id=1,
                category="network",
                signature=f"other-{i}",
                action="rerun",
                result="done",
                at=(now - timedelta(minutes=5 + 10 * i)).isoformat(timespec="seconds"),
            )
            for i in range(5)
        ]
    )
    run = failed_run(gh, network)
    result = guard(gh, tmp_path, run, trail).run()
    (job,) = result.results
    assert job.diagnosis.category == "network"
    assert job.decision is not None and job.decision.action == "escalate" and job.decision.memory == ("brake",)
    assert reruns(gh) == []
    text = summary(result)
    assert "mass-failure brake" in text and "budget is 5 re-runs per hour" in text
    # without that history the same failure is re-run
    second = failed_run(gh, network)
    result = guard(gh, tmp_path / "again", second, LocalTrail(tmp_path / "empty")).run()
    assert result.results[0].decision is not None and result.results[0].decision.action == "rerun"
