"""Everything the guard tells the runner: outputs, annotations, the log, the job summary, the audit file.

actions-toolkit does the escaping of workflow commands and the random-delimiter heredocs of
``GITHUB_OUTPUT``; this module decides what goes there and makes sure no log text reaches any of it
unneutralised or unredacted.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from actions_toolkit.command import Command
from actions_toolkit.file_command import prepare_key_value_message

from .advice import advice_for
from .render import jinja_env
from .results import GuardResult, JobResult
from .sanitize import Redactor, safe_log_text, truncate
from .settings import OUTPUTS, Settings

MAX_SUMMARY = 1024 * 1024 - 4096  # the runner drops a step summary over 1 MiB
MAX_ANNOTATIONS = 10  # GitHub shows 10 error annotations per step


def outputs(result: GuardResult, redact: Redactor) -> dict[str, str]:
    primary = result.primary
    d = primary.diagnosis if primary else None
    compact: list[dict[str, Any]] = []
    for r in result.results:
        root = r.diagnosis.root_line
        compact.append(
            {
                "job": r.name,
                "job_id": r.job.id if r.job else None,
                "category": r.diagnosis.category,
                "confidence": round(r.diagnosis.confidence, 2),
                "risk": r.diagnosis.risk,
                "strategy": r.diagnosis.strategy,
                "signature": r.diagnosis.signature,
                "failed_step": r.diagnosis.failed_step,
                "line": root.line if root else None,
                "text": truncate(root.text, 300, "…") if root else None,
                "params": r.diagnosis.params,
                "action": r.decision.action if r.decision else "none",
            }
        )
    values = {
        "category": d.category if d else "none",
        "confidence": f"{d.confidence:.2f}" if d else "0.00",
        "risk": d.risk if d else "none",
        "strategy": d.strategy if d else "none",
        "action": ",".join(result.actions),
        "healed": "true" if result.healed else "false",
        "diagnosis": json.dumps(compact, separators=(",", ":"), ensure_ascii=False),
    }
    assert set(values) == set(OUTPUTS)
    return {k: safe_log_text(v, redact) for k, v in values.items()}


def _within_budget(result: GuardResult, budget: int) -> GuardResult:
    """``result`` with the evidence of the jobs that would land past the cut left out.

    The summary is cut at ``budget`` anyway; rendering (and redacting) megabytes of evidence that
    cannot be shown would only cost time. Every job keeps its row in the table.
    """
    used = 0
    results: list[JobResult] = []
    for r in result.results:
        if used >= budget:
            d = replace(r.diagnosis, evidence=(), params={}, secondary=())
            results.append(replace(r, diagnosis=d, notes=[]))
            continue
        used += sum(len(e.text) + 10 for e in r.diagnosis.evidence) + len(json.dumps(r.diagnosis.params, default=str))
        results.append(r)
    return result if used < budget else replace(result, results=results)


def _truncate_utf8(text: str, limit: int, marker: str) -> str:
    """``text`` cut so that it takes at most ``limit`` bytes as UTF-8 (GitHub's limits are in bytes)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = max(0, limit - len(marker.encode("utf-8")))
    return data[:room].decode("utf-8", "ignore") + marker


class Reporter:
    """Writes one result to the places the runner reads."""

    def __init__(self, settings: Settings, redact: Redactor, stream: IO[str] | None = None) -> None:
        self.settings = settings
        self.redact = redact
        self.stream = stream or sys.stdout

    def _command(self, name: str, properties: Mapping[str, Any], message: str) -> None:
        # like @actions/core, leave out unset properties rather than send "file=,line="; a title
        # can carry a job name, so property values are redacted like the message
        props = {k: self.redact(v) if isinstance(v, str) else v for k, v in properties.items() if v not in (None, "")}
        self.stream.write(str(Command(name, props, message)) + "\n")

    def mask(self, value: str) -> None:
        if value:
            self._command("add-mask", {}, value)

    def error(self, message: str, **properties: Any) -> None:
        self._command("error", properties, safe_log_text(message, self.redact))

    def warning(self, message: str, **properties: Any) -> None:
        self._command("warning", properties, safe_log_text(message, self.redact))

    def notice(self, message: str, **properties: Any) -> None:
        self._command("notice", properties, safe_log_text(message, self.redact))

    def write_all(self, result: GuardResult) -> None:
        self.log(result)
        self.annotate(result)
        values = outputs(result, self.redact)
        self.write_outputs(values)
        self.write_summary(self.summary(result))
        self.write_audit(result, values)

    def log(self, result: GuardResult) -> None:
        """The diagnosis in the step log; log text is inside a stop-commands block and neutralised."""
        token = secrets.token_hex(16)
        self.stream.write("::group::Self-Healing Pipeline Guard: diagnosis\n")
        self.stream.write(f"::stop-commands::{token}\n")
        for r in result.results:
            d = r.diagnosis
            self.stream.write(
                safe_log_text(
                    f"{r.name}: {d.category} ({d.confidence:.2f}, risk {d.risk}), strategy {d.strategy}", self.redact
                )
                + "\n"
            )
            for e in d.evidence:
                self.stream.write(safe_log_text(f"  {e.line:>6} | {e.text}", self.redact) + "\n")
            if r.decision:
                self.stream.write(
                    safe_log_text(f"  decision: {r.decision.action}: {r.decision.reason}", self.redact) + "\n"
                )
        for o in result.outcomes:
            self.stream.write(safe_log_text(f"{o.action}: {o.status}: {o.detail}", self.redact) + "\n")
        self.stream.write(f"::{token}::\n")
        self.stream.write("::endgroup::\n")
        for note in result.notes:
            self.notice(note, title="Self-Healing Pipeline Guard")
        for err in result.errors:
            self.error(err, title="Self-Healing Pipeline Guard")

    def annotate(self, result: GuardResult) -> None:
        for r in result.results[:MAX_ANNOTATIONS]:
            d = r.diagnosis
            root = d.root_line
            message = f"{d.category} ({d.confidence:.2f}): " + (
                f"line {root.line}: {root.text}" if root else "no error line"
            )
            if d.remediation:
                message += f"\nSuggested: {advice_for(d)}"
            title = f"Healing Guard: {d.category} in {r.name}"
            if d.category == "unknown":
                self.warning(truncate(message, 4000), title=title)
            else:
                self.error(truncate(message, 4000), title=title)

    def write_outputs(self, values: Mapping[str, str]) -> None:
        path = self.settings.output_path
        for name, value in values.items():
            self.stream.write(f"{name}: {value if len(value) < 200 else value[:200] + '…'}\n")
        if path is None:
            return
        with path.open("a", encoding="utf-8") as fh:
            for name, value in values.items():
                fh.write(prepare_key_value_message(name, value) + "\n")

    def summary(self, result: GuardResult) -> str:
        text = jinja_env().get_template("summary.md.j2").render(res=_within_budget(result, MAX_SUMMARY))
        return _truncate_utf8(
            self.redact(text), MAX_SUMMARY, "\n\n… (the summary was cut to stay under GitHub's 1 MiB limit)\n"
        )

    def write_summary(self, text: str) -> None:
        if self.settings.summary_path is None:
            return
        with self.settings.summary_path.open("a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")

    def write_audit(self, result: GuardResult, values: Mapping[str, str]) -> Path | None:
        """Every action, done or planned, as JSON in the workspace (upload it as an artifact to keep it)."""
        if not result.outcomes:
            return None
        run = result.run
        name = f"audit-{run.id}-{run.attempt}.json" if run else "audit.json"
        folder = self.settings.workspace / ".healing-guard"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            record = {
                "run": run.id if run else None,
                "attempt": run.attempt if run else None,
                "dry_run": result.dry_run,
                "actions": [o.to_dict() for o in result.outcomes],
                "diagnoses": json.loads(values["diagnosis"]),
            }
            path.write_text(self.redact(json.dumps(record, indent=2)) + "\n", encoding="utf-8")
            return path
        except OSError as exc:
            self.warning(f"could not write the audit trail: {exc}")
            return None
