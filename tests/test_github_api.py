"""GitHubClient over real HTTP against the fake GitHub server (issue 7: defects 6, 7, 8, 14, 15).

Every answer the server gives is checked against GitHub's OpenAPI description when the test's
server stops (``tests/openapi_check.py``), and a test fails if a route handler raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from healing_guard.errors import GitHubConflictError, GitHubError, GitHubRateLimitError, GitHubValidationError
from healing_guard.github_api import GitHubClient
from healing_guard.markers import comment_marker, issue_marker, read_state
from healing_guard.simulator import FakeGitHub, timestamp_log

BOT = "github-actions[bot]"
MARKER = issue_marker("0123456789abcdef")
COMMENT = comment_marker(160001)
LOG = timestamp_log("##[group]Run pytest\nE   AssertionError\n##[error]Process completed with exit code 1.\n")

ServerFactory = Callable[..., FakeGitHub]


def client_for(gh: FakeGitHub, **kwargs: Any) -> GitHubClient:
    options: dict[str, Any] = {"api_url": gh.url, "seconds_between_writes": 0, "sleep": lambda _: None}
    options.update(kwargs)
    return GitHubClient(gh.token, gh.full_name, **options)


def render_count(previous: str | None) -> str:
    state = read_state(previous).add(7001, 1)
    return f"{MARKER}\n{state.comment()}\nseen {state.occurrences}"


# --------------------------------------------------------------------------- identity (defect 6)


def test_github_token_identity_comes_from_graphql_viewer(gh: FakeGitHub) -> None:
    client = client_for(gh)
    assert client.identity() == BOT
    assert client.identity() == BOT  # asked once
    assert [(r.method, r.path) for r in gh.requests] == [("POST", "/graphql")]  # ghs_: no GET /user


def test_personal_token_identity_is_the_user(make_server: ServerFactory) -> None:
    gh = make_server(token="ghp_personal", identity="release-bot")
    assert client_for(gh).identity() == "release-bot"
    assert [(r.method, r.path, r.status) for r in gh.requests] == [("GET", "/user", 200)]


def test_app_token_without_prefix_falls_back_from_user_403_to_viewer(make_server: ServerFactory) -> None:
    gh = make_server(token="v1.0123456789abcdef", identity="healer-app[bot]")
    assert client_for(gh).identity() == "healer-app[bot]"
    assert [(r.method, r.path, r.status) for r in gh.requests] == [("GET", "/user", 403), ("POST", "/graphql", 200)]
    assert gh.requests[0].response["message"] == "Resource not accessible by integration"


def test_an_installation_tokens_viewer_is_its_bot(gh: FakeGitHub) -> None:
    gh.inject("POST", r"^/graphql$", 200, body={"data": {"viewer": {"login": "github-actions"}}})
    assert client_for(gh).identity() == BOT


def test_comment_marker_in_someone_elses_comment_is_never_edited(gh: FakeGitHub) -> None:
    gh.add_pull(head_ref="feature/x", number=7)
    forged = gh.add_comment(7, f"{COMMENT}\nplease @org/everyone look", user="mallory")
    posted = client_for(gh).upsert_comment(7, COMMENT, f"{COMMENT}\ndiagnosis")
    assert posted.created
    assert gh.comments[forged["id"]]["body"] == f"{COMMENT}\nplease @org/everyone look"
    mine = gh.comments[posted.number]
    assert mine["user"]["login"] == BOT and mine["body"] == f"{COMMENT}\ndiagnosis"


def test_own_comment_is_updated_in_place(gh: FakeGitHub) -> None:
    gh.add_pull(head_ref="feature/x", number=7)
    client = client_for(gh)
    first = client.upsert_comment(7, COMMENT, f"{COMMENT}\none")
    second = client.upsert_comment(7, COMMENT, f"{COMMENT}\ntwo")
    assert first.created and not second.created and first.number == second.number
    assert [c["body"] for c in gh.comments.values()] == [f"{COMMENT}\ntwo"]


def test_comments_are_kept_per_workflow(gh: FakeGitHub) -> None:
    gh.add_pull(head_ref="feature/x", number=7)
    client = client_for(gh)
    other = comment_marker(160002)
    client.upsert_comment(7, COMMENT, f"{COMMENT}\nCI")
    client.upsert_comment(7, other, f"{other}\nLint")
    client.upsert_comment(7, COMMENT, f"{COMMENT}\nCI again")
    assert sorted(c["body"] for c in gh.comments.values()) == [f"{COMMENT}\nCI again", f"{other}\nLint"]


def test_issue_with_the_marker_by_someone_else_is_not_the_guards(gh: FakeGitHub) -> None:
    forged_state = '<!-- healing-guard:state {"occurrences": 99, "runs": ["[x](https://evil.example) @org/all"]} -->'
    gh.add_issue("CI failure", body=f"{MARKER}\n{forged_state}", labels=["ci-failure"], user="mallory")
    client = client_for(gh)
    assert client.find_issue(MARKER, ("ci-failure",)) is None
    posted = client.save_issue(MARKER, "CI failure", render_count, ("ci-failure",), ())
    assert posted.created
    assert gh.issues[posted.number]["user"]["login"] == BOT
    assert gh.issues[posted.number]["body"].endswith("seen 1")


def test_forged_state_in_the_guards_own_issue_is_validated(gh: FakeGitHub) -> None:
    forged = '<!-- healing-guard:state {"occurrences": "99", "attempts": [[1, 1]], "html": "<img src=x>"} -->'
    issue = gh.add_issue("CI failure", body=f"{MARKER}\n{forged}", labels=["ci-failure"], user=BOT)
    posted = client_for(gh).save_issue(MARKER, "CI failure", render_count, ("ci-failure",), ())
    assert posted.number == issue["number"] and not posted.created
    body = gh.issues[issue["number"]]["body"]
    assert body.endswith("seen 1") and "<img" not in body and '"99"' not in body


# --------------------------------------------------------------------------- racing guards (defect 7)


class RacedClient(GitHubClient):
    """A client whose create calls are preceded by another guard's identical create (the race)."""

    def __init__(self, gh: FakeGitHub, before_create: Callable[[], object]) -> None:
        super().__init__(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0, sleep=lambda _: None)
        self._before_create = before_create

    def _json(self, verb: str, path: str, parameters: dict[str, Any] | None = None, body: Any = None) -> Any:
        if verb == "POST" and path.startswith("/issues"):
            self._before_create()
        return super()._json(verb, path, parameters, body)


