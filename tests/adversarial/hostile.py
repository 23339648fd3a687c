"""The adversarial data (``data/*.yml``) and results built from it for the report and template tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from healing_guard.models import Diagnosis, EvidenceLine, Remediation
from healing_guard.planner import JobDecision
from healing_guard.provider import JobInfo, RunInfo
from healing_guard.results import GuardResult, JobResult, Outcome

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class SecretCase:
    id: str
    cls: str
    text: str
    secrets: tuple[str, ...]
    leaked_before: bool


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / name).read_text("utf-8"))
    return data


def secret_cases() -> list[SecretCase]:
    return [
        SecretCase(c["id"], c["class"], c["text"], tuple(c["secrets"]), bool(c.get("leaked_before")))
        for c in _load("secrets.yml")["cases"]
    ]


def ordinary_lines() -> list[str]:
    return list(_load("secrets.yml")["ordinary"])


def markdown_payloads() -> list[dict[str, Any]]:
    return list(_load("markdown.yml")["payloads"])


def command_payloads() -> list[dict[str, Any]]:
    return list(_load("commands.yml")["payloads"])


def diagnosis_from(text: str, **changes: Any) -> Diagnosis:
    """A diagnosis in which ``text`` lands in every field that holds log text."""
    lines = text.split("\n")
    values: dict[str, Any] = {
        "category": "unknown",
        "confidence": 0.5,
        "risk": "high",
        "strategy": "generic-error-line",
        # "token": a key that names a secret, beside a value in a code span (a second redaction pass over
        # the rendered Markdown must not eat the span's backticks and leave its text live)
        "params": {"message": text, "tests": [text, "t2"], text[:40]: 1, "token": text},
        "evidence": tuple(EvidenceLine(10 + i, line) for i, line in enumerate(lines)),
        "failed_step": f"Run {text}",
        "signature": "0123456789abcdef",
        "remediation": Remediation("escalate", f"Look at `{text}` and {text}."),
        "source": f"job {text}",
    }
    values.update(changes)
    return Diagnosis(**values)


def result_from(texts: list[str], *, run: bool = True) -> GuardResult:
    """A result whose every text field (job names, evidence, params, advice, reasons, notes,
    errors, outcomes) carries one of ``texts``."""
    results: list[JobResult] = []
    for i, text in enumerate(texts):
        job = JobInfo(
            i + 1, f"job {text}", "completed", "failure", 1, f"https://github.com/o/r/actions/runs/1/job/{i + 1}"
        )
        d = diagnosis_from(text)
        decision = JobDecision(job, d, "escalate", f"because {text}")
        results.append(
            JobResult(f"job {text}", d, job=job, decision=decision, url=job.html_url, notes=[f"note {text}"])
        )
    return GuardResult(
        mode="run" if run else "logs",
        run=RunInfo(
            id=1,
            name=f"CI {texts[0]}" if texts else "CI",
            head_branch=f"feature/{texts[0]}" if texts else "main",
            head_sha="0" * 40,
            event="pull_request",
            status="completed",
            conclusion="failure",
            attempt=1,
            html_url="https://github.com/o/r/actions/runs/1",
        )
        if run
        else None,
        results=results,
        outcomes=[Outcome("escalate", "done", f"opened issue for {text}") for text in texts],
        notes=[f"note {text}" for text in texts],
        errors=[f"error {text}" for text in texts],
    )
