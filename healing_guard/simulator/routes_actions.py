"""Actions routes: workflow runs, attempts, jobs, logs, re-runs, cancel, caches, dispatch (20 operations).

Behaviour worth knowing (see ``state.py`` for the re-run model):

* Lists are newest first and paginated; run lists take ``actor``, ``branch``, ``event``,
  ``status`` (a status or a conclusion), ``head_sha``, ``check_suite_id`` and
  ``exclude_pull_requests`` (``created`` is accepted and ignored).
* Reading a run (``get-workflow-run``/``get-workflow-run-attempt``) advances a scripted re-run
  outcome (``FakeGitHub.set_rerun_outcome``).
* Log downloads answer 302 with a ``Location`` on ``/_blobs/<token>`` that expires after 60 s;
  logs of a job or attempt that has not completed are 404.
* Re-runs answer 201 ``{}``; 403 "This workflow is already running" while the latest attempt
  is not completed; 403 "Unable to retry this workflow run because it was created over a month
  ago" after 30 days; 403 "This workflow run cannot be retried" when a failed-jobs re-run finds
  no failed job.  Cancel answers 202 ``{}``, or 409 when the run is already completed.
* ``workflow_dispatch``: the workflow is named by id or file name (404 when GitHub knows no such
  workflow: none of its runs, not in the default branch); 422 when ``ref`` is missing ("\"ref\"
  wasn't supplied."), names no branch ("No ref found for: <ref>"), when the workflow file at
  that ref has no ``workflow_dispatch`` trigger, when an input is not declared ("Unexpected
  inputs provided: [...]") or a required one is missing, and over 25 inputs. It queues a run
  (event ``workflow_dispatch``) and answers 204, or 200 with the run's id and URLs when
  ``return_run_details`` is true.
* Cache deletion by key matches the key exactly (and the ref when given); 404 when nothing
  matched.  Cache listing filters by key *prefix* and exact ref.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from healing_guard.simulator.logs import ArchiveJob, ArchiveStep, run_logs_zip
from healing_guard.simulator.protocol import ApiError, Response, invalid, not_found, paginate
from healing_guard.simulator.records import Attempt, Job, Run
from healing_guard.simulator.routing import Request, RouteTable
from healing_guard.simulator.state import FAILED_CONCLUSIONS, RERUN_WINDOW

routes = RouteTable()

_RUNS = "https://docs.github.com/rest/actions/workflow-runs"
_JOBS = "https://docs.github.com/rest/actions/workflow-jobs"
_CACHE = "https://docs.github.com/rest/actions/cache"
_READ = ("actions", "read")
_WRITE = ("actions", "write")
_RUN_STATUSES = {"requested", "in_progress", "completed", "queued", "pending", "waiting"}


def _run(req: Request) -> Run:
    run = req.state.runs.get(req.int_param("run_id"))
    if run is None:
        raise not_found()
    return run


def _attempt(req: Request, run: Run) -> Attempt:
    attempt = run.attempts.get(req.int_param("attempt_number"))
    if attempt is None:
        raise not_found()
    return attempt


def _job(req: Request) -> Job:
    job = req.state.jobs.get(req.int_param("job_id"))
    if job is None:
        raise not_found()
    return job


def _redirect(req: Request, kind: str, content: bytes, content_type: str, filename: str | None) -> Response:
    blob = req.state.new_blob(kind, content, content_type, filename)
    return Response(302, headers={"Location": f"{req.render.base}/_blobs/{blob.token}"})


def _run_payload(req: Request, run: Run, attempt: int | None = None) -> dict[str, Any]:
    payload = req.render.run(run, attempt)
    if req.query.get("exclude_pull_requests") == "true":
        payload["pull_requests"] = []
    return payload


def _list_runs(req: Request, runs: list[Run]) -> Response:
    query = req.query
    selected = sorted(runs, key=lambda run: run.id, reverse=True)
    if "actor" in query:
        selected = [r for r in selected if r.actor == query["actor"]]
    if "branch" in query:
        selected = [r for r in selected if r.head_branch == query["branch"]]
    if "event" in query:
        selected = [r for r in selected if r.event == query["event"]]
    if "head_sha" in query:
        selected = [r for r in selected if r.head_sha == query["head_sha"]]
    if "check_suite_id" in query:
        selected = [r for r in selected if str(r.check_suite_id) == query["check_suite_id"]]
    if "status" in query:
        wanted = query["status"]
        if wanted in _RUN_STATUSES:
            selected = [r for r in selected if r.latest.status == wanted]
        else:
            selected = [r for r in selected if r.latest.conclusion == wanted]
    if "created" in query:
        low, high = _created_range(query["created"])
        selected = [r for r in selected if low <= r.created_at <= high]
    page, headers = paginate(selected, query, req.page_url)
    body = {"total_count": len(selected), "workflow_runs": [_run_payload(req, run) for run in page]}
    return Response(200, body, headers)


def _created_range(value: str) -> tuple[datetime, datetime]:
    """GitHub's date search for ``created``: ``>=D``, ``>D``, ``<=D``, ``<D``, ``A..B`` or ``D``."""
    lowest, highest = datetime.min.replace(tzinfo=timezone.utc), datetime.max.replace(tzinfo=timezone.utc)

    def moment(text: str, end: bool) -> datetime:
        try:
            found = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise invalid("WorkflowRun", "created") from None
        if "T" not in text:
            found = found + timedelta(days=1) - timedelta(microseconds=1) if end else found
        return found if found.tzinfo else found.replace(tzinfo=timezone.utc)

    tick = timedelta(microseconds=1)
    if value.startswith(">="):
        return moment(value[2:], False), highest
    if value.startswith("<="):
        return lowest, moment(value[2:], True)
    if value.startswith(">"):
        return moment(value[1:], True) + tick, highest
    if value.startswith("<"):
        return lowest, moment(value[1:], False) - tick
    if ".." in value:
        start, _, stop = value.partition("..")
        return moment(start, False), moment(stop, True)
    return moment(value, False), moment(value, True)


