"""A stateful fake of the GitHub REST API, served over real HTTP on 127.0.0.1.

Used by the test-suite (PyGithub pointed at ``FakeGitHub.url``) and by ``healing-guard demo``.
Standard library only.  It implements the 46 operations the guard calls (the 33 of
``github-ci-endpoints.openapi.json`` in the shared corpus, ``users/get-authenticated``,
``issues/delete-comment``, ``repos/compare-commits-with-basehead``, ``git/update-ref``,
``repos/get-collaborator-permission-level``, ``pulls/update``, ``actions/create-workflow-dispatch``,
and the Git Data API's commits, trees and blobs for the audit trail's state branch:
see ``tests/fixtures/github-openapi/README.txt``), with GitHub's payload shapes, status codes,
error documents, pagination ``Link`` headers, rate-limit headers, token permissions, 302 log
redirects to short-lived pre-signed URLs, and re-runs as new attempts of a run.  The token acts
as one identity (``identity=``: ``github-actions[bot]`` by default, an App's ``<slug>[bot]``, or
a user for a personal token): it authors what the API creates, ``GET /user`` refuses the two
kinds of installation token with 403 as GitHub does, and ``POST /graphql`` answers
``{ viewer { login } }``.  ``drip_downloads`` serves logs a few bytes at a time.

Public API::

    from healing_guard.simulator import FakeGitHub

    with FakeGitHub(owner="octo-org", repo="octo-repo") as gh:      # token "ghs_fake_token"
        # FakeGitHub(token="ghp_x", identity="octocat"): a personal token instead
        run = gh.add_run(name="CI", head_branch="feature/x", conclusion="failure")
        job = gh.add_job(run["id"], "test (3.11)", conclusion="failure", log="...",
                         steps=[("Set up job", "success"), ("Run pytest", "failure")])
        gh.add_cache("pip-Linux-abc", ref="refs/heads/main", size_in_bytes=1234)
        gh.add_pull(number=7, head_ref="feature/x", title="Fix")
        gh.add_file("requirements.txt", "requests\\n")
        gh.set_rerun_outcome(run["id"], "success", after_polls=1)   # how a re-run ends
        gh.inject("GET", r"/actions/jobs/\\d+$", 502, skip=1)          # 2nd job read fails
        gh.inject_rate_limit("POST", r"/issues$", kind="secondary", status=429)
        ...                                                           # run the client
        gh.writes(); gh.requests; gh.issues; gh.comments; gh.caches; gh.pulls; gh.refs
        gh.blob_fetches; gh.errors

Modules: ``server`` (``FakeGitHub``, the thread), ``dispatcher`` (auth, faults, rate limit,
routing pipeline), ``routing`` (route table, permissions), ``routes_actions``,
``routes_repo`` and ``routes_git`` (the operations; ``gitdata``: tree and blob hashes),
``objects`` (GitHub-shaped payloads), ``state`` (the re-run/git/issue model), ``records`` (its
dataclasses), ``logs`` (log text and run-log zips), ``faults``, ``recording``, ``protocol``
(responses, errors, pagination).
"""

from __future__ import annotations

from healing_guard.simulator.faults import Fault
from healing_guard.simulator.logs import timestamp_log
from healing_guard.simulator.recording import RecordedRequest
from healing_guard.simulator.records import BlobFetch
from healing_guard.simulator.server import DEFAULT_PERMISSIONS, DEFAULT_TOKEN, FakeGitHub, StepSpec

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_TOKEN",
    "BlobFetch",
    "FakeGitHub",
    "Fault",
    "RecordedRequest",
    "StepSpec",
    "timestamp_log",
]
