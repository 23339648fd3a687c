"""Tests of the fake GitHub server (healing_guard.simulator), driven over HTTP by PyGithub.

Every answer the server gives in every test is validated against the OpenAPI response schema
of its operation (tests/openapi_check.py) when the test's server shuts down; a test also fails
if a route handler raised (``FakeGitHub.errors``).
"""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubRetry,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.ContentFile import ContentFile

from healing_guard.simulator import DEFAULT_TOKEN, FakeGitHub, timestamp_log
from healing_guard.simulator.dispatcher import build_routes
from tests.openapi_check import OpenApiChecker

REPO = "/repos/octo-org/octo-repo"
FAILING_LOG = timestamp_log(
    "##[group]Run pytest\npytest -q\n##[endgroup]\nE   ModuleNotFoundError: No module named 'yaml'\n"
    "##[error]Process completed with exit code 1.\n",
    datetime(2024, 7, 8, 16, 48, 9, tzinfo=timezone.utc),
)

ServerFactory = Callable[..., FakeGitHub]


# --------------------------------------------------------------------------- fixtures


def client_for(server: FakeGitHub, token: str | None = None, **kwargs: Any) -> Github:
    """PyGithub on the fake server, without its default sleeps and retries."""
    options: dict[str, Any] = {"retry": None, "seconds_between_requests": 0, "seconds_between_writes": 0}
    options.update(kwargs)
    auth = Auth.Token(token or server.token)
    return Github(base_url=server.url, auth=auth, **options)


@pytest.fixture
def client(gh: FakeGitHub) -> Github:
    return client_for(gh)