def _jobs_page(req: Request, jobs: list[Job]) -> Response:
    page, headers = paginate(jobs, req.query, req.page_url)
    return Response(200, {"total_count": len(jobs), "jobs": [req.render.job(job) for job in page]}, headers)


def _archive(req: Request, jobs: list[Job]) -> bytes:
    entries = [
        ArchiveJob(
            name=job.name,
            log=job.log,
            steps=tuple(ArchiveStep(s.number, s.name, s.conclusion, s.log) for s in job.steps),
        )
        for job in jobs
        if job.status == "completed"
    ]
    return run_logs_zip(entries)


def _check_rerunnable(req: Request, run: Run) -> None:
    if run.latest.status != "completed":
        raise ApiError(403, "This workflow is already running")
    if req.state.now() - run.created_at > RERUN_WINDOW:
        raise ApiError(403, "Unable to retry this workflow run because it was created over a month ago")


def _debug_flag(req: Request) -> bool:
    return bool(req.body_dict().get("enable_debug_logging", False))


# --------------------------------------------------------------------------- runs


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs",
    "actions/list-workflow-runs-for-repo",
    f"{_RUNS}#list-workflow-runs-for-a-repository",
    permission=_READ,
)
def list_runs_for_repo(req: Request) -> Response:
    return _list_runs(req, list(req.state.runs.values()))


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs",
    "actions/list-workflow-runs",
    f"{_RUNS}#list-workflow-runs-for-a-workflow",
    permission=_READ,
)
def list_runs_for_workflow(req: Request) -> Response:
    wanted = req.params["workflow_id"]
    ids = {wid for path, wid in req.state.workflows.items() if wanted in (str(wid), path, path.rsplit("/", 1)[-1])}
    if not ids:
        raise not_found()
    return _list_runs(req, [r for r in req.state.runs.values() if r.workflow_id in ids])


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}",
    "actions/get-workflow-run",
    f"{_RUNS}#get-a-workflow-run",
    permission=_READ,
)
def get_run(req: Request) -> Response:
    run = _run(req)
    req.state.poll_outcome(run)
    return Response(200, _run_payload(req, run))


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}",
    "actions/get-workflow-run-attempt",
    f"{_RUNS}#get-a-workflow-run-attempt",
    permission=_READ,
)
def get_run_attempt(req: Request) -> Response:
    run = _run(req)
    req.state.poll_outcome(run)
    return Response(200, _run_payload(req, run, _attempt(req, run).number))


