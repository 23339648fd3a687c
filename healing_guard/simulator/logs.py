"""Log text and log archives as GitHub Actions produces them.

* ``timestamp_log`` / ``timestamp_lines`` prefix lines like the runner
  (``2024-07-08T16:48:09.3763139Z <text>``: UTC, 7 fractional digits, one space).
* ``synthetic_log`` writes a short log for a job that a scripted re-run finished.
* ``run_logs_zip`` builds the "download workflow run logs" archive, laid out like a real one
  (see the corpus folder ``gha-run-logs-archive-layout``):
  ``<N>_<job name>.txt`` with the whole job log, and ``<job name>/<step number>_<step name>.txt``
  per step; characters not allowed in file names are dropped (``Run actions/checkout@v4`` ->
  ``Run actionscheckout@v4``) and a repeated name gets `` (1)``, `` (2)``... before ``.txt``.
  ``N`` is the job's 1-based position in the attempt.  When a job has a log but no per-step
  logs, the whole log goes into the first failed step's file (the last step's if none failed)
  and the other step files are empty.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_ILLEGAL = set('\\/:*?"<>|') | {chr(c) for c in range(32)}


def timestamp_lines(lines: Sequence[str], start: datetime) -> list[str]:
    """Each line prefixed with a runner timestamp, 37 ms apart from ``start``."""
    stamped: list[str] = []
    for index, line in enumerate(lines):
        moment = start + timedelta(milliseconds=37 * index)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"
        stamped.append(f"{stamp} {line}")
    return stamped


def timestamp_log(text: str, start: datetime | None = None) -> str:
    """``text`` with every line prefixed like a downloaded job log."""
    moment = start or datetime.now(timezone.utc)
    return "".join(f"{line}\n" for line in timestamp_lines(text.splitlines(), moment))


def synthetic_log(job_name: str, conclusion: str, start: datetime) -> str:
    """A short, realistic-looking job log ending the way ``conclusion`` says."""
    lines = [
        "##[group]Runner Image",
        "Image: ubuntu-24.04",
        "##[endgroup]",
        f"##[group]Run {job_name}",
        f"Running {job_name}",
        "##[endgroup]",
    ]
    if conclusion == "success":
        lines.append("All checks passed.")
    else:
        lines.append(f"##[error]Process completed with exit code {1 if conclusion == 'failure' else 143}.")
    lines.append("Cleaning up orphan processes")
    return "".join(f"{line}\n" for line in timestamp_lines(lines, start))


def safe_file_name(name: str) -> str:
    """``name`` without the characters GitHub drops from archive member names."""
    return "".join(ch for ch in name if ch not in _ILLEGAL).strip() or "_"


@dataclass(frozen=True)
class ArchiveStep:
    """One step as it goes into a run-log archive."""

    number: int
    name: str
    conclusion: str | None
    log: str


@dataclass(frozen=True)
class ArchiveJob:
    """One job as it goes into a run-log archive."""

    name: str
    log: str
    steps: tuple[ArchiveStep, ...]


def _unique(name: str, suffix: str, used: set[str]) -> str:
    candidate, copy = f"{name}{suffix}", 0
    while candidate in used:
        copy += 1
        candidate = f"{name} ({copy}){suffix}"
    used.add(candidate)
    return candidate


def _step_logs(job: ArchiveJob) -> list[str]:
    logs = [step.log for step in job.steps]
    if any(logs) or not job.steps:
        return logs
    failed = [i for i, step in enumerate(job.steps) if step.conclusion not in (None, "success", "skipped")]
    logs[failed[0] if failed else len(logs) - 1] = job.log
    return logs


def run_logs_zip(jobs: Sequence[ArchiveJob]) -> bytes:
    """The zip GitHub serves for a run's (or an attempt's) logs."""
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for position, job in enumerate(jobs, start=1):
            job_name = safe_file_name(job.name)
            archive.writestr(_unique(f"{position}_{job_name}", ".txt", used), job.log)
            folder = _unique(job_name, "/", used)
            for step, log in zip(job.steps, _step_logs(job), strict=True):
                member = _unique(f"{folder}{step.number}_{safe_file_name(step.name)}", ".txt", used)
                archive.writestr(member, log)
    return buffer.getvalue()