def test_a_racing_guards_older_comment_wins(gh: FakeGitHub) -> None:
    gh.add_pull(head_ref="feature/x", number=7)
    client = RacedClient(gh, lambda: gh.add_comment(7, f"{COMMENT}\nother guard", user=BOT))
    posted = client.upsert_comment(7, COMMENT, f"{COMMENT}\nmine")
    assert not posted.created
    assert [c["body"] for c in gh.comments.values()] == [f"{COMMENT}\nmine"]
    assert [r.method for r in gh.writes()] == ["POST", "DELETE", "PATCH"]


def test_a_racing_guards_older_issue_wins_and_counts_both_attempts(gh: FakeGitHub) -> None:
    def other_guard() -> None:
        state = read_state(None).add(7002, 1)
        gh.add_issue("CI failure", body=f"{MARKER}\n{state.comment()}\nseen 1", labels=["ci-failure"], user=BOT)

    client = RacedClient(gh, other_guard)
    posted = client.save_issue(MARKER, "CI failure", render_count, ("ci-failure",), ())
    assert not posted.created
    open_issues = [i for i in gh.issues.values() if i["state"] == "open"]
    assert [i["number"] for i in open_issues] == [posted.number]
    assert open_issues[0]["body"].endswith("seen 2")
    closed = [i for i in gh.issues.values() if i["state"] == "closed"]
    assert len(closed) == 1 and closed[0]["state_reason"] == "not_planned"


def test_the_same_attempt_saved_twice_counts_once(gh: FakeGitHub) -> None:
    client = client_for(gh)
    first = client.save_issue(MARKER, "CI failure", render_count, ("ci-failure",), ())
    second = client.save_issue(MARKER, "CI failure", render_count, ("ci-failure",), ())
    assert first.created and not second.created and first.number == second.number
    assert gh.issues[first.number]["body"].endswith("seen 1")


# --------------------------------------------------------------------------- fix pull requests (defect 8)