# --------------------------------------------------------------------------- jobs


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
    "actions/list-jobs-for-workflow-run",
    f"{_JOBS}#list-jobs-for-a-workflow-run",
    permission=_READ,
)
def list_run_jobs(req: Request) -> Response:
    run = _run(req)
    which = req.query.get("filter", "latest")
    if which not in ("latest", "all"):
        raise invalid("Job", "filter")
    return _jobs_page(req, req.state.run_jobs(run, which))


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs",
    "actions/list-jobs-for-workflow-run-attempt",
    f"{_JOBS}#list-jobs-for-a-workflow-run-attempt",
    permission=_READ,
)
def list_attempt_jobs(req: Request) -> Response:
    run = _run(req)
    return _jobs_page(req, req.state.attempt_jobs(_attempt(req, run)))


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/jobs/{job_id}",
    "actions/get-job-for-workflow-run",
    f"{_JOBS}#get-a-job-for-a-workflow-run",
    permission=_READ,
)
def get_job(req: Request) -> Response:
    return Response(200, req.render.job(_job(req)))


# --------------------------------------------------------------------------- logs


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs",
    "actions/download-job-logs-for-workflow-run",
    f"{_JOBS}#download-job-logs-for-a-workflow-run",
    permission=_READ,
)
def download_job_logs(req: Request) -> Response:
    job = _job(req)
    if job.status != "completed":
        raise not_found()
    return _redirect(req, "job-log", job.log.encode(), "text/plain; charset=utf-8", None)


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/logs",
    "actions/download-workflow-run-logs",
    f"{_RUNS}#download-workflow-run-logs",
    permission=_READ,
)
def download_run_logs(req: Request) -> Response:
    run = _run(req)
    if run.latest.status != "completed":
        raise not_found()
    archive = _archive(req, req.state.attempt_jobs(run.latest))
    return _redirect(req, "run-logs", archive, "application/zip", f"logs_{run.id}.zip")


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/logs",
    "actions/download-workflow-run-attempt-logs",
    f"{_RUNS}#download-workflow-run-attempt-logs",
    permission=_READ,
)
def download_attempt_logs(req: Request) -> Response:
    run = _run(req)
    attempt = _attempt(req, run)
    if attempt.status != "completed":
        raise not_found()
    archive = _archive(req, req.state.attempt_jobs(attempt))
    return _redirect(req, "run-logs", archive, "application/zip", f"logs_{run.id}_{attempt.number}.zip")


# --------------------------------------------------------------------------- re-runs and cancel


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun",
    "actions/re-run-workflow",
    f"{_RUNS}#re-run-a-workflow",
    permission=_WRITE,
)
def rerun_run(req: Request) -> Response:
    run = _run(req)
    _check_rerunnable(req, run)
    req.state.rerun(run, None, debug=_debug_flag(req))
    return Response(201, {})


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/rerun-failed-jobs",
    "actions/re-run-workflow-failed-jobs",
    f"{_RUNS}#re-run-failed-jobs-from-a-workflow-run",
    permission=_WRITE,
)
def rerun_failed_jobs(req: Request) -> Response:
    run = _run(req)
    _check_rerunnable(req, run)
    failed = {job.id for job in req.state.attempt_jobs(run.latest) if job.conclusion in FAILED_CONCLUSIONS}
    if not failed:
        raise ApiError(403, "This workflow run cannot be retried")
    req.state.rerun(run, failed, debug=_debug_flag(req))
    return Response(201, {})


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/actions/jobs/{job_id}/rerun",
    "actions/re-run-job-for-workflow-run",
    f"{_RUNS}#re-run-a-job-from-a-workflow-run",
    permission=_WRITE,
)
def rerun_job(req: Request) -> Response:
    job = _job(req)
    run = req.state.runs[job.run_id]
    _check_rerunnable(req, run)
    req.state.rerun(run, {job.id}, debug=_debug_flag(req))
    return Response(201, {})


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/cancel",
    "actions/cancel-workflow-run",
    f"{_RUNS}#cancel-a-workflow-run",
    permission=_WRITE,
)
def cancel_run(req: Request) -> Response:
    run = _run(req)
    if run.latest.status == "completed":
        raise ApiError(409, "Cannot cancel a workflow run that is completed.")
    req.state.cancel(run)
    return Response(202, {})


