"""``healing-guard demo``: the whole loop against a simulated GitHub on 127.0.0.1.

A pull request's CI run fails in two jobs: one on a registry timeout (transient), one on a failing
assertion (deterministic). The guard downloads both logs through the API, diagnoses them, re-runs
only the transient job, comments on the pull request, and writes the job summary. No token, no
repository, no network beyond 127.0.0.1.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import IO

from .catalogue import load_catalogue
from .config import GuardConfig, LoadedConfig
from .github_api import GitHubClient
from .guard import PipelineGuard
from .render import to_text, use_colour
from .report import Reporter
from .sanitize import Redactor
from .settings import Settings
from .simulator import FakeGitHub, timestamp_log

_PREAMBLE = """Current runner version: '2.321.0'
##[group]Runner Image
Image: ubuntu-24.04
##[endgroup]
##[group]Run actions/checkout@v4
##[endgroup]
"""
_INSTALL_LOG = _PREAMBLE + """##[group]Run npm ci
npm ci
##[endgroup]
npm warn deprecated inflight@1.0.6: This module is not supported, and leaks memory.
npm error code ETIMEDOUT
npm error errno ETIMEDOUT
npm error network request to https://registry.npmjs.org/react-dom/-/react-dom-18.3.1.tgz failed, reason: connect ETIMEDOUT 104.16.3.35:443
npm error network This is a problem related to network connectivity.
npm error A complete log of this run can be found in: /home/runner/.npm/_logs/2026-11-02T14_03_18_123Z-debug-0.log
##[error]Process completed with exit code 1.
Post job cleanup.
Cleaning up orphan processes
"""
_TEST_LOG = _PREAMBLE + """##[group]Run python -m pytest -q
python -m pytest -q
##[endgroup]
F..
=================================== FAILURES ===================================
_______________________________ test_total_price _______________________________
>       assert total_price([1, 2]) == 4
E       assert 3 == 4
tests/test_cart.py:12: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_total_price - assert 3 == 4
========================= 1 failed, 2 passed in 0.12s ==========================
##[error]Process completed with exit code 1.
Post job cleanup.
Cleaning up orphan processes
"""


def run_demo(out: IO[str] | None = None, workspace: Path | None = None) -> int:
    out = out or sys.stdout
    colour = use_colour(out)

    def say(text: str) -> None:
        out.write(f"\x1b[1m{text}\x1b[0m\n" if colour else text + "\n")

    with FakeGitHub(owner="acme", repo="shop") as gh:
        pull = gh.add_pull(head_ref="feature/cart-totals", title="Cart totals", number=12)
        run = gh.add_run(
            name="CI",
            head_branch="feature/cart-totals",
            head_sha=str(pull["head"]["sha"]),
            event="pull_request",
            pull_requests=[12],
        )
        gh.add_job(run["id"], "build", conclusion="success", log=timestamp_log(_PREAMBLE + "ok\n"))
        gh.add_job(run["id"], "install (node 20)", conclusion="failure", log=timestamp_log(_INSTALL_LOG))
        gh.add_job(run["id"], "unit tests", conclusion="failure", log=timestamp_log(_TEST_LOG))
        gh.set_rerun_outcome(run["id"], "failure", job_conclusions={"install (node 20)": "success"})

        say(f"1. A simulated GitHub is serving {gh.full_name} at {gh.url}.")
        say(f"   Run {run['id']} of workflow CI on pull request #12 failed: jobs 'install (node 20)' and 'unit tests'.")
        settings = Settings(
            token=gh.token,
            api_url=gh.url,
            repository=gh.full_name,
            event_name="workflow_run",
            event={"workflow_run": run},
            run_id=int(run["id"]),
            run_attempt=1,
            log_paths=(),
            config_path=Path("/nonexistent/healing-config.yml"),
            max_retries=3,
            dry_run=False,
            strategy="auto-detect",
            fail_on_error=False,
            workspace=workspace or Path.cwd(),
            output_path=None,
            summary_path=None,
            own_run_id=None,
        )
        config = GuardConfig.default()
        config = replace(config, retry=replace(config.retry, backoff_seconds=0, max_backoff_seconds=0))
        loaded = LoadedConfig(config=config, catalogue=load_catalogue())
        client = GitHubClient(gh.token, gh.full_name, api_url=gh.url, seconds_between_writes=0)
        guard = PipelineGuard(settings, provider=client, loaded=loaded)
        say("2. The guard reads the run, lists the failed jobs and downloads their logs (302 → storage URL).")
        result = guard.run()
        say("3. Diagnoses:")
        out.write(to_text([r.diagnosis for r in result.results], colour=colour))
        say("4. Decisions and actions (the demo turns the 30 s re-run backoff off):")
        for r in result.results:
            if r.decision:
                out.write(f"   {r.name}: {r.decision.action} ({r.decision.reason})\n")
        for o in result.outcomes:
            out.write(f"   {o.action}: {o.status}: {o.detail}\n")
        say("5. What the guard sent to GitHub:")
        for req in gh.writes():
            out.write(f"   {req.method} {req.path}\n")
        after = client.get_run(int(run["id"]))  # the simulated re-run completes when the run is read
        jobs = {j.name: j.conclusion for j in client.list_jobs(after.id, after.attempt)}
        say(
            f"6. Run {after.id} is now at attempt {after.attempt}: the re-run of 'install (node 20)' "
            f"ended {jobs.get('install (node 20)')}; 'unit tests' still needs a fix ({jobs.get('unit tests')})."
        )
        say("7. The job summary the guard wrote (GITHUB_STEP_SUMMARY):")
        out.write(Reporter(settings, Redactor([gh.token]), out).summary(result))
    return 0
