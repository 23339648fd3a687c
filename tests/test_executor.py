"""Carrying out a plan, end to end: entrypoint.py as the runner starts it, against a fake GitHub.

Each test here pins a defect of issue 7 that needs the API: what a log may choose (the package a
fix pull request adds, deletion of caches), runs from forks, and what the outputs say when one
remediation or one job fails while the others go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub, timestamp_log

from .runner import FAST_CONFIG, ActionRun, run_action, workflow_run_event
from .test_action_e2e import CACHE, CACHE_STRATEGY, NETWORK, POST, PREAMBLE


def missing_module(module: str) -> str:
    """A pytest collection error for ``module``, shaped as in ``MISSING_YAML`` of test_action_e2e."""
    return (
        PREAMBLE
        + f"""##[group]Run python -m pytest -q
python -m pytest -q
##[endgroup]
ImportError while importing test module '/home/runner/work/octo-repo/octo-repo/tests/test_app.py'.
E   ModuleNotFoundError: No module named '{module}'
=========================== short test summary info ============================
ERROR tests/test_app.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
##[error]Process completed with exit code 2.
"""
        + POST
    )


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(owner="octo-org", repo="octo-repo") as server:
        yield server


def failed_run(
    gh: FakeGitHub,
    jobs: dict[str, str],
    *,
    branch: str = "feature/cart",
    fork: str | None = None,
) -> dict[str, Any]:
    """A failed pull-request run with one failed job per entry; ``fork`` ("owner/repo") makes the
    pull request and the run come from a fork."""
    owner = fork.split("/")[0] if fork else None
    pull = gh.add_pull(head_ref=branch, title="Cart totals", number=7, head_owner=owner)
    run = gh.add_run(
        name="CI",
        head_branch=branch,
        head_sha=str(pull["head"]["sha"]),
        event="pull_request",
        head_repository=fork,
        pull_requests=[] if fork else [7],  # GitHub lists no pull request for a fork's run
    )
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


def fix_pulls(gh: FakeGitHub) -> list[dict[str, Any]]:
    return [p for p in gh.pulls.values() if str(p["head"]["ref"]).startswith("healing-guard/")]


def branch_writes(gh: FakeGitHub) -> list[str]:
    """Writes that make or change a branch, a file or a pull request (the audit trail's own state
    branch, issue 9, aside)."""
    trail = "healing-guard/state"
    return [
        r.path
        for r in gh.writes()
        if ("/git/refs" in r.path or "/contents/" in r.path or r.path.endswith("/pulls"))
        and trail not in r.path
        and not (isinstance(r.body, dict) and r.body.get("ref") == f"refs/heads/{trail}")
    ]


# -- defect 1: a log chooses the package a fix pull request adds ---------------------------------


@pytest.mark.parametrize(
    ("module", "layout"),
    [
        ("src", {"src/app/__init__.py": ""}),  # the source folder itself
        ("cartlib", {"cartlib/__init__.py": ""}),  # the repository's own top-level package
        ("cartlib.pricing", {"src/cartlib/__init__.py": ""}),  # its own package in a src layout
        ("octo_cart", {"pyproject.toml": '[project]\nname = "octo-cart"\n'}),  # the project itself
        ("yaml", {"src/yaml/__init__.py": ""}),  # own package shadowing a well-known name
        ("reqeusts", {}),  # a typo printed by a test
        ("totally_unknown_thing", {}),  # nothing known about it
    ],
)
def test_fix_pr_adds_only_well_known_distributions(
    gh: FakeGitHub, tmp_path: Path, module: str, layout: dict[str, str]
) -> None:
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    for path, text in layout.items():
        gh.add_file(path, text, branch="feature/cart")
    run = failed_run(gh, {"test": missing_module(module)})
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    assert result.outputs["category"] == "dependency_missing"
    assert fix_pulls(gh) == [] and branch_writes(gh) == []
    assert "fix-pr" not in result.outputs["action"].split(",")
    assert gh.file("requirements.txt", "feature/cart") == "requests==2.32.3\n"
    assert "requirements.txt" in result.summary  # the advice is still given


def test_fix_pr_map_is_extendable_in_the_config(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    run = failed_run(gh, {"test": missing_module("acme_sdk.client")})
    config = FAST_CONFIG + "fixes:\n  python_distributions:\n    acme_sdk: acme-sdk\n"
    result = heal(gh, tmp_path, run, config=config)
    assert result.returncode == 0, result.stderr + result.stdout
    (fix,) = fix_pulls(gh)
    assert gh.file("requirements.txt", fix["head"]["ref"]) == "requests==2.32.3\nacme-sdk\n"


# -- defect 2: runs from forks ------------------------------------------------------------------


def test_fork_run_gets_no_fix_pr_and_no_cache_deletion(gh: FakeGitHub, tmp_path: Path) -> None:
    # the fork's branch has the same name as a branch of this repository
    gh.add_file("requirements.txt", "requests==2.32.3\n", branch="feature/cart")
    gh.add_cache("pip-Linux-3f2a9c", ref="refs/pull/7/merge")
    gh.add_cache("pip-Linux-3f2a9c", ref="refs/heads/feature/cart")
    run = failed_run(gh, {"test": missing_module("yaml"), "install": CACHE}, fork="mallory/octo-repo")
    gh.reset_requests()
    result = heal(gh, tmp_path, run, config=CACHE_STRATEGY)
    assert result.returncode == 0, result.stderr
    assert [r for r in gh.requests if r.method == "DELETE"] == []
    assert len(gh.caches) == 2
    assert fix_pulls(gh) == [] and branch_writes(gh) == []
    actions = result.outputs["action"].split(",")
    assert "fix-pr" not in actions and "clear-cache" not in actions
    assert "fork" in result.summary


# -- defect 5: clear-cache with no key from the log ----------------------------------------------

NO_KEY_STRATEGY = """
retry:
  backoff_seconds: 0
  max_backoff_seconds: 0