# --------------------------------------------------------------------------- caches


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/caches",
    "actions/get-actions-cache-list",
    f"{_CACHE}#list-github-actions-caches-for-a-repository",
    permission=_READ,
)
def list_caches(req: Request) -> Response:
    query = req.query
    sort = query.get("sort", "last_accessed_at")
    if sort not in ("created_at", "last_accessed_at", "size_in_bytes"):
        raise invalid("ActionsCache", "sort")
    caches = list(req.state.caches.values())
    if "key" in query:
        caches = [c for c in caches if c.key.startswith(query["key"])]
    if "ref" in query:
        caches = [c for c in caches if c.ref == query["ref"]]
    caches.sort(key=lambda c: (getattr(c, sort), c.id), reverse=query.get("direction", "desc") != "asc")
    page, headers = paginate(caches, query, req.page_url)
    body = {"total_count": len(caches), "actions_caches": [req.render.cache(c) for c in page]}
    return Response(200, body, headers)


@routes.add(
    "DELETE",
    "/repos/{owner}/{repo}/actions/caches",
    "actions/delete-actions-cache-by-key",
    f"{_CACHE}#delete-github-actions-caches-for-a-repository-using-a-cache-key",
    permission=_WRITE,
)
def delete_caches_by_key(req: Request) -> Response:
    key = req.query.get("key")
    if not key:
        raise invalid("ActionsCache", "key", "missing_field")
    ref = req.query.get("ref")
    doomed = [c for c in req.state.caches.values() if c.key == key and (ref is None or c.ref == ref)]
    if not doomed:
        raise not_found()
    for cache in doomed:
        del req.state.caches[cache.id]
    body = {"total_count": len(doomed), "actions_caches": [req.render.cache(c) for c in doomed]}
    return Response(200, body)


@routes.add(
    "DELETE",
    "/repos/{owner}/{repo}/actions/caches/{cache_id}",
    "actions/delete-actions-cache-by-id",
    f"{_CACHE}#delete-a-github-actions-cache-for-a-repository-using-a-cache-id",
    permission=_WRITE,
)
def delete_cache_by_id(req: Request) -> Response:
    if req.state.caches.pop(req.int_param("cache_id"), None) is None:
        raise not_found()
    return Response(204)


@routes.add(
    "GET",
    "/repos/{owner}/{repo}/actions/cache/usage",
    "actions/get-actions-cache-usage",
    f"{_CACHE}#get-github-actions-cache-usage-for-a-repository",
    permission=_READ,
)
def cache_usage(req: Request) -> Response:
    caches = req.state.caches.values()
    body = {
        "full_name": req.render.full_name,
        "active_caches_size_in_bytes": sum(c.size_in_bytes for c in caches),
        "active_caches_count": len(caches),
    }
    return Response(200, body)


# --------------------------------------------------------------------------- workflow dispatch

_WORKFLOWS = "https://docs.github.com/rest/actions/workflows"
MAX_DISPATCH_INPUTS = 25


def _workflow_path(req: Request, wanted: str) -> str:
    """The path of the workflow ``wanted`` names (its id or file name): one GitHub knows from a run
    or from the default branch's ``.github/workflows/``."""
    for path, wid in req.state.workflows.items():
        if wanted in (str(wid), path, path.rsplit("/", 1)[-1]):
            return path
    default = req.state.branch_commit(req.state.default_branch)
    path = f".github/workflows/{wanted}"
    if default is not None and path in default.tree:
        req.state.workflow_id(path)
        return path
    raise not_found()