def fix_kwargs(**overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "base": "main",
        "branch": "healing-guard/fix-0123456789abcdef",
        "files": [("requirements.txt", "requests\nPyYAML\n")],
        "message": "fix(ci): add PyYAML",
        "title": "fix(ci): add PyYAML",
        "body": f"{MARKER}\nAdds PyYAML.",
    }
    kwargs.update(overrides)
    return kwargs


def seed_requirements(gh: FakeGitHub, client: GitHubClient) -> dict[str, Any]:
    gh.add_file("requirements.txt", "requests\n")
    return fix_kwargs()


def branch_commits(gh: FakeGitHub, client: GitHubClient, branch: str) -> list[dict[str, Any]]:
    data = client._json("GET", f"/compare/main...{branch}")
    commits: list[dict[str, Any]] = data["commits"]
    return commits


def test_a_fix_resumes_after_a_rate_limit_left_its_branch_behind(gh: FakeGitHub) -> None:
    client = client_for(gh)
    kwargs = seed_requirements(gh, client)
    gh.inject_rate_limit("POST", r"/pulls$", kind="secondary", retry_after=3600)
    with pytest.raises(GitHubRateLimitError, match="secondary rate limit"):
        client.open_fix_pull_request(**kwargs)
    assert f"refs/heads/{kwargs['branch']}" in gh.refs and not gh.pulls
    posted = client.open_fix_pull_request(**kwargs)
    assert posted.created and gh.pulls[posted.number]["head"]["ref"] == kwargs["branch"]
    commits = branch_commits(gh, client, kwargs["branch"])
    assert len(commits) == 1 and commits[0]["author"]["login"] == BOT
    assert gh.file("requirements.txt", kwargs["branch"]) == "requests\nPyYAML\n"
    # and once more: the open pull request is found, nothing is written
    gh.reset_requests()
    assert not client.open_fix_pull_request(**kwargs).created
    assert gh.writes() == []


def test_an_open_fix_is_found_again_and_updated_never_duplicated(gh: FakeGitHub) -> None:
    client = client_for(gh)
    kwargs = seed_requirements(gh, client)
    first = client.open_fix_pull_request(**kwargs)
    assert first.created
    # the same failure again, with another change and another body: the same pull request
    again = {**kwargs, "files": [("requirements.txt", "requests\nPyYAML>=6\n")], "body": f"{MARKER}\nSeen twice."}
    second = client.open_fix_pull_request(**again)
    assert not second.created and second.number == first.number
    assert len(fix_pulls := [p for p in gh.pulls.values() if p["head"]["ref"] == kwargs["branch"]]) == 1
    assert fix_pulls[0]["body"].endswith("Seen twice.")
    assert gh.file("requirements.txt", kwargs["branch"]) == "requests\nPyYAML>=6\n"
    commits = branch_commits(gh, client, kwargs["branch"])
    assert [c["author"]["login"] for c in commits] == [BOT, BOT]


def test_a_leftover_branch_is_reset_when_base_moved_on(gh: FakeGitHub) -> None:
    client = client_for(gh)
    kwargs = seed_requirements(gh, client)
    gh.inject("POST", r"/pulls$", 502)  # the earlier attempt: branch and commit made, then this
    with pytest.raises(GitHubError, match="not retried"):
        client.open_fix_pull_request(**kwargs)
    gh.add_file("README.md", "base moved on\n")
    posted = client.open_fix_pull_request(**kwargs)
    assert posted.created
    commits = branch_commits(gh, client, kwargs["branch"])
    assert len(commits) == 1 and commits[0]["author"]["login"] == BOT
    assert gh.file("README.md", kwargs["branch"]) == "base moved on\n"


def test_a_branch_with_someone_elses_commits_is_left_alone(gh: FakeGitHub) -> None:
    client = client_for(gh)
    kwargs = seed_requirements(gh, client)
    gh.add_branch(kwargs["branch"])
    gh.add_file("notes.txt", "mine\n", branch=kwargs["branch"])  # by octocat
    before = gh.refs[f"refs/heads/{kwargs['branch']}"]
    gh.reset_requests()
    with pytest.raises(GitHubConflictError, match="octocat"):
        client.open_fix_pull_request(**kwargs)
    assert [r.path for r in gh.writes()] == ["/repos/octo-org/octo-repo/git/refs"]  # the 422 create only
    assert gh.refs[f"refs/heads/{kwargs['branch']}"] == before and not gh.pulls