custom_strategies:
  - id: pip-cache-hash-mismatch
    name: pip cache with wrong hashes
    category: cache_corruption
    patterns: ['^ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE CACHE']
    risk: low
    confidence: 0.95
    action: clear-cache
"""


def test_clear_cache_without_a_key_deletes_nothing_and_advises(gh: FakeGitHub, tmp_path: Path) -> None:
    gh.add_cache("pip-Linux-3f2a9c", ref="refs/pull/7/merge")
    gh.add_cache("node-Linux-99", ref="refs/pull/7/merge")
    run = failed_run(gh, {"install": CACHE})
    result = heal(gh, tmp_path, run, config=NO_KEY_STRATEGY)
    assert result.returncode == 0, result.stderr
    assert [r for r in gh.requests if r.method == "DELETE"] == []
    assert len(gh.caches) == 2
    assert "clear-cache" not in result.outputs["action"].split(",")
    assert "key" in result.summary


# -- defect 9: work done before an error stays in the outputs ------------------------------------


def test_outputs_say_what_was_done_when_a_later_step_fails(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"install": NETWORK})
    # the comment is created but GitHub's answer cannot be read
    gh.inject("POST", r"/issues/\d+/comments$", 201, body="<html>not json</html>", times=None)
    result = heal(gh, tmp_path, run)
    assert [p.path for p in gh.requests if p.path.endswith("/rerun-failed-jobs")] != []
    assert result.outputs["action"].split(",")[0] == "rerun"
    assert result.outputs["healed"] == "true"
    assert "rerun" in result.summary and "comment" in result.summary
    assert "failed" in result.summary


# -- defect 12 (half): one job's error is that job's ---------------------------------------------

HUGE_EXIT = (
    PREAMBLE
    + """##[group]Run ./build.sh
./build.sh
##[endgroup]
make: *** [Makefile:12: all] Error 1
##[error]Process completed with exit code """
    + "9" * 5000
    + ".\n"
    + POST
)


def test_an_error_in_one_job_does_not_stop_the_others(gh: FakeGitHub, tmp_path: Path) -> None:
    run = failed_run(gh, {"weird": HUGE_EXIT, "install": NETWORK})
    install = next(j for j in gh.jobs.values() if j["name"] == "install")
    result = heal(gh, tmp_path, run)
    assert result.returncode == 0, result.stderr
    reruns = [r.path for r in gh.requests if r.method == "POST" and "rerun" in r.path]
    assert reruns == [f"/repos/octo-org/octo-repo/actions/jobs/{install['id']}/rerun"]
    assert {d["job"] for d in result.diagnosis} == {"weird", "install"}
    assert "weird" in result.summary