def seed_failed_run(gh: FakeGitHub, **run_kwargs: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A failed pull_request run with one failing and one passing job."""
    options: dict[str, Any] = {"name": "CI", "head_branch": "feature/x", "event": "pull_request"}
    options.update(run_kwargs)
    run = gh.add_run(**options)
    failing = gh.add_job(
        run["id"],
        "test (3.11)",
        conclusion="failure",
        log=FAILING_LOG,
        steps=[("Set up job", "success"), ("Run actions/checkout@v4", "success"), ("Run pytest", "failure")],
    )
    passing = gh.add_job(run["id"], "lint", conclusion="success", log="all good\n")
    return run, failing, passing


def raw(client: Github, verb: str, url: str, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """``requestJsonAndCheck`` (for endpoints PyGithub has no method for)."""
    headers, data = client.requester.requestJsonAndCheck(verb, url, **kwargs)
    return headers, data


def single(content: ContentFile | list[ContentFile]) -> ContentFile:
    """A ``get_contents`` answer that must be one file."""
    assert not isinstance(content, list)
    return content


def location(client: Github, url: str) -> str:
    """Follow nothing: the ``Location`` of a 302 answer."""
    status, headers, _ = client.requester.requestJson("GET", url)
    assert status == 302, status
    return str(headers["location"])


# --------------------------------------------------------------------------- runs and jobs


def test_repository_run_and_jobs_parse_in_pygithub(gh: FakeGitHub, client: Github) -> None:
    run, failing, passing = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    assert repo.full_name == "octo-org/octo-repo"
    assert repo.default_branch == "main"
    assert repo.url == f"{gh.url}{REPO}"

    wf_run = repo.get_workflow_run(run["id"])
    assert (wf_run.status, wf_run.conclusion, wf_run.run_attempt) == ("completed", "failure", 1)
    assert wf_run.head_branch == "feature/x"
    assert wf_run.event == "pull_request"
    assert wf_run.html_url.startswith(gh.url)
    assert wf_run.jobs_url == f"{gh.url}{REPO}/actions/runs/{run['id']}/jobs"

    jobs = list(wf_run.jobs())
    assert [job.name for job in jobs] == ["test (3.11)", "lint"]
    assert jobs[0].id == failing["id"] != run["id"]
    assert [s.name for s in jobs[0].steps] == ["Set up job", "Run actions/checkout@v4", "Run pytest"]
    assert [s.conclusion for s in jobs[0].steps] == ["success", "success", "failure"]
    assert jobs[0].run_id == run["id"]
    assert jobs[0].labels == ["ubuntu-latest"]

    job = repo.get_workflow_job(passing["id"])
    assert (job.name, job.conclusion, job.status) == ("lint", "success", "completed")
    assert job.html_url == f"{gh.url}/octo-org/octo-repo/actions/runs/{run['id']}/job/{passing['id']}"


def test_missing_objects_are_404(gh: FakeGitHub, client: Github) -> None:
    repo = client.get_repo("octo-org/octo-repo")
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_run(123)
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_job(456)
    with pytest.raises(UnknownObjectException):
        client.get_repo("octo-org/other-repo")
    run = gh.add_run()
    with pytest.raises(UnknownObjectException):
        raw(client, "GET", f"{REPO}/actions/runs/{run['id']}/attempts/2/jobs")
    with pytest.raises(UnknownObjectException):
        raw(client, "GET", f"{REPO}/actions/runs/{run['id']}/attempts/2")


def test_run_lists_filter_and_paginate_with_link_headers(gh: FakeGitHub, client: Github) -> None:
    ids = [gh.add_run(name="CI", head_branch="main", conclusion="failure")["id"] for _ in range(4)]
    gh.add_run(name="Docs", head_branch="docs", conclusion="success", event="push")
    headers, data = raw(client, "GET", f"{REPO}/actions/runs", parameters={"per_page": 2, "page": 2})
    assert data["total_count"] == 5
    assert [r["id"] for r in data["workflow_runs"]] == [ids[2], ids[1]]  # newest first
    links = headers["link"]
    for rel, page in (("prev", 1), ("next", 3), ("last", 3), ("first", 1)):
        assert f'page={page}>; rel="{rel}"' in links
    assert links.startswith(f"<{gh.url}{REPO}/actions/runs?")

    _, failed = raw(client, "GET", f"{REPO}/actions/runs", parameters={"status": "failure", "branch": "main"})
    assert failed["total_count"] == 4
    _, docs = raw(client, "GET", f"{REPO}/actions/workflows/docs.yml/runs")
    assert [r["name"] for r in docs["workflow_runs"]] == ["Docs"]
    with pytest.raises(UnknownObjectException):
        raw(client, "GET", f"{REPO}/actions/workflows/nope.yml/runs")

    paged = client_for(gh, per_page=2)
    runs = paged.get_repo("octo-org/octo-repo").get_workflow_runs()
    assert runs.totalCount == 5
    assert len(list(runs)) == 5


def test_job_log_redirects_to_short_lived_blob(gh: FakeGitHub, client: Github) -> None:
    _, failing, _ = seed_failed_run(gh)
    url = client.get_repo("octo-org/octo-repo").get_workflow_job(failing["id"]).logs_url()
    assert url.startswith(f"{gh.url}/_blobs/")

    answer = requests.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.text == FAILING_LOG
    assert "x-ratelimit-limit" not in answer.headers  # a storage answer, not an API one
    requests.get(url, headers={"Authorization": f"token {gh.token}"}, timeout=5)
    assert [(f.kind, f.authorization, f.expired) for f in gh.blob_fetches] == [
        ("job-log", False, False),
        ("job-log", True, False),
    ]

    gh.advance_clock(61)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403
    assert "AuthenticationFailed" in expired.text
    assert gh.blob_fetches[-1].expired
    assert requests.get(f"{gh.url}/_blobs/nope", timeout=5).status_code == 404


def test_logs_of_unfinished_jobs_and_runs_are_404(gh: FakeGitHub, client: Github) -> None:
    run = gh.add_run(status="in_progress", conclusion=None)
    job = gh.add_job(run["id"], "build", conclusion=None, status="in_progress")
    status, _, _ = client.requester.requestJson("GET", f"{REPO}/actions/jobs/{job['id']}/logs")
    assert status == 404
    status, _, _ = client.requester.requestJson("GET", f"{REPO}/actions/runs/{run['id']}/logs")
    assert status == 404
    assert job["steps"][0]["status"] == "in_progress"
    assert job["completed_at"] is None and job["runner_name"] == "GitHub Actions 2"


def test_run_log_zip_has_github_layout(gh: FakeGitHub, client: Github) -> None:
    run, _, _ = seed_failed_run(gh)
    gh.add_job(run["id"], "lint", conclusion="success", log="second lint\n")  # a repeated job name
    url = location(client, f"{REPO}/actions/runs/{run['id']}/logs")
    answer = requests.get(url, timeout=5)
    assert answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = set(archive.namelist())
    assert {"1_test (3.11).txt", "2_lint.txt", "3_lint.txt"} <= names
    assert "test (3.11)/2_Run actionscheckout@v4.txt" in names
    assert "test (3.11)/3_Run pytest.txt" in names
    assert "lint (1)/2_Run lint.txt" in names
    assert archive.read("1_test (3.11).txt").decode() == FAILING_LOG
    assert archive.read("test (3.11)/3_Run pytest.txt").decode() == FAILING_LOG  # the failing step
    assert archive.read("test (3.11)/1_Set up job.txt") == b""

    attempt_url = location(client, f"{REPO}/actions/runs/{run['id']}/attempts/1/logs")
    attempt_zip = zipfile.ZipFile(io.BytesIO(requests.get(attempt_url, timeout=5).content))
    assert "1_test (3.11).txt" in attempt_zip.namelist()
    assert {f.kind for f in gh.blob_fetches} == {"run-logs"}


def test_steps_with_their_own_logs(gh: FakeGitHub, client: Github) -> None:
    run = gh.add_run()
    gh.add_job(
        run["id"],
        "build",
        conclusion="failure",
        steps=[("Set up job", "success", "setup\n"), ("Build", "failure", "boom\n")],
    )
    job_id = next(iter(gh.jobs))
    assert gh.job_log(job_id) == "setup\nboom\n"
    archive = zipfile.ZipFile(
        io.BytesIO(requests.get(location(client, f"{REPO}/actions/runs/{run['id']}/logs"), timeout=5).content)
    )
    assert archive.read("build/2_Build.txt") == b"boom\n"


# --------------------------------------------------------------------------- re-runs and cancel


def test_rerun_failed_jobs_makes_a_new_attempt(gh: FakeGitHub, client: Github) -> None:
    run, failing, passing = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    wf_run = repo.get_workflow_run(run["id"])
    assert wf_run.rerun_failed_jobs() is True
    assert gh.writes()[-1].status == 201 and gh.writes()[-1].response == {}

    again = repo.get_workflow_run(run["id"])
    assert (again.id, again.run_attempt, again.status) == (run["id"], 2, "queued")
    assert again.raw_data["conclusion"] is None
    assert again.previous_attempt_url == f"{gh.url}{REPO}/actions/runs/{run['id']}/attempts/1"

    latest = {job.name: job for job in again.jobs()}
    assert latest["test (3.11)"].id != failing["id"]
    assert (latest["test (3.11)"].run_attempt, latest["test (3.11)"].status) == (2, "queued")
    assert latest["test (3.11)"].conclusion is None
    assert (latest["lint"].id, latest["lint"].run_attempt) == (passing["id"], 1)  # carried over
    assert len(list(again.jobs("all"))) == 3

    _, attempt1 = raw(client, "GET", f"{REPO}/actions/runs/{run['id']}/attempts/1/jobs")
    assert [j["id"] for j in attempt1["jobs"]] == [failing["id"], passing["id"]]
    _, first = raw(client, "GET", f"{REPO}/actions/runs/{run['id']}/attempts/1")
    assert (first["run_attempt"], first["conclusion"]) == (1, "failure")

    # the new attempt is not completed: another re-run is refused (PyGithub returns False)
    assert again.rerun_failed_jobs() is False
    refused = gh.writes()[-1]
    assert (refused.status, refused.response["message"]) == (403, "This workflow is already running")


def test_rerun_whole_run_and_single_job(gh: FakeGitHub, client: Github) -> None:
    run, failing, _ = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    assert repo.get_workflow_run(run["id"]).rerun() is True
    jobs = gh.run(run["id"])
    assert jobs["run_attempt"] == 2
    assert {j["run_attempt"] for j in gh.jobs.values()} == {1, 2}
    assert len(gh.jobs) == 4  # both jobs copied under attempt 2

    gh.complete_attempt(run["id"], "failure", job_conclusions={"lint": "success"})
    new_failing = next(j for j in gh.jobs.values() if j["name"] == "test (3.11)" and j["run_attempt"] == 2)
    assert new_failing["conclusion"] == "failure"
    _, body = raw(
        client, "POST", f"{REPO}/actions/jobs/{new_failing['id']}/rerun", input={"enable_debug_logging": True}
    )
    assert body == {}
    assert gh.requests[-1].body == {"enable_debug_logging": True}
    attempt3 = raw(client, "GET", f"{REPO}/actions/runs/{run['id']}/attempts/3/jobs")[1]["jobs"]
    assert [(j["name"], j["run_attempt"]) for j in attempt3] == [("test (3.11)", 3), ("lint", 2)]
    with pytest.raises(GithubException) as err:
        raw(client, "POST", f"{REPO}/actions/jobs/{failing['id']}/rerun")
    assert err.value.status == 403


def test_scripted_rerun_outcome_completes_after_polls(gh: FakeGitHub, client: Github) -> None:
    run, _, _ = seed_failed_run(gh)
    gh.set_rerun_outcome(run["id"], "success", logs={"test (3.11)": "fixed\n"}, after_polls=1)
    repo = client.get_repo("octo-org/octo-repo")
    assert repo.get_workflow_run(run["id"]).rerun_failed_jobs()
    assert repo.get_workflow_run(run["id"]).status == "queued"
    done = repo.get_workflow_run(run["id"])
    assert (done.status, done.conclusion, done.run_attempt) == ("completed", "success", 2)
    rerun_job = next(job for job in done.jobs() if job.name == "test (3.11)")
    assert rerun_job.conclusion == "success"
    assert requests.get(rerun_job.logs_url(), timeout=5).text == "fixed\n"


def test_reruns_refused_after_thirty_days(gh: FakeGitHub, client: Github) -> None:
    old = datetime.now(timezone.utc) - timedelta(days=31)
    run, _, _ = seed_failed_run(gh, created_at=old)
    assert client.get_repo("octo-org/octo-repo").get_workflow_run(run["id"]).rerun() is False
    assert "over a month ago" in gh.writes()[-1].response["message"]
    young, _, _ = seed_failed_run(gh)
    gh.advance_clock(31 * 86400)
    assert client.get_repo("octo-org/octo-repo").get_workflow_run(young["id"]).rerun() is False


def test_rerun_failed_jobs_needs_a_failed_job(gh: FakeGitHub, client: Github) -> None:
    run = gh.add_run(conclusion="success")
    gh.add_job(run["id"], "build", conclusion="success")
    assert client.get_repo("octo-org/octo-repo").get_workflow_run(run["id"]).rerun_failed_jobs() is False
    assert gh.writes()[-1].status == 403


def test_cancel_running_then_completed(gh: FakeGitHub, client: Github) -> None:
    run = gh.add_run(status="in_progress", conclusion=None)
    gh.add_job(run["id"], "build", conclusion=None, status="in_progress")
    wf_run = client.get_repo("octo-org/octo-repo").get_workflow_run(run["id"])
    assert wf_run.cancel() is True
    assert gh.run(run["id"])["conclusion"] == "cancelled"
    assert next(iter(gh.jobs.values()))["conclusion"] == "cancelled"
    assert wf_run.cancel() is False
    assert gh.writes()[-1].status == 409
    assert gh.writes()[-1].response["message"] == "Cannot cancel a workflow run that is completed."


# --------------------------------------------------------------------------- caches


def test_cache_list_filters_sorts_and_paginates(gh: FakeGitHub, client: Github) -> None:
    gh.add_cache("pip-Linux-aaa", ref="refs/heads/main", size_in_bytes=300)
    gh.add_cache("pip-Linux-bbb", ref="refs/heads/main", size_in_bytes=100)
    gh.add_cache("pip-Linux-aaa", ref="refs/pull/7/merge", size_in_bytes=200)
    gh.add_cache("npm-Linux-ccc", ref="refs/heads/main", size_in_bytes=50)
    url = f"{REPO}/actions/caches"
    _, data = raw(client, "GET", url, parameters={"key": "pip-", "sort": "size_in_bytes", "direction": "asc"})
    assert [c["size_in_bytes"] for c in data["actions_caches"]] == [100, 200, 300]
    _, data = raw(client, "GET", url, parameters={"key": "pip-Linux-aaa", "ref": "refs/heads/main"})
    assert data["total_count"] == 1
    headers, data = raw(client, "GET", url, parameters={"per_page": 3})
    assert data["total_count"] == 4 and len(data["actions_caches"]) == 3
    assert 'rel="next"' in headers["link"]
    _, usage = raw(client, "GET", f"{REPO}/actions/cache/usage")
    assert (usage["full_name"], usage["active_caches_size_in_bytes"], usage["active_caches_count"]) == (
        "octo-org/octo-repo",
        650,
        4,
    )


def test_cache_deletion_by_key_and_id(gh: FakeGitHub, client: Github) -> None:
    main = gh.add_cache("pip-Linux-aaa", ref="refs/heads/main")
    gh.add_cache("pip-Linux-aaa", ref="refs/pull/7/merge")
    gh.add_cache("pip-Linux-aaa", ref="refs/heads/dev")
    other = gh.add_cache("npm-Linux-ccc")
    url = f"{REPO}/actions/caches"
    _, deleted = raw(client, "DELETE", url, parameters={"key": "pip-Linux-aaa", "ref": "refs/heads/main"})
    assert [c["id"] for c in deleted["actions_caches"]] == [main["id"]]
    _, deleted = raw(client, "DELETE", url, parameters={"key": "pip-Linux-aaa"})  # every ref
    assert {c["ref"] for c in deleted["actions_caches"]} == {"refs/pull/7/merge", "refs/heads/dev"}
    with pytest.raises(UnknownObjectException):
        raw(client, "DELETE", url, parameters={"key": "pip-Linux-aaa"})
    with pytest.raises(UnknownObjectException):
        raw(client, "DELETE", url, parameters={"key": "pip-Linux"})  # exact key only, not a prefix
    status, _, body = client.requester.requestJson("DELETE", f"{url}/{other['id']}")
    assert (status, body) == (204, "")
    assert gh.caches == []
    status, _, _ = client.requester.requestJson("DELETE", f"{url}/{other['id']}")
    assert status == 404


# --------------------------------------------------------------------------- issues and comments


def test_issue_lifecycle_and_comments(gh: FakeGitHub, client: Github) -> None:
    repo = client.get_repo("octo-org/octo-repo")
    issue = repo.create_issue("CI failure: test (3.11)", body="<!-- healing-guard -->\nbody", labels=["ci", "bot"])
    assert issue.number == 1 and issue.user.login == "github-actions[bot]"
    assert [label.name for label in issue.labels] == ["ci", "bot"]
    assert gh.requests[-1].response_headers["Location"] == issue.url

    comment = issue.create_comment("first")
    comment.edit("edited")
    assert gh.comments[comment.id]["body"] == "edited"
    assert [c.body for c in issue.get_comments()] == ["edited"]
    assert repo.get_issue(1).get_comment(comment.id).body == "edited"

    issue.edit(state="closed", labels=["ci"])
    closed = repo.get_issue(1)
    assert (closed.state, closed.state_reason, closed.comments) == ("closed", "completed", 1)
    assert closed.closed_by is not None and closed.closed_by.login == "github-actions[bot]"
    with pytest.raises(UnknownObjectException):
        repo.get_issue(99)


def test_issue_list_filters_paginate_and_include_pulls(gh: FakeGitHub, client: Github) -> None:
    for n in range(5):
        gh.add_issue(f"flaky {n}", labels=["ci", "flaky"] if n % 2 else ["ci"])
    gh.add_issue("old", labels=["ci"], state="closed")
    gh.add_pull(head_ref="feature/x", title="A PR", labels=["ci"])
    repo = client_for(gh, per_page=2).get_repo("octo-org/octo-repo")
    assert sorted(i.title for i in repo.get_issues(labels=["flaky"])) == ["flaky 1", "flaky 3"]
    everything = list(repo.get_issues(state="all"))
    assert len(everything) == 7
    assert [i.number for i in everything][:2] == [7, 6]  # newest first
    assert {i.title for i in repo.get_issues(state="closed")} == {"old"}
    pr_issue = next(i for i in everything if i.title == "A PR")
    assert pr_issue.pull_request is not None
    assert set(gh.issues) == {1, 2, 3, 4, 5, 6} and set(gh.pulls) == {7}


def test_issue_validation_and_disabled_issues(make_server: ServerFactory) -> None:
    gh = make_server()
    repo = client_for(gh).get_repo("octo-org/octo-repo")
    with pytest.raises(GithubException) as err:
        repo.create_issue("too long", body="x" * 65537)
    assert err.value.status == 422
    assert "too long" in err.value.data["errors"][0]["message"]
    with pytest.raises(GithubException) as err:
        raw(client_for(gh), "POST", f"{REPO}/issues", input={"body": "no title"})
    assert err.value.status == 422
    issue = repo.create_issue("ok")
    with pytest.raises(GithubException) as err:
        issue.create_comment("")
    assert err.value.status == 422

    no_issues = make_server(has_issues=False)
    with pytest.raises(GithubException) as err:
        client_for(no_issues).get_repo("octo-org/octo-repo").create_issue("x")
    assert err.value.status == 410


# --------------------------------------------------------------------------- pulls


def test_pull_lookup_by_head_including_forks(gh: FakeGitHub, client: Github) -> None:
    gh.add_pull(number=7, head_ref="feature/x", title="Feature")
    gh.add_pull(head_ref="feature/x", head_owner="forker", title="From a fork")
    gh.add_pull(head_ref="old", title="Closed", state="closed")
    repo = client.get_repo("octo-org/octo-repo")
    mine = list(repo.get_pulls(head="octo-org:feature/x"))
    assert [(p.number, p.head.ref, p.head.repo.full_name) for p in mine] == [(7, "feature/x", "octo-org/octo-repo")]
    fork = list(repo.get_pulls(state="open", head="forker:feature/x"))
    assert [p.title for p in fork] == ["From a fork"]
    assert fork[0].head.repo.fork is True and fork[0].head.label == "forker:feature/x"
    assert [p.title for p in repo.get_pulls(state="closed")] == ["Closed"]
    assert len(list(repo.get_pulls(state="all"))) == 3

    run = gh.add_run(head_branch="feature/x", event="pull_request", pull_requests=[7])
    assert run["pull_requests"][0]["number"] == 7
    comment = repo.get_issue(7).create_comment("Diagnosis")  # PR comments go through the Issues API
    assert comment.html_url.endswith(f"/pull/7#issuecomment-{comment.id}")


def test_create_pull_and_its_422s(gh: FakeGitHub, client: Github) -> None:
    repo = client.get_repo("octo-org/octo-repo")
    gh.add_file("requirements.txt", "requests\n")
    main_sha = repo.get_git_ref("heads/main").object.sha
    repo.create_git_ref("refs/heads/healing/fix-1", main_sha)

    with pytest.raises(GithubException) as err:
        repo.create_pull(title="Fix", body="b", head="healing/fix-1", base="main")
    assert err.value.data["errors"][0]["message"] == "No commits between main and healing/fix-1"

    current = single(repo.get_contents("requirements.txt", ref="healing/fix-1"))
    repo.update_file("requirements.txt", "Pin", "requests==2.32.3\n", current.sha, branch="healing/fix-1")
    pull = repo.create_pull(title="Fix", body="b", head="healing/fix-1", base="main")
    assert (pull.head.ref, pull.base.ref, pull.state, pull.user.login) == (
        "healing/fix-1",
        "main",
        "open",
        "github-actions[bot]",
    )
    assert pull.merged is False and pull.html_url.startswith(gh.url)

    with pytest.raises(GithubException) as err:
        repo.create_pull(title="Again", body="b", head="octo-org:healing/fix-1", base="main")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["message"] == "A pull request already exists for octo-org:healing/fix-1."
    with pytest.raises(GithubException) as err:
        repo.create_pull(title="Nope", body="b", head="no-such-branch", base="main")
    assert err.value.data["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]


def test_pull_creation_can_be_forbidden_to_actions(make_server: ServerFactory) -> None:
    gh = make_server(allow_actions_to_create_prs=False)
    gh.add_branch("fix")
    gh.add_file("a.txt", "a", branch="fix")
    with pytest.raises(GithubException) as err:
        client_for(gh).get_repo("octo-org/octo-repo").create_pull(title="t", body="", head="fix", base="main")
    assert err.value.status == 403
    assert "not permitted to create or approve pull requests" in err.value.data["message"]


# --------------------------------------------------------------------------- refs and contents


def test_git_refs(gh: FakeGitHub, client: Github) -> None:
    repo = client.get_repo("octo-org/octo-repo")
    main = repo.get_git_ref("heads/main")
    assert main.ref == "refs/heads/main" and main.object.sha == gh.refs["refs/heads/main"]
    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("heads/missing").object  # noqa: B018 - lazy object, fetched here
    created = repo.create_git_ref("refs/heads/fix/one", main.object.sha)
    assert created.url == f"{gh.url}{REPO}/git/refs/heads/fix/one"
    assert repo.get_git_ref("heads/fix/one").object.sha == main.object.sha
    for ref, sha, message in (
        ("refs/heads/fix/one", main.object.sha, "Reference already exists"),
        ("refs/fix", main.object.sha, "Reference name must contain at least three slash-separated components."),
        ("refs/heads/other", "0" * 40, "Object does not exist"),
    ):
        with pytest.raises(GithubException) as err:
            repo.create_git_ref(ref, sha)
        assert (err.value.status, err.value.data["message"]) == (422, message)


def test_contents_get_and_put(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("requirements.txt", "requests\n")
    gh.add_file("ci/constraints.txt", "urllib3<3\n")
    repo = client.get_repo("octo-org/octo-repo")
    content = single(repo.get_contents("requirements.txt"))
    assert content.decoded_content == b"requests\n"
    assert content.sha == "f2293605cf1b01dca72aad0a15c45b72ed5429a2"  # git hash-object
    listing = repo.get_contents("")
    assert isinstance(listing, list)
    assert sorted((c.path, c.type) for c in listing) == [("ci", "dir"), ("requirements.txt", "file")]
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.txt")
    with pytest.raises(GithubException) as err:  # GitHub's message lacks "not found": no UnknownObject
        repo.get_contents("requirements.txt", ref="no-such-branch")
    assert err.value.status == 404 and not isinstance(err.value, UnknownObjectException)
    assert err.value.data["message"] == "No commit found for the ref no-such-branch"

    result = repo.update_file("requirements.txt", "Pin", "requests==2.32.3\n", content.sha)
    assert gh.requests[-1].status == 200
    assert gh.file("requirements.txt") == "requests==2.32.3\n"
    assert result["commit"].sha == gh.refs["refs/heads/main"]
    assert requests.get(str(single(repo.get_contents("requirements.txt")).download_url), timeout=5).text == (
        "requests==2.32.3\n"
    )

    with pytest.raises(GithubException) as err:  # stale sha
        repo.update_file("requirements.txt", "Again", "x\n", content.sha)
    assert (err.value.status, err.value.data["message"]) == (409, f"requirements.txt does not match {content.sha}")
    with pytest.raises(GithubException) as err:  # update without sha
        raw(client, "PUT", f"{REPO}/contents/requirements.txt", input={"message": "m", "content": "eA=="})
    assert (err.value.status, err.value.data["message"]) == (422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
    created = repo.create_file("docs/new file.md", "Add", "# hi\n")
    new_file = created["content"]
    assert isinstance(new_file, ContentFile)
    assert gh.requests[-1].status == 201 and new_file.path == "docs/new file.md"
    assert single(repo.get_contents("docs/new file.md")).decoded_content == b"# hi\n"
    with pytest.raises(GithubException) as err:
        repo.create_file("x.txt", "Add", "x", branch="nope")
    assert err.value.status == 404
    with pytest.raises(GithubException) as err:
        repo.create_file(".github/workflows/ci.yml", "Add", "on: push\n")
    assert err.value.status == 403


# --------------------------------------------------------------------------- auth and permissions


def test_bad_or_missing_credentials_are_401(gh: FakeGitHub) -> None:
    with pytest.raises(BadCredentialsException):
        client_for(gh, token="ghs_wrong").get_repo("octo-org/octo-repo")
    anonymous = Github(base_url=gh.url, retry=None, seconds_between_requests=0)
    with pytest.raises(BadCredentialsException):
        anonymous.get_repo("octo-org/octo-repo")
    assert gh.requests[-1].headers.get("authorization") is None
    bearer = requests.get(f"{gh.url}{REPO}", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=5)
    assert bearer.status_code == 200


def test_missing_permissions_are_403_not_rate_limits(make_server: ServerFactory) -> None:
    gh = make_server(permissions={"actions": "read", "issues": "read", "contents": "read"})
    run, failing, _ = seed_failed_run(gh)
    gh.add_pull(number=5, head_ref="feature/x")
    client = client_for(gh)
    repo = client.get_repo("octo-org/octo-repo")
    assert repo.get_workflow_run(run["id"]).conclusion == "failure"  # actions: read is enough
    assert repo.get_workflow_run(run["id"]).rerun() is False
    denied = gh.writes()[-1]
    assert (denied.status, denied.response["message"]) == (403, "Resource not accessible by integration")
    assert denied.response_headers["x-accepted-github-permissions"] == "actions=write"

    for call in (
        lambda: raw(client, "POST", f"{REPO}/actions/jobs/{failing['id']}/rerun"),
        lambda: raw(client, "DELETE", f"{REPO}/actions/caches", parameters={"key": "k"}),
        lambda: repo.create_issue("x"),
        lambda: repo.get_issue(5).create_comment("x"),
        lambda: repo.get_pulls().totalCount,
        lambda: repo.create_git_ref("refs/heads/x", gh.refs["refs/heads/main"]),
    ):
        with pytest.raises(GithubException) as err:
            call()
        assert err.value.status == 403
        assert not isinstance(err.value, RateLimitExceededException)

    gh.permissions = {"pull-requests": "write"}  # PR comments accept pull-requests: write
    assert repo.get_issue(5).create_comment("on the PR").body == "on the PR"
    with pytest.raises(GithubException):
        repo.get_workflow_run(run["id"])


# --------------------------------------------------------------------------- faults and rate limits


def test_injected_faults_hit_the_chosen_call(gh: FakeGitHub, client: Github) -> None:
    _, failing, _ = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    fault = gh.inject("GET", r"/actions/jobs/\d+$", 500, skip=1)
    assert repo.get_workflow_job(failing["id"]).name == "test (3.11)"
    with pytest.raises(GithubException) as err:
        repo.get_workflow_job(failing["id"])
    assert (err.value.status, err.value.data["message"]) == (500, "Server Error")
    assert repo.get_workflow_job(failing["id"]).name == "test (3.11)"
    assert (fault.hits, fault.exhausted) == (1, True)

    gh.inject("*", r"/issues$", 502, times=None)
    for _ in range(2):
        with pytest.raises(GithubException) as err:
            repo.create_issue("x")
        assert err.value.status == 502
    gh.clear_faults()
    assert repo.create_issue("x").number == 1

    gh.inject(
        "PATCH",
        r"/issues/1$",
        422,
        body={
            "message": "Validation Failed",
            "errors": [{"code": "custom"}],
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    with pytest.raises(GithubException) as err:
        repo.get_issue(1).edit(title="y")
    assert err.value.status == 422 and err.value.data["errors"] == [{"code": "custom"}]
    gh.inject("GET", r"/actions/runs/\d+$", 404)
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_run(1)
    gh.inject("GET", r"^/repos/octo-org/octo-repo$", 401, body={"message": "Bad credentials"})
    with pytest.raises(BadCredentialsException):
        client.get_repo("octo-org/octo-repo")


def test_rate_limit_faults_map_to_pygithub_exceptions(gh: FakeGitHub, client: Github) -> None:
    run, _, _ = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    gh.inject_rate_limit("GET", r"/actions/runs/\d+$", kind="primary")
    with pytest.raises(RateLimitExceededException) as err:
        repo.get_workflow_run(run["id"])
    assert err.value.headers is not None
    assert err.value.headers["x-ratelimit-remaining"] == "0"
    assert int(err.value.headers["x-ratelimit-reset"]) > int(datetime.now(timezone.utc).timestamp())
    assert err.value.data["message"].startswith("API rate limit exceeded for installation ID")

    gh.inject_rate_limit("POST", r"/issues$", kind="secondary", status=403)
    with pytest.raises(RateLimitExceededException) as err:
        repo.create_issue("x")
    assert err.value.headers is not None and err.value.headers["retry-after"] == "1"
    assert err.value.data["message"].startswith("You have exceeded a secondary rate limit")

    gh.inject_rate_limit("POST", r"/issues$", kind="secondary", status=429)
    with pytest.raises(GithubException) as plain:
        repo.create_issue("x")
    assert plain.value.status == 429 and not isinstance(plain.value, RateLimitExceededException)
    assert repo.create_issue("x").number == 1


def test_pygithub_retry_rides_out_a_transient_502(gh: FakeGitHub) -> None:
    run, _, _ = seed_failed_run(gh)
    gh.inject("GET", r"/actions/runs/\d+$", 502)
    retrying = client_for(gh, retry=GithubRetry(total=2, backoff_factor=0))
    assert retrying.get_repo("octo-org/octo-repo").get_workflow_run(run["id"]).id == run["id"]
    assert [r.status for r in gh.requests if r.operation == "actions/get-workflow-run"] == [502, 200]


def test_primary_rate_limit_runs_out(make_server: ServerFactory) -> None:
    gh = make_server(rate_limit=3)
    client = client_for(gh)
    repo = client.get_repo("octo-org/octo-repo")
    assert gh.requests[-1].response_headers["x-ratelimit-remaining"] == "2"
    repo.get_issues(state="all").totalCount  # noqa: B018
    repo.get_pulls().totalCount  # noqa: B018
    assert gh.requests[-1].response_headers["x-ratelimit-used"] == "3"
    with pytest.raises(RateLimitExceededException):
        repo.get_issue(1)
    gh.advance_clock(3601)
    with pytest.raises(UnknownObjectException):
        repo.get_issue(1)


# --------------------------------------------------------------------------- recording


def test_recording_and_writes(gh: FakeGitHub, client: Github) -> None:
    run, _, _ = seed_failed_run(gh)
    repo = client.get_repo("octo-org/octo-repo")
    list(repo.get_workflow_run(run["id"]).jobs())
    list(repo.get_pulls(head="octo-org:feature/x"))
    assert gh.writes() == []  # a dry run would stop here
    pulls_call = next(r for r in gh.requests if r.operation == "pulls/list")
    assert pulls_call.query["head"] == "octo-org:feature/x"
    assert pulls_call.authorization == f"token {gh.token}"

    repo.create_issue("t", body="b")
    (write,) = gh.writes()
    assert (write.method, write.path, write.body, write.status) == (
        "POST",
        f"{REPO}/issues",
        {"title": "t", "body": "b"},
        201,
    )
    gh.reset_requests()
    assert gh.requests == []


def test_malformed_json_and_unknown_routes(gh: FakeGitHub) -> None:
    headers = {"Authorization": f"token {gh.token}", "Content-Type": "application/json"}
    bad = requests.post(f"{gh.url}{REPO}/issues", data="{not json", headers=headers, timeout=5)
    assert (bad.status_code, bad.json()["message"]) == (400, "Problems parsing JSON")
    assert gh.requests[-1].body == "{not json"
    unknown = requests.get(f"{gh.url}{REPO}/actions/artifacts", headers=headers, timeout=5)
    assert (unknown.status_code, unknown.json()["message"], unknown.json()["status"]) == (404, "Not Found", "404")
    assert unknown.headers["content-type"] == "application/json; charset=utf-8"


def test_concurrent_clients(gh: FakeGitHub) -> None:
    issue_number = gh.add_issue("shared")["number"]
    failures: list[BaseException] = []

    def post(n: int) -> None:
        try:
            client_for(gh, lazy=True).get_repo("octo-org/octo-repo").get_issue(issue_number).create_comment(f"c{n}")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(c["body"] for c in gh.comments.values()) == [f"c{n}" for n in range(8)]
    assert len({c["id"] for c in gh.comments.values()}) == 8


# --------------------------------------------------------------------------- OpenAPI coverage


def test_every_operation_answers_with_its_openapi_schema(
    gh: FakeGitHub, make_server: ServerFactory, openapi: OpenApiChecker
) -> None:
    """Hit all 46 operations once with a success status and validate each answer."""
    client = client_for(gh)
    run, failing, _ = seed_failed_run(gh)
    running = gh.add_run(status="in_progress", conclusion=None)
    cache = gh.add_cache("pip-Linux-aaa")
    gh.add_cache("npm-Linux-bbb")
    gh.add_pull(number=3, head_ref="feature/y")
    gh.add_file("requirements.txt", "requests\n")
    rid, jid = run["id"], failing["id"]

    def get(url: str, **params: Any) -> Any:
        return raw(client, "GET", f"{REPO}{url}", parameters=params or None)[1]

    get("")
    get("/actions/runs")
    get("/actions/workflows/ci.yml/runs")
    get(f"/actions/runs/{rid}")
    get(f"/actions/runs/{rid}/attempts/1")
    get(f"/actions/runs/{rid}/jobs", filter="all")
    get(f"/actions/runs/{rid}/attempts/1/jobs")
    get(f"/actions/jobs/{jid}")
    for url in (f"/actions/jobs/{jid}/logs", f"/actions/runs/{rid}/logs", f"/actions/runs/{rid}/attempts/1/logs"):
        location(client, f"{REPO}{url}")
    raw(client, "POST", f"{REPO}/actions/runs/{rid}/rerun-failed-jobs")
    gh.complete_attempt(rid, "failure")
    raw(client, "POST", f"{REPO}/actions/runs/{rid}/rerun")
    gh.complete_attempt(rid, "failure")
    raw(client, "POST", f"{REPO}/actions/jobs/{jid}/rerun")
    raw(client, "POST", f"{REPO}/actions/runs/{running['id']}/cancel")
    get("/actions/caches", key="pip")
    raw(client, "DELETE", f"{REPO}/actions/caches", parameters={"key": "npm-Linux-bbb"})
    client.requester.requestJson("DELETE", f"{REPO}/actions/caches/{cache['id']}")
    get("/actions/cache/usage")
    created = raw(client, "POST", f"{REPO}/issues", input={"title": "t", "labels": ["ci"]})[1]
    get("/issues", labels="ci")
    get(f"/issues/{created['number']}")
    raw(client, "PATCH", f"{REPO}/issues/{created['number']}", input={"state": "closed"})
    comment = raw(client, "POST", f"{REPO}/issues/3/comments", input={"body": "hi"})[1]
    get("/issues/3/comments")
    get(f"/issues/comments/{comment['id']}")
    raw(client, "PATCH", f"{REPO}/issues/comments/{comment['id']}", input={"body": "hello"})
    get("/pulls", head="octo-org:feature/y", state="all")
    gh.add_collaborator("reviewer", "maintain")
    get("/collaborators/reviewer/permission")
    main_sha = get("/git/ref/heads/main")["object"]["sha"]
    raw(client, "POST", f"{REPO}/git/refs", input={"ref": "refs/heads/fix", "sha": main_sha})
    file_sha = get("/contents/requirements.txt", ref="fix")["sha"]
    get("/contents/")
    raw(
        client,
        "PUT",
        f"{REPO}/contents/requirements.txt",
        input={"message": "m", "content": "eAo=", "sha": file_sha, "branch": "fix"},
    )
    raw(client, "PUT", f"{REPO}/contents/new.txt", input={"message": "m", "content": "eAo=", "branch": "fix"})
    pull = raw(client, "POST", f"{REPO}/pulls", input={"title": "t", "head": "fix", "base": "main"})[1]
    raw(client, "PATCH", f"{REPO}/pulls/{pull['number']}", input={"body": "updated"})
    gh.add_file(".github/workflows/heal-fix.yml", "on:\n  workflow_dispatch:\n    inputs:\n      recipe:\n")
    raw(
        client,
        "POST",
        f"{REPO}/actions/workflows/heal-fix.yml/dispatches",
        input={"ref": "main", "inputs": {"recipe": "x"}},
    )
    get("/compare/main...fix")
    raw(client, "PATCH", f"{REPO}/git/refs/heads/fix", input={"sha": main_sha, "force": True})
    # the Git Data API (the audit trail's state branch, issue 9)
    blob = raw(client, "POST", f"{REPO}/git/blobs", input={"content": "eAo=", "encoding": "base64"})[1]
    get(f"/git/blobs/{blob['sha']}")
    tree = raw(
        client,
        "POST",
        f"{REPO}/git/trees",
        input={"tree": [{"path": "trail/x.jsonl", "mode": "100644", "type": "blob", "sha": blob["sha"]}]},
    )[1]
    get(f"/git/trees/{tree['sha']}", recursive="1")
    made = raw(client, "POST", f"{REPO}/git/commits", input={"message": "m", "tree": tree["sha"], "parents": []})[1]
    get(f"/git/commits/{made['sha']}")
    client.requester.requestJson("DELETE", f"{REPO}/issues/comments/{comment['id']}")
    personal = make_server(token="ghp_personal", identity="octo-bot")
    raw(client_for(personal), "GET", "/user")

    local = OpenApiChecker(openapi.spec)
    for record in gh.requests + personal.requests:
        local.check(record)
    assert local.validated == set(local.operations), sorted(set(local.operations) - local.validated)
    assert len(local.operations) == 46


def test_route_table_is_exactly_the_openapi_operations(openapi: OpenApiChecker) -> None:
    routes = {(r.method, r.template, r.operation_id, r.documentation_url) for r in build_routes()}
    documented = {
        (method, template, op_id, openapi.operations[op_id]["externalDocs"]["url"])
        for op_id, (method, template) in openapi.templates.items()
    }
    assert routes == documented


def test_timestamp_log_matches_the_runner_format() -> None:
    text = timestamp_log("one\ntwo", datetime(2024, 7, 8, 16, 48, 9, 376313, tzinfo=timezone.utc))
    assert text.splitlines() == ["2024-07-08T16:48:09.3763130Z one", "2024-07-08T16:48:09.4133130Z two"]


# --------------------------------------------------------------------------- identity, compare, refs, drips


def test_installation_token_cannot_read_user_but_graphql_names_it(gh: FakeGitHub, client: Github) -> None:
    with pytest.raises(GithubException) as caught:
        raw(client, "GET", "/user")
    assert caught.value.status == 403 and caught.value.data["message"] == "Resource not accessible by integration"
    _, data = client.requester.graphql_query("query { viewer { login } }", {})
    assert data == {"data": {"viewer": {"login": "github-actions[bot]"}}}
    assert gh.writes() == []  # a GraphQL query is a read
    _, odd = raw(client, "POST", "/graphql", input={"query": "{ repository { id } }"})
    assert "errors" in odd


def test_personal_token_reads_its_user_and_authors_what_it_writes(make_server: ServerFactory) -> None:
    gh = make_server(token="ghp_personal", identity="release-bot")
    client = client_for(gh)
    assert raw(client, "GET", "/user")[1]["login"] == "release-bot"
    issue = raw(client, "POST", f"{REPO}/issues", input={"title": "t"})[1]
    assert issue["user"]["login"] == "release-bot" and issue["user"]["type"] == "User"


def test_app_token_authors_issues_comments_and_commits(make_server: ServerFactory) -> None:
    gh = make_server(identity="healer-app[bot]")
    client = client_for(gh)
    gh.add_file("a.txt", "a\n")
    issue = raw(client, "POST", f"{REPO}/issues", input={"title": "t"})[1]
    comment = raw(client, "POST", f"{REPO}/issues/{issue['number']}/comments", input={"body": "b"})[1]
    assert issue["user"]["login"] == comment["user"]["login"] == "healer-app[bot]"
    assert issue["user"]["type"] == "Bot"
    before = gh.refs["refs/heads/main"]
    raw(client, "PUT", f"{REPO}/contents/b.txt", input={"message": "m", "content": "Ygo="})
    compared = raw(client, "GET", f"{REPO}/compare/{before}...main")[1]
    assert compared["ahead_by"] == 1 and compared["commits"][0]["author"]["login"] == "healer-app[bot]"
    assert compared["commits"][0]["commit"]["author"]["email"].endswith("+healer-app[bot]@users.noreply.github.com")


def test_comments_can_be_deleted(gh: FakeGitHub, client: Github) -> None:
    gh.add_issue("t", number=1)
    comment = gh.add_comment(1, "hi")
    status, _, _ = client.requester.requestJson("DELETE", f"{REPO}/issues/comments/{comment['id']}")
    assert status == 204 and gh.comments == {}
    status, _, _ = client.requester.requestJson("DELETE", f"{REPO}/issues/comments/{comment['id']}")
    assert status == 404


def test_compare_counts_commits_ahead_and_behind(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("a.txt", "a\n")
    gh.add_branch("topic")
    raw(client, "PUT", f"{REPO}/contents/t.txt", input={"message": "topic", "content": "dAo=", "branch": "topic"})
    ahead = raw(client, "GET", f"{REPO}/compare/main...topic")[1]
    assert (ahead["status"], ahead["ahead_by"], ahead["behind_by"]) == ("ahead", 1, 0)
    assert ahead["commits"][0]["author"]["login"] == "github-actions[bot]"
    assert ahead["commits"][0]["commit"]["message"] == "topic"
    gh.add_file("b.txt", "b\n")  # main moves on, by octocat
    diverged = raw(client, "GET", f"{REPO}/compare/main...topic")[1]
    assert (diverged["status"], diverged["ahead_by"], diverged["behind_by"]) == ("diverged", 1, 1)
    behind = raw(client, "GET", f"{REPO}/compare/topic...main")[1]
    assert behind["ahead_by"] == 1 and behind["commits"][0]["author"]["login"] == "octocat"
    with pytest.raises(UnknownObjectException):
        raw(client, "GET", f"{REPO}/compare/main...nowhere")


def test_refs_update_fast_forward_only_unless_forced(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("a.txt", "a\n")
    old = gh.refs["refs/heads/main"]
    gh.add_branch("topic", old)
    new = gh.add_file("b.txt", "b\n")
    moved = raw(client, "PATCH", f"{REPO}/git/refs/heads/topic", input={"sha": new})[1]
    assert moved["object"]["sha"] == new == gh.refs["refs/heads/topic"]
    with pytest.raises(GithubException) as caught:
        raw(client, "PATCH", f"{REPO}/git/refs/heads/topic", input={"sha": old})
    assert caught.value.status == 422 and caught.value.data["message"] == "Update is not a fast forward"
    raw(client, "PATCH", f"{REPO}/git/refs/heads/topic", input={"sha": old, "force": True})
    assert gh.refs["refs/heads/topic"] == old
    for ref, sha, message in (("topic", "f" * 40, "Object does not exist"), ("gone", old, "Reference does not exist")):
        with pytest.raises(GithubException) as caught:
            raw(client, "PATCH", f"{REPO}/git/refs/heads/{ref}", input={"sha": sha})
        assert caught.value.status == 422 and caught.value.data["message"] == message


def test_drip_downloads_serve_slowly_but_completely(gh: FakeGitHub, client: Github) -> None:
    _, failing, _ = seed_failed_run(gh)
    gh.drip_downloads(size=200, delay=0.05)
    url = location(client, f"{REPO}/actions/jobs/{failing['id']}/logs")
    started = time.monotonic()
    body = requests.get(url, timeout=10).content
    assert body.decode() == FAILING_LOG and time.monotonic() - started >= 0.05 * (len(body) // 200)
    gh.drip_downloads(size=0)
    started = time.monotonic()
    requests.get(location(client, f"{REPO}/actions/jobs/{failing['id']}/logs"), timeout=10)
    assert time.monotonic() - started < 1


# --------------------------------------------------------------------------- git data (issue 9)


def test_git_data_builds_an_orphan_branch_with_real_git_shas(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("src/app.py", "print('hi')\n")
    blob = raw(client, "POST", f"{REPO}/git/blobs", input={"content": "hello\n"})[1]
    assert blob["sha"] == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object
    tree = raw(
        client,
        "POST",
        f"{REPO}/git/trees",
        input={"tree": [{"path": "a.txt", "mode": "100644", "type": "blob", "sha": blob["sha"]}]},
    )[1]
    assert tree["sha"] == "2e81171448eb9f2ee3821e3d447aa6b2fe3ddba1"  # git write-tree of a.txt
    orphan = raw(client, "POST", f"{REPO}/git/commits", input={"message": "state", "tree": tree["sha"]})[1]
    assert orphan["parents"] == [] and orphan["tree"]["sha"] == tree["sha"]
    assert orphan["author"]["name"] == gh.identity
    raw(client, "POST", f"{REPO}/git/refs", input={"ref": "refs/heads/x/state", "sha": orphan["sha"]})
    assert gh.file("a.txt", "x/state") == "hello\n" and gh.file("src/app.py", "x/state") is None
    # get-tree takes a branch name (several segments) too, and lists folders when recursive
    listed = raw(client, "GET", f"{REPO}/git/trees/main", parameters={"recursive": "1"})[1]
    assert [(e["path"], e["type"]) for e in listed["tree"]] == [("src", "tree"), ("src/app.py", "blob")]
    flat = raw(client, "GET", f"{REPO}/git/trees/main")[1]
    assert [(e["path"], e["type"]) for e in flat["tree"]] == [("src", "tree")]


def test_create_tree_deletes_with_a_null_sha_and_refuses_unknown_objects(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("keep.txt", "k\n")
    gh.add_file("old/gone.txt", "g\n")
    head = raw(client, "GET", f"{REPO}/git/commits/{gh.refs['refs/heads/main']}")[1]
    tree = raw(
        client,
        "POST",
        f"{REPO}/git/trees",
        input={
            "base_tree": head["tree"]["sha"],
            "tree": [
                {"path": "old/gone.txt", "mode": "100644", "type": "blob", "sha": None},
                {"path": "new.txt", "mode": "100644", "type": "blob", "content": "n\n"},
            ],
        },
    )[1]
    assert sorted(e["path"] for e in tree["tree"]) == ["keep.txt", "new.txt"]
    for body in (
        {"base_tree": "0" * 40, "tree": []},
        {"tree": [{"path": "a", "mode": "100644", "type": "blob", "sha": "1" * 40}]},
        {"tree": [{"path": "a", "mode": "100644", "type": "blob", "sha": "1" * 40, "content": "x"}]},
    ):
        with pytest.raises(GithubException) as refused:
            raw(client, "POST", f"{REPO}/git/trees", input=body)
        assert refused.value.status == 422 and refused.value.data["message"] == "Invalid tree info"
    with pytest.raises(GithubException) as bad_parent:
        raw(client, "POST", f"{REPO}/git/commits", input={"message": "m", "tree": tree["sha"], "parents": ["2" * 40]})
    assert bad_parent.value.status == 422
    with pytest.raises(GithubException) as missing:
        raw(client, "GET", f"{REPO}/git/commits/{'3' * 40}")
    assert missing.value.status == 404


def test_update_ref_without_force_refuses_a_commit_that_does_not_descend(gh: FakeGitHub, client: Github) -> None:
    base = gh.refs["refs/heads/main"]
    tree = raw(client, "GET", f"{REPO}/git/commits/{base}")[1]["tree"]["sha"]
    child = raw(client, "POST", f"{REPO}/git/commits", input={"message": "a", "tree": tree, "parents": [base]})[1]
    rival = raw(client, "POST", f"{REPO}/git/commits", input={"message": "b", "tree": tree, "parents": [base]})[1]
    raw(client, "PATCH", f"{REPO}/git/refs/heads/main", input={"sha": child["sha"], "force": False})
    with pytest.raises(GithubException) as lost:
        raw(client, "PATCH", f"{REPO}/git/refs/heads/main", input={"sha": rival["sha"], "force": False})
    assert lost.value.status == 422 and lost.value.data["message"] == "Update is not a fast forward"
    gh.delete_branch("main")
    with pytest.raises(GithubException) as gone:
        raw(client, "PATCH", f"{REPO}/git/refs/heads/main", input={"sha": child["sha"]})
    assert gone.value.data["message"] == "Reference does not exist"


def test_runs_filter_by_creation_date(gh: FakeGitHub, client: Github) -> None:
    now = datetime.now(timezone.utc)
    old = gh.add_run(created_at=now - timedelta(days=40))
    new = gh.add_run(created_at=now - timedelta(days=2))
    since = (now - timedelta(days=30)).date().isoformat()
    found = raw(client, "GET", f"{REPO}/actions/runs", parameters={"created": f">={since}"})[1]
    assert [r["id"] for r in found["workflow_runs"]] == [new["id"]]
    before = raw(client, "GET", f"{REPO}/actions/runs", parameters={"created": f"<{since}"})[1]
    assert [r["id"] for r in before["workflow_runs"]] == [old["id"]]


def test_compare_lists_the_files_the_head_changed(gh: FakeGitHub, client: Github) -> None:
    gh.add_file("a.txt", "a\n")
    gh.add_branch("topic")
    gh.add_file("a.txt", "a\nb\n", branch="topic")
    gh.add_file("c.txt", "c\n", branch="topic")
    files = raw(client, "GET", f"{REPO}/compare/main...topic")[1]["files"]
    assert [(f["filename"], f["status"], f["additions"]) for f in files] == [
        ("a.txt", "modified", 2),
        ("c.txt", "added", 1),
    ]
def test_collaborator_permission_maps_roles_as_github_does(gh: FakeGitHub) -> None:
    client = client_for(gh)
    gh.add_collaborator("maint", "maintain")
    gh.add_collaborator("tri", "triage")
    gh.add_comment(gh.add_issue("x")["number"], "hi", user="passer-by")

    def level(login: str) -> tuple[str, str]:
        data = raw(client, "GET", f"{REPO}/collaborators/{login}/permission")[1]
        return data["permission"], data["role_name"]

    assert level("maint") == ("write", "maintain")
    assert level("tri") == ("read", "triage")
    assert level("passer-by") == ("read", "read")  # a public repository: anyone reads
    status = client.requester.requestJson("GET", f"{REPO}/collaborators/nobody-here/permission")[0]
    assert status == 404
# --------------------------------------------------------------------------- workflow dispatch and pull updates


DISPATCH_WORKFLOW = """name: fix
on:
  workflow_dispatch:
    inputs:
      recipe:
        description: the recipe
        required: true
      argument:
        required: false
"""


@pytest.mark.parametrize(
    ("workflow", "body", "status", "message"),
    [
        ("nope.yml", {"ref": "main"}, 404, "Not Found"),
        ("fix.yml", {}, 422, '"ref" wasn\'t supplied'),
        ("fix.yml", {"ref": "no-such-branch", "inputs": {"recipe": "x"}}, 422, "No ref found for: no-such-branch"),
        (
            "fix.yml",
            {"ref": "main", "inputs": {"recipe": "x", "extra": "1"}},
            422,
            'Unexpected inputs provided: ["extra"]',
        ),
        ("fix.yml", {"ref": "main", "inputs": {"argument": "a"}}, 422, "Required input 'recipe' not provided"),
        ("ci.yml", {"ref": "main"}, 422, "Workflow does not have 'workflow_dispatch' trigger"),
        ("fix.yml", {"ref": "main", "inputs": {f"i{n}": "x" for n in range(26)}}, 422, "maximum number of properties"),
    ],
)
def test_workflow_dispatch_answers_as_github_does(
    gh: FakeGitHub, workflow: str, body: dict[str, Any], status: int, message: str
) -> None:
    gh.add_file(".github/workflows/fix.yml", DISPATCH_WORKFLOW)
    gh.add_file(".github/workflows/ci.yml", "on: push\njobs: {}\n")
    client = client_for(gh)
    with pytest.raises(GithubException) as caught:
        raw(client, "POST", f"{REPO}/actions/workflows/{workflow}/dispatches", input=body)
    assert caught.value.status == status and message in str(caught.value.data["message"])
    assert gh.dispatches == []


def test_workflow_dispatch_queues_a_run_and_can_return_it(gh: FakeGitHub) -> None:
    gh.add_file(".github/workflows/fix.yml", DISPATCH_WORKFLOW)
    client = client_for(gh)
    _, data = raw(
        client, "POST", f"{REPO}/actions/workflows/fix.yml/dispatches", input={"ref": "main", "inputs": {"recipe": "x"}}
    )
    assert data is None or data == {}
    _, details = raw(
        client,
        "POST",
        f"{REPO}/actions/workflows/fix.yml/dispatches",
        input={"ref": "refs/heads/main", "inputs": {"recipe": "y"}, "return_run_details": True},
    )
    first, second = gh.dispatches
    assert first["inputs"] == {"recipe": "x"} and second["ref"] == "refs/heads/main"
    run = gh.run(details["workflow_run_id"])
    assert run["event"] == "workflow_dispatch" and run["status"] == "queued" and run["head_branch"] == "main"
    assert details["html_url"].endswith(f"/actions/runs/{run['id']}")


def test_pull_update_changes_title_body_and_state(gh: FakeGitHub) -> None:
    gh.add_pull(number=3, head_ref="feature/y")
    client = client_for(gh)
    _, pull = raw(client, "PATCH", f"{REPO}/pulls/3", input={"title": "New", "body": "Body"})
    assert (pull["title"], pull["body"], pull["state"]) == ("New", "Body", "open")
    _, closed = raw(client, "PATCH", f"{REPO}/pulls/3", input={"state": "closed"})
    assert closed["state"] == "closed"
    for body, status in (({"title": ""}, 422), ({"base": "nope"}, 422), ({"state": "merged"}, 422)):
        with pytest.raises(GithubException) as caught:
            raw(client, "PATCH", f"{REPO}/pulls/3", input=body)
        assert caught.value.status == status
    with pytest.raises(GithubException) as missing:
        raw(client, "PATCH", f"{REPO}/pulls/99", input={"title": "x"})
    assert missing.value.status == 404


def test_a_client_that_hangs_up_is_not_a_server_error(gh: FakeGitHub, capfd: pytest.CaptureFixture[str]) -> None:
    """A keep-alive socket reset while the server waits for its next request (what an HTTP client
    does when it closes a connection with bytes unread) is the client's business: no traceback."""
    where = urlsplit(gh.url)
    for _ in range(3):
        with socket.create_connection((where.hostname or "127.0.0.1", where.port or 80)) as sock:
            sock.sendall(b"GET /repos HTTP/1.1\r\nHost: x\r\n")  # the headers never end
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
    time.sleep(0.5)  # the handler threads read the resets
    assert "Exception occurred" not in capfd.readouterr().err
    answer = requests.get(f"{gh.url}/repos/{gh.full_name}", headers={"Authorization": f"token {gh.token}"}, timeout=5)
    assert answer.ok  # and it still serves