def test_only_reference_already_exists_means_the_branch_exists(gh: FakeGitHub) -> None:
    client = client_for(gh)
    kwargs = seed_requirements(gh, client)
    gh.inject(
        "POST",
        r"/git/refs$",
        422,
        body={
            "message": "Reference name must contain at least three slash-separated components.",
            "documentation_url": "https://docs.github.com/rest/git/refs#create-a-reference",
            "status": "422",
        },
    )
    gh.reset_requests()
    with pytest.raises(GitHubValidationError, match="three slash-separated"):
        client.open_fix_pull_request(**kwargs)
    assert [r.method for r in gh.writes()] == ["POST"]  # no commit, no pull request after it


# --------------------------------------------------------------------------- log downloads (defect 14)


def test_a_drip_fed_log_download_ends_at_the_deadline(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run()
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG * 400)
    gh.drip_downloads(size=256, delay=0.05)  # about 5 KB/s: some bytes always arrive, never all in time
    client = client_for(gh, log_deadline=1.0)
    started = time.monotonic()
    with pytest.raises(GitHubError, match=r"did not finish within 1 s"):
        client.download_job_log(job["id"], tmp_path / "job.log")
    assert time.monotonic() - started < 5


def test_the_log_size_is_capped(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run()
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG * 50)
    path = client_for(gh, max_log_bytes=1000).download_job_log(job["id"], tmp_path / "job.log")
    assert path.read_bytes() == (LOG * 50).encode()[:1000]


def test_a_redirect_loop_is_reported_as_too_many_redirects(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run()
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG)
    gh.inject("GET", r"^/_blobs/", 302, times=None, headers={"Location": f"{gh.url}/_blobs/again"}, body="")
    with pytest.raises(GitHubError, match="too many redirects") as caught:
        client_for(gh).download_job_log(job["id"], tmp_path / "job.log")
    assert "401" not in str(caught.value)


def test_a_redirect_back_to_the_api_is_a_loop_not_a_401(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run()
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG)
    api = f"{gh.url}/repos/{gh.full_name}/actions/jobs/{job['id']}/logs"
    gh.inject("GET", r"^/_blobs/", 302, headers={"Location": api}, body="")
    with pytest.raises(GitHubError, match="too many redirects") as caught:
        client_for(gh).download_job_log(job["id"], tmp_path / "job.log")
    assert "401" not in str(caught.value)
    assert not any(r.status == 401 for r in gh.requests)


def test_the_log_is_downloaded_without_the_token(gh: FakeGitHub, tmp_path: Path) -> None:
    run = gh.add_run()
    job = gh.add_job(run["id"], "test", conclusion="failure", log=LOG)
    path = client_for(gh).download_job_log(job["id"], tmp_path / "job.log")
    assert path.read_text() == LOG
    assert [f.authorization for f in gh.blob_fetches] == [False]


# --------------------------------------------------------------------------- clear errors (defect 15)


def test_a_5xx_on_a_write_says_it_was_not_retried(gh: FakeGitHub) -> None:
    run = gh.add_run()
    gh.add_job(run["id"], "test", conclusion="failure", log=LOG)
    gh.inject("POST", r"/rerun-failed-jobs$", 502, times=None)
    with pytest.raises(GitHubError) as caught:
        client_for(gh).rerun_failed_jobs(run["id"])
    message = str(caught.value)
    assert "not retried" in message and "retries" not in message.replace("not retried", "")
    assert sum(r.method == "POST" for r in gh.requests) == 1


def test_a_5xx_on_a_read_says_how_often_it_was_tried(gh: FakeGitHub) -> None:
    run = gh.add_run()
    gh.inject("GET", r"/actions/runs/\d+$", 503, times=None)
    with pytest.raises(GitHubError, match=r"503 .*each of 3 retries"):
        client_for(gh).get_run(run["id"])


def test_the_dead_call_counter_is_gone(gh: FakeGitHub) -> None:
    assert not hasattr(client_for(gh), "calls")