def dispatch_inputs(text: str) -> tuple[bool, dict[str, bool]]:
    """Whether a workflow file has a ``workflow_dispatch`` trigger, and its inputs (name → required).

    Enough YAML for the block form GitHub's docs use (``on:`` → ``workflow_dispatch:`` →
    ``inputs:`` → one key per input); the standard library has no YAML parser."""
    lines = [line.split(" #", 1)[0].rstrip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    trigger = any(re.search(r"\bworkflow_dispatch\b", line) for line in lines)
    inputs: dict[str, bool] = {}
    start = next((i for i, line in enumerate(lines) if re.match(r"^\s*workflow_dispatch:\s*$", line)), None)
    if start is None:
        return trigger, inputs
    level = len(lines[start]) - len(lines[start].lstrip())
    block: list[str] = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= level:
            break
        block.append(line)
    at = next((i for i, line in enumerate(block) if line.strip() == "inputs:"), None)
    if at is None:
        return trigger, inputs
    base = len(block[at]) - len(block[at].lstrip())
    key_indent: int | None = None
    current = ""
    for line in block[at + 1 :]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent <= base:
            break
        key_indent = indent if key_indent is None else key_indent
        if indent == key_indent:
            current = line.strip().rstrip(":").strip("'\"")
            inputs[current] = False
        elif current and re.match(r"^\s*required:\s*true\s*$", line):
            inputs[current] = True
    return trigger, inputs


@routes.add(
    "POST",
    "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    "actions/create-workflow-dispatch",
    f"{_WORKFLOWS}#create-a-workflow-dispatch-event",
    permission=_WRITE,
)
def create_workflow_dispatch(req: Request) -> Response:
    state = req.state
    path = _workflow_path(req, req.params["workflow_id"])
    data = req.body_dict()
    ref = data.get("ref")
    if not isinstance(ref, str) or not ref:
        raise ApiError(422, 'Invalid request.\n\n"ref" wasn\'t supplied.')
    branch = ref.removeprefix("refs/heads/")
    commit = state.branch_commit(branch)
    if commit is None:
        raise ApiError(422, f"No ref found for: {ref}")
    inputs = data.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise ApiError(422, f"Invalid request.\n\nFor 'properties/inputs', {json.dumps(inputs)} is not an object.")
    if len(inputs) > MAX_DISPATCH_INPUTS:
        raise ApiError(
            422,
            f"Invalid request.\n\nFor 'properties/inputs', the maximum number of properties is {MAX_DISPATCH_INPUTS}.",
        )
    text = commit.tree.get(path)
    trigger, declared = dispatch_inputs(text.decode("utf-8", "replace")) if text is not None else (False, {})
    if not trigger:
        raise ApiError(422, "Workflow does not have 'workflow_dispatch' trigger")
    unexpected = sorted(set(inputs) - set(declared))
    if unexpected:
        raise ApiError(422, "Unexpected inputs provided: " + json.dumps(unexpected))
    missing = [name for name, required in declared.items() if required and not inputs.get(name)]
    if missing:
        raise ApiError(422, f"Required input '{missing[0]}' not provided")
    run = state.add_run(
        name=path.rsplit("/", 1)[-1],
        path=path,
        head_branch=branch,
        head_sha=commit.sha,
        event="workflow_dispatch",
        status="queued",
        conclusion=None,
        run_attempt=1,
        display_title=path.rsplit("/", 1)[-1],
        actor=state.app_login,
        head_repository=None,
        pull_requests=[],
        created_at=None,
    )
    state.dispatches.append({"workflow": path, "ref": ref, "inputs": dict(inputs), "run_id": run.id})
    if data.get("return_run_details"):
        payload = _run_payload(req, run)
        return Response(200, {"workflow_run_id": run.id, "run_url": payload["url"], "html_url": payload["html_url"]})
    return Response(204)
