"""What the guard tells the runner: outputs, GITHUB_OUTPUT, annotations, the log and the job summary.

Output files are read back with a parser written like the runner's ``FileCommandManager`` and the
log with the runner-like command reader of ``test_sanitize``, so the tests see what GitHub sees.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard import action, report
from healing_guard.models import Diagnosis, EvidenceLine, Remediation
from healing_guard.planner import JobDecision
from healing_guard.provider import JobInfo
from healing_guard.report import MAX_ANNOTATIONS, Reporter, outputs
from healing_guard.results import GuardResult, JobResult, Outcome
from healing_guard.sanitize import Redactor, safe_log_text
from healing_guard.settings import OUTPUTS, Settings

from .runner import parse_file_commands
from .test_sanitize import RunnerCommand, runner_commands

ROOT = Path(__file__).resolve().parent.parent
TS = "2024-05-14T09:12:33.1234567Z "
GHP = "ghp_" + "Zq9" * 12


def declared_outputs() -> set[str]:
    spec = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    return set(spec["outputs"])


def settings(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "token": "",
        "api_url": "https://api.github.com",
        "server_url": "https://github.com",
        "repository": "octo-org/widgets",
        "event_name": "push",
        "event": {},
        "run_id": None,
        "run_attempt": None,
        "log_paths": ("job.log",),
        "config_path": tmp_path / "none.yml",
        "max_retries": 3,
        "dry_run": False,
        "strategy": "auto-detect",
        "fail_on_error": False,
        "workspace": tmp_path,
        "output_path": tmp_path / "github_output",
        "summary_path": tmp_path / "step_summary.md",
        "own_run_id": None,
    }
    values.update(changes)
    return Settings(**values)


def diagnosis(text: str = "E   ModuleNotFoundError: No module named 'yaml'", **changes: Any) -> Diagnosis:
    values: dict[str, Any] = {
        "category": "dependency_missing",
        "confidence": 0.92,
        "risk": "low",
        "strategy": "python-module-not-found",
        "params": {"module": "yaml"},
        "evidence": (EvidenceLine(12, text), EvidenceLine(13, "1 error in 0.31s")),
        "failed_step": "Run pytest",
        "signature": "480b95ac5cd79825",
        "remediation": Remediation("fix-pr", "Add `pyyaml` to the project's dependencies."),
        "source": "job.log",
    }
    values.update(changes)
    return Diagnosis(**values)


def outside_code(markdown: str) -> str:
    """``markdown`` without its fenced blocks and code spans (where @name and #1 are plain text)."""
    text = re.sub(r"(?ms)^(`{3,})[^\n]*\n.*?^\1`*[ \t]*$", "", markdown)
    return re.sub(r"(`+)(?!`).*?(?<!`)\1(?!`)", "", text)


# --- outputs ------------------------------------------------------------------------------------------


def test_output_names_are_the_declared_ones() -> None:
    empty = outputs(GuardResult(mode="logs"), Redactor())
    assert set(OUTPUTS) == declared_outputs()
    assert set(empty) == set(OUTPUTS)
    assert empty["category"] == "none" and empty["healed"] == "false" and empty["action"] == "none"


def test_outputs_of_a_result() -> None:
    result = GuardResult(mode="logs", results=[JobResult("job.log", diagnosis())])
    values = outputs(result, Redactor())
    assert set(values) == declared_outputs()
    assert (values["category"], values["confidence"], values["risk"], values["strategy"]) == (
        "dependency_missing",
        "0.92",
        "low",
        "python-module-not-found",
    )


def test_output_values_are_redacted_and_neutralised() -> None:
    d = diagnosis(f"::add-mask::{GHP} ##[set-output name=healed;]true")
    values = outputs(GuardResult(mode="logs", results=[JobResult("job.log", d)]), Redactor())
    assert GHP not in values["diagnosis"]
    assert runner_commands(values["diagnosis"]) == []


@pytest.mark.parametrize(
    "value",
    ["", "one line", "two\nlines", "trailing newline\n", "\n", "a=b<<c", "name<<EOF\nEOF", "crlf\r\nline", "ünï 🩺"],
)
def test_github_output_round_trips(tmp_path: Path, value: str) -> None:
    s = settings(tmp_path)
    Reporter(s, Redactor(), io.StringIO()).write_outputs({"category": "network", "diagnosis": value})
    text = (tmp_path / "github_output").read_bytes().decode("utf-8")  # no newline translation
    assert text.endswith("\n")
    assert parse_file_commands(text) == {"category": "network", "diagnosis": value}


def test_github_output_delimiters_are_fresh(tmp_path: Path) -> None:
    s = settings(tmp_path)
    reporter = Reporter(s, Redactor(), io.StringIO())
    reporter.write_outputs({"category": "a"})
    reporter.write_outputs({"category": "b"})
    text = (tmp_path / "github_output").read_text("utf-8")
    delimiters = re.findall(r"^category<<(.+)$", text, re.M)
    assert len(delimiters) == 2 and delimiters[0] != delimiters[1]
    assert parse_file_commands(text) == {"category": "b"}


def test_the_action_writes_exactly_the_declared_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "job.log"
    log.write_text(f"{TS}##[group]Run pytest\n{TS}E   ModuleNotFoundError: No module named 'yaml'\n", "utf-8")
    env = {
        "INPUT_LOG-PATH": "job.log",
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    assert action.main(env) == 0
    values = parse_file_commands((tmp_path / "out").read_text("utf-8"))
    assert set(values) == declared_outputs()
    assert values["strategy"] == "python-module-not-found"
    capsys.readouterr()


def test_an_invalid_config_still_writes_the_declared_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "INPUT_LOG-PATH": "job.log",
        "INPUT_CONFIG-PATH": str(ROOT / "tests" / "fixtures" / "config" / "invalid-enum.yml"),
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    assert action.main(env) == 1
    values = parse_file_commands((tmp_path / "out").read_text("utf-8"))
    assert set(values) == declared_outputs()
    assert values["category"] == "none"
    commands = runner_commands(capsys.readouterr().out)
    (error,) = [c for c in commands if c.name == "error"]
    # no empty properties: the config error names a file and a line, nothing is sent blank
    assert error.properties["title"] == "Invalid healing-config"
    assert all(v != "" for v in error.properties.values())


# --- annotations ----------------------------------------------------------------------------------------


def test_annotation_escaping_round_trips() -> None:
    stream = io.StringIO()
    reporter = Reporter(settings(Path("/nonexistent")), Redactor(), stream)
    message = "100% broken\r\nsecond line %0A not a newline, colon: comma"
    title = "Healing Guard: test_failure in build (3.12, ubuntu), job: x %2C y\nz"
    reporter.error(message, title=title, file="src/a,b:c.py", line=3)
    (line,) = stream.getvalue().splitlines()
    (command,) = runner_commands(stream.getvalue())
    assert command.name == "error"
    assert command.data == safe_log_text(message)
    assert command.properties == {"title": title, "file": "src/a,b:c.py", "line": "3"}
    assert "%25" in line and "%0A" in line and "%3A" in line and "%2C" in line
    assert "%0D" not in line  # line ends are normalised to LF before anything else


def test_a_comma_in_a_property_cannot_forge_another() -> None:
    stream = io.StringIO()
    Reporter(settings(Path("/x")), Redactor(), stream).warning("m", title="t,file=.github/workflows/ci.yml,line=1")
    (command,) = runner_commands(stream.getvalue())
    assert command.properties == {"title": "t,file=.github/workflows/ci.yml,line=1"}


def test_unset_properties_are_left_out() -> None:
    stream = io.StringIO()
    Reporter(settings(Path("/x")), Redactor(), stream).error("boom", file=None, line=None, title="T")
    assert stream.getvalue() == "::error title=T::boom\n"


def test_annotations_are_capped_and_one_line_each() -> None:
    results = [JobResult(f"job {i}", diagnosis("line one\nline two ::error::x")) for i in range(25)]
    stream = io.StringIO()
    Reporter(settings(Path("/x")), Redactor(), stream).annotate(GuardResult(mode="logs", results=results))
    commands = runner_commands(stream.getvalue())
    assert len(commands) == MAX_ANNOTATIONS == len(stream.getvalue().splitlines())
    assert all(c.name == "error" for c in commands)
    assert commands[0].properties["title"] == "Healing Guard: dependency_missing in job 0"
    assert "line 12: line one" in commands[0].data


# --- the log: only the guard's own commands -------------------------------------------------------------

HOSTILE = [
    "::add-mask::hostile",
    "  ::error file=.github/workflows/ci.yml,line=1::forged",
    "##[set-output name=healed;]true",
    "x ##[warning]legacy",
    "progress 10%\r::notice::after a CR",
    "::stop-commands::guessed",
    "::endgroup::",
    f"token {GHP} and @octocat about #1",
    "line\u2028::error::after LS",
]


def hostile_result() -> GuardResult:
    evidence = tuple(EvidenceLine(i + 1, text) for i, text in enumerate(HOSTILE))
    job = JobInfo(1, "build", "completed", "failure", 1, "https://github.com/o/r/actions/runs/1/job/1")
    results = []
    for text in HOSTILE:
        d = diagnosis(text, evidence=evidence, failed_step=f"Run {text}", params={"module": text})
        decision = JobDecision(job, d, "comment", f"because {text}")
        results.append(JobResult(f"job {text}", d, job=job, decision=decision, notes=[text]))
    return GuardResult(
        mode="logs",
        results=results,
        outcomes=[Outcome("comment", "done", f"posted {text}") for text in HOSTILE],
        notes=[f"note {text}" for text in HOSTILE],
        errors=[f"error {text}" for text in HOSTILE],
    )


def _guard_commands(out: str) -> list[RunnerCommand]:
    commands = runner_commands(out)
    for c in commands:
        if c.name in ("error", "warning", "notice"):
            assert c.properties.get("title", "").startswith(("Self-Healing Pipeline Guard", "Healing Guard: ")), c
    return commands


def test_log_cannot_issue_commands(tmp_path: Path) -> None:
    stream = io.StringIO()
    reporter = Reporter(settings(tmp_path), Redactor(), stream)
    result = hostile_result()
    reporter.log(result)
    commands = _guard_commands(stream.getvalue())
    names = [c.name for c in commands]
    token = commands[1].data
    assert names == (
        ["group", "stop-commands", token, "endgroup"] + ["notice"] * len(HOSTILE) + ["error"] * len(HOSTILE)
    )
    assert re.fullmatch(r"[0-9a-f]{32}", token)
    # the hostile text is there, inside the block, made harmless
    assert "add-mask" in stream.getvalue()
    assert GHP not in stream.getvalue()


def test_write_all_emits_only_the_guards_commands(tmp_path: Path) -> None:
    stream = io.StringIO()
    Reporter(settings(tmp_path), Redactor(), stream).write_all(hostile_result())
    out = stream.getvalue()
    names = [c.name for c in _guard_commands(out)]
    assert set(names) <= {"group", "stop-commands", "endgroup", "notice", "error", "warning", names[2]}
    assert "add-mask" not in names and "set-output" not in names
    assert GHP not in out
    summary = (tmp_path / "step_summary.md").read_text("utf-8")
    assert GHP not in summary
    prose = outside_code(summary)
    assert "@\u200boctocat" in prose  # the name is shown, but cannot ping …
    assert not re.search(r"@octocat|#1\b", prose)  # … outside code, where GitHub would link it
    values = parse_file_commands((tmp_path / "github_output").read_text("utf-8"))
    assert set(values) == declared_outputs()
    assert GHP not in "".join(values.values())


def test_the_action_on_a_hostile_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        "##[group]Run pytest ::warning::from the step name ##[error]x",
        "##[endgroup]",
        "E   ModuleNotFoundError: No module named 'yaml'",
        *HOSTILE,
        "##[error]Process completed with exit code 1.",
    ]
    (tmp_path / "job.log").write_text("".join(f"{TS}{line}\n" for line in lines), "utf-8")
    env = {
        "INPUT_LOG-PATH": "job.log",
        "INPUT_GITHUB-TOKEN": GHP,
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    assert action.main(env) == 0
    out = capsys.readouterr().out
    commands = _guard_commands(out)
    names = [c.name for c in commands]
    assert names[:5] == ["add-mask", "group", "stop-commands", commands[2].data, "endgroup"]
    assert commands[0].data == GHP  # the guard masks its own token, first
    assert set(names[5:]) <= {"notice", "error", "warning"}
    assert out.count(GHP) == 1


# --- the job summary ------------------------------------------------------------------------------------


def test_summary_stays_under_one_mib_with_2000_huge_diagnoses(tmp_path: Path) -> None:
    # multi-byte text: the limit is in bytes, and a character can take four
    text = ("✕ ##[error] 测试失败 🩺 " * 200)[: 2000 - 1]
    evidence = tuple(EvidenceLine(i + 1, f"{i}{text}") for i in range(10))
    results = [
        JobResult(f"test ({i})", diagnosis(evidence=evidence, params={"tests": [text[:300]] * 5})) for i in range(2000)
    ]
    reporter = Reporter(settings(tmp_path), Redactor(), io.StringIO())
    summary = reporter.summary(GuardResult(mode="logs", results=results))
    size = len(summary.encode("utf-8"))
    assert size <= 1024 * 1024
    assert size > 512 * 1024  # cut near the limit, not emptied
    assert summary.endswith("1 MiB limit)\n")
    assert "| test (0) |" in summary and "| test (1999) |" in summary  # every job keeps its table row
    assert "0" + safe_log_text(text)[:50] in summary  # the first job's evidence is there
    reporter.write_summary(summary)
    assert (tmp_path / "step_summary.md").stat().st_size <= 1024 * 1024


def test_small_summary_is_whole(tmp_path: Path) -> None:
    summary = Reporter(settings(tmp_path), Redactor(), io.StringIO()).summary(
        GuardResult(mode="logs", results=[JobResult("job.log", diagnosis())])
    )
    assert "cut to stay under" not in summary
    assert "ModuleNotFoundError: No module named 'yaml'" in summary
    assert "| job.log | `dependency_missing` | 0.92 | low | `python-module-not-found` | none |" in summary


def test_summary_redacts_the_registered_token(tmp_path: Path) -> None:
    token = "ghs_registeredTokenValue123"
    d = diagnosis(f"fatal: could not read Password for 'https://{token}@github.com'")
    summary = Reporter(settings(tmp_path), Redactor([token]), io.StringIO()).summary(
        GuardResult(mode="logs", results=[JobResult("job.log", d)])
    )
    assert token not in summary
    assert "fatal: could not read Password" in summary


# --- defect 12: text that broke the JSON outputs and crashed the run ---------------------------------------

PRIVATE_KEY_ROOT = (
    "Error: -----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA7Vq3GkTz9bXcW2rYp4LmN8sQf6HjU1aZ0xCvB3nD5eR7tK"
)


@pytest.mark.parametrize(
    "text",
    [
        PRIVATE_KEY_ROOT,  # redacting the serialised JSON ate its closing quote and bracket
        'password=\\\\\\\\\\\\\\" x',  # backslashes before a quote: a rule over JSON text unescaped it
        '{"password": "a\\"b"}',
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        + "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n",
        "line\u2028::set-output name=x::y\r\x00\x1b[31m",
    ],
)
def test_outputs_and_audit_are_valid_json_whatever_the_text(tmp_path: Path, text: str) -> None:
    d = diagnosis(text, evidence=(EvidenceLine(3, text),), params={"message": text, text: [text]})
    result = GuardResult(mode="logs", results=[JobResult(text, d)], outcomes=[Outcome("comment", "done", text)])
    Reporter(settings(tmp_path), Redactor(), io.StringIO()).write_all(result)
    values = parse_file_commands((tmp_path / "github_output").read_text("utf-8"))
    (entry,) = json.loads(values["diagnosis"])
    assert entry["line"] == 3
    audit = json.loads((tmp_path / ".healing-guard" / "audit.json").read_text("utf-8"))
    assert audit["diagnoses"] == [entry]
    assert "MIIEow" not in values["diagnosis"] and "b3BlbnNz" not in values["diagnosis"]


def test_a_value_holding_the_delimiter_gets_another(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["00000000-0000-0000-0000-000000000000", "11111111-1111-1111-1111-111111111111"])
    monkeypatch.setattr(uuid, "uuid4", lambda: next(drawn))
    value = "a\nghadelimiter_00000000-0000-0000-0000-000000000000\nname=forged"
    block = report.heredoc("diagnosis", value)
    assert block.startswith("diagnosis<<ghadelimiter_11111111-")
    assert parse_file_commands(block + "\n") == {"diagnosis": value}


def test_an_output_name_cannot_start_another_line() -> None:
    for name in ("", "a\nb", "a<<b", "a=b"):
        with pytest.raises(ValueError):
            report.heredoc(name, "v")
