"""The edge's one way out, ``action.die``, and which errors fail the step (``fail-on-error``'s one meaning)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from healing_guard import action
from healing_guard.action import Edge, die
from healing_guard.errors import GitHubError
from healing_guard.guard import PipelineGuard
from healing_guard.sanitize import Redactor

from .runner import parse_file_commands


def edge(tmp_path: Path, **env: str) -> tuple[Edge, io.StringIO]:
    stream = io.StringIO()
    base = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "INPUT_GITHUB-TOKEN": "ghs_0123456789abcdefghij",
    }
    return Edge.from_env({**base, **env}, stream), stream


def test_die_writes_the_error_the_summary_and_empty_outputs(tmp_path: Path) -> None:
    e, stream = edge(tmp_path)
    message = "What happened: x.\n\nThe likely cause, with ghs_0123456789abcdefghij.\n\nThe fix: <b>y</b> @team"
    code = die(e, message, code=1, title="Bad: input, here", file=str(tmp_path / "cfg, a:b.yml"), line=3)
    assert code == 1
    (line,) = [x for x in stream.getvalue().splitlines() if x.startswith("::error")]
    # properties escaped (, and :), the path relative to the workspace, newlines as %0A, the token masked
    assert line.startswith("::error file=cfg%2C a%3Ab.yml,line=3,title=Bad%3A input%2C here::What happened: x.%0A%0A")
    assert "ghs_0123456789abcdefghij" not in stream.getvalue()
    outputs = parse_file_commands((tmp_path / "output.txt").read_text("utf-8"))
    assert outputs["action"] == "none" and outputs["healed"] == "false" and outputs["diagnosis"] == "[]"
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert "> [!CAUTION]" in summary and "**Bad: input, here** (cfg, a:b.yml, line 3)" in summary
    assert "&lt;b&gt;y&lt;/b&gt;" in summary and "@team" not in summary  # no live HTML, no ping
    assert summary.count("\n>\n") == 3  # three paragraphs under the title


def test_die_without_runner_files_still_reports(tmp_path: Path) -> None:
    stream = io.StringIO()
    e = Edge(stream, None, None, tmp_path, Redactor())
    assert die(e, "plain", code=0) == 0
    assert stream.getvalue().startswith("::error title=Self-Healing Pipeline Guard::plain\n")


def test_die_survives_an_unwritable_summary(tmp_path: Path) -> None:
    e, stream = edge(tmp_path, GITHUB_STEP_SUMMARY=str(tmp_path / "missing" / "summary.md"))
    assert die(e, "x", code=1) == 1
    assert "::warning title=Self-Healing Pipeline Guard::could not write" in stream.getvalue()


def logs_env(tmp_path: Path, **inputs: str) -> dict[str, str]:
    (tmp_path / "job.log").write_text("ERROR: boom\n", "utf-8")
    env = {
        "GITHUB_WORKSPACE": str(tmp_path),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "INPUT_LOG-PATH": "job.log",
    }
    env.update({f"INPUT_{k.upper()}": v for k, v in inputs.items()})
    return env


@pytest.mark.parametrize(("fail_on_error", "code"), [("false", 0), ("False", 0), ("true", 1), ("TRUE", 1)])
def test_a_guard_error_fails_the_step_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_on_error: str, code: int
) -> None:
    def boom(self: object) -> None:
        raise GitHubError("GitHub answered 502 three times.\n\nTry again later.")

    monkeypatch.setattr(PipelineGuard, "run", boom)
    out = io.StringIO()
    assert action.main(logs_env(tmp_path, **{"fail-on-error": fail_on_error}), out) == code
    assert "::error title=Self-Healing Pipeline Guard::GitHub answered 502" in out.getvalue()


@pytest.mark.parametrize("fail_on_error", ["false", "true"])
def test_invalid_inputs_fail_the_step_whatever_fail_on_error_says(tmp_path: Path, fail_on_error: str) -> None:
    out = io.StringIO()
    env = logs_env(tmp_path, **{"fail-on-error": fail_on_error, "strategy": "no-such-strategy"})
    assert action.main(env, out) == 1
    assert "invalid input::The input 'strategy' is" in out.getvalue()


def test_a_bug_in_the_guard_is_a_paragraph_and_a_traceback_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def bug(self: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(PipelineGuard, "run", bug)
    out = io.StringIO()
    assert action.main(logs_env(tmp_path), out) == 0
    assert "Internal error in the guard: KeyError: 'oops'%0A%0AThis is a bug" in out.getvalue()
    assert "Traceback" in capsys.readouterr().err and "Traceback" not in out.getvalue()
