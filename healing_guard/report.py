"""Everything the guard tells the runner: outputs, annotations, the log, the job summary, the audit file.

actions-toolkit does the escaping of workflow commands and the random-delimiter heredocs of
``GITHUB_OUTPUT``; this module decides what goes there and makes sure no log text reaches any of it
unneutralised or unredacted.
"""

from __future__ import annotations

import json
import secrets
import sys
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from actions_toolkit.command import Command
from actions_toolkit.utils import to_command_value

from .advice import advice_for
from .render import jinja_env
from .results import GuardResult, JobResult
from .sanitize import Redactor, clean, clean_data, truncate
from .settings import OUTPUTS, Settings

MAX_SUMMARY = 1024 * 1024 - 4096  # the runner drops a step summary over 1 MiB
MAX_ANNOTATIONS = 10  # GitHub shows 10 error annotations per step


def compact_diagnoses(result: GuardResult, redact: Redactor) -> list[dict[str, Any]]:
    """One small record per job, every string in it cleaned (redacted, neutralised) before it is cut,
    and before it is serialised: redacting JSON text could match across its quotes and break it."""
    compact: list[dict[str, Any]] = []
    for r in result.results:
        root = r.diagnosis.root_line
        compact.append(
            {
                "job": clean(r.name, redact),
                "job_id": r.job.id if r.job else None,
                "category": clean(r.diagnosis.category, redact),
                "confidence": round(r.diagnosis.confidence, 2),
                "risk": clean(r.diagnosis.risk, redact),
                "strategy": clean(r.diagnosis.strategy, redact),
                "signature": clean(r.diagnosis.signature, redact),
                "failed_step": clean(r.diagnosis.failed_step, redact) if r.diagnosis.failed_step else None,
                "line": root.line if root else None,
                "text": truncate(clean(root.text, redact), 300, "…") if root else None,
                "params": clean_data(r.diagnosis.params, redact),
                "action": r.decision.action if r.decision else "none",
            }
        )
    return compact


def outputs(result: GuardResult, redact: Redactor) -> dict[str, str]:
    primary = result.primary
    d = primary.diagnosis if primary else None
    compact = compact_diagnoses(result, redact)
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
    return {k: v if k == "diagnosis" else clean(v, redact) for k, v in values.items()}


def heredoc(name: str, value: str) -> str:
    """``name<<DELIMITER`` block for GITHUB_OUTPUT, with a delimiter that is not in the value.

    The runner ends the value at the first line equal to the delimiter, so a value holding it could
    set other outputs; a fresh random delimiter is drawn until none of the value's text contains it.
    """
    if not name or "\n" in name or "\r" in name or "<<" in name or "=" in name:
        raise ValueError(f"invalid output name {name!r}")
    text = to_command_value(value)
    for _ in range(8):
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        if delimiter not in text:
            return f"{name}<<{delimiter}\n{text}\n{delimiter}"
    raise ValueError(f"output {name}: no delimiter found that the value does not contain")


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
        props = {
            k: clean(v, self.redact) if isinstance(v, str) else v for k, v in properties.items() if v not in (None, "")
        }
        self.stream.write(str(Command(name, props, message)) + "\n")

    def mask(self, value: str) -> None:
        if value:
            self._command("add-mask", {}, value)

    def error(self, message: str, **properties: Any) -> None:
        self._command("error", properties, clean(message, self.redact))

    def warning(self, message: str, **properties: Any) -> None:
        self._command("warning", properties, clean(message, self.redact))

    def notice(self, message: str, **properties: Any) -> None:
        self._command("notice", properties, clean(message, self.redact))

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
                clean(f"{r.name}: {d.category} ({d.confidence:.2f}, risk {d.risk}), strategy {d.strategy}", self.redact)
                + "\n"
            )
            for e in d.evidence:
                self.stream.write(clean(f"  {e.line:>6} | {e.text}", self.redact) + "\n")
            if r.decision:
                self.stream.write(clean(f"  decision: {r.decision.action}: {r.decision.reason}", self.redact) + "\n")
        for o in result.outcomes:
            self.stream.write(clean(f"{o.action}: {o.status}: {o.detail}", self.redact) + "\n")
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
            # cleaned (so redacted) before it is cut: a cut never leaves half a secret
            message = truncate(clean(message, self.redact), 4000)
            if d.category == "unknown":
                self.warning(message, title=title)
            else:
                self.error(message, title=title)

    def write_outputs(self, values: Mapping[str, str]) -> None:
        path = self.settings.output_path
        for name, value in values.items():
            self.stream.write(f"{name}: {value if len(value) < 200 else value[:200] + '…'}\n")
        if path is None:
            return
        with path.open("a", encoding="utf-8") as fh:
            for name, value in values.items():
                fh.write(heredoc(name, value) + "\n")

    def summary(self, result: GuardResult) -> str:
        # the templates clean every value they place; the run's own secrets are replaced in the whole
        # text too (they are known values: replacing them cannot break the Markdown around them)
        text = jinja_env().get_template("summary.md.j2").render(res=_within_budget(result, MAX_SUMMARY))
        return _truncate_utf8(
            self.redact.known(text), MAX_SUMMARY, "\n\n… (the summary was cut to stay under GitHub's 1 MiB limit)\n"
        )

    def write_summary(self, text: str) -> None:
        if self.settings.summary_path is None:
            return
        with self.settings.summary_path.open("a", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")

    def write_audit(self, result: GuardResult, values: Mapping[str, str]) -> Path | None:
        """Every action, done or planned, as JSON in the workspace (upload it as an artifact to keep it)."""
        if not result.outcomes and not result.decisions:
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
                "actions": clean_data([o.to_dict() for o in result.outcomes], self.redact),
                "diagnoses": compact_diagnoses(result, self.redact),
                "decisions": clean_data([d.to_dict() for d in result.decisions], self.redact),  # issue 10
            }
            # every string was cleaned above: the JSON text itself is not redacted (that could break it)
            path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            return path
        except OSError as exc:
            self.warning(f"could not write the audit trail: {exc}")
            return None
