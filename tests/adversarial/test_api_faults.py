"""API faults as data (``data/api_faults.json``): every malformed or failing answer the guard may
get ends in a ``GitHubError`` that says what happened and names the endpoint, never in a
``KeyError``, ``JSONDecodeError`` or ``TypeError`` (issue 7, defect 15; 8 and 14 on the API side).

Over real HTTP against the fake GitHub server; the injected answers break GitHub's contract on
purpose, so they are not checked against the OpenAPI description here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from healing_guard.errors import GitHubError
from healing_guard.github_api import GitHubClient
from healing_guard.markers import comment_marker, issue_marker
from healing_guard.provider import RunInfo
from healing_guard.simulator import FakeGitHub, timestamp_log

CASES: list[dict[str, Any]] = json.loads((Path(__file__).parent / "data" / "api_faults.json").read_text("utf-8"))[
    "cases"
]
LOG = timestamp_log("##[group]Run pytest\nE   AssertionError\n##[error]Process completed with exit code 1.\n")
BRANCH = "healing-guard/fix-0123456789abcdef"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        yield server
        assert server.errors == [], server.errors[0]


def fix(client: GitHubClient) -> Any:
    return client.open_fix_pull_request(
        base="main",
        branch=BRANCH,
        files=[("requirements.txt", "requests\nPyYAML\n")],
        message="fix(ci): add PyYAML",
        title="fix(ci): add PyYAML",
        body="Adds PyYAML.",
    )


def calls(gh: FakeGitHub, tmp_path: Path) -> dict[str, Callable[[GitHubClient], Any]]:
    pull = gh.add_pull(head_ref="feature/x", number=7)
    run = gh.add_run(head_branch="feature/x", head_sha=pull["head"]["sha"], event="pull_request")
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG)
    gh.add_file("requirements.txt", "requests\n")
    info = RunInfo(run["id"], "CI", 1, "completed", "failure", "pull_request", "feature/x", run["head_sha"], "")
    marker = issue_marker("0123456789abcdef")
    return {
        "get_run": lambda c: c.get_run(run["id"]),
        "list_jobs": lambda c: c.list_jobs(run["id"], 1),
        "list_caches": lambda c: c.list_caches(ref="refs/heads/main"),
        "find_pull_request": lambda c: c.find_pull_request(info),
        "upsert_comment": lambda c: c.upsert_comment(7, comment_marker(160001), "hello"),
        "find_issue": lambda c: c.find_issue(marker, ("ci-failure",)),
        "save_issue": lambda c: c.save_issue(marker, "CI failure", lambda _: f"{marker}\nbody", ("ci-failure",), ()),
        "get_file": lambda c: c.get_file("requirements.txt", "main"),
        "download_job_log": lambda c: c.download_job_log(job["id"], tmp_path / "job.log"),
        "rerun_failed_jobs": lambda c: c.rerun_failed_jobs(run["id"]),
        "open_fix_pull_request": fix,
        "open_fix_pull_request_resumed": fix,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_api_fault_is_a_clear_github_error(case: dict[str, Any], gh: FakeGitHub, tmp_path: Path) -> None:
    client = GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda _: None)
    call = calls(gh, tmp_path)[case["call"]]
    if case["call"] == "open_fix_pull_request_resumed":  # an earlier attempt left the branch behind
        gh.inject("POST", r"/pulls$", 502)
        with pytest.raises(GitHubError):
            call(client)
        gh.clear_faults()
    fault = gh.inject(
        case["method"],
        case["path"],
        case["status"],
        times=case.get("times", 1),
        headers=case.get("headers"),
        body=case.get("body"),
    )
    with pytest.raises(GitHubError) as caught:
        call(client)
    assert fault.hits >= 1, "the fault never fired: the case tests nothing"
    assert case["expect"] in str(caught.value)
