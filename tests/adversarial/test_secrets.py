"""Secrets printed by a job never leave the guard: every shape of ``data/secrets.yml`` through every writer.

Issue 7, defect 10: 13 of 22 shapes leaked into comments, issues, the summary, outputs and the audit
file. Each case is checked through the cleaning every writer uses, through each Markdown helper,
through the Reporter's every output (stdout, GITHUB_OUTPUT, the summary, the audit file) and the
templates of the comment, the issue and the fix PR. ``test_e2e_secrets`` runs them through the action.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from healing_guard.fixpr import FixProposal
from healing_guard.render import jinja_env, to_json, to_markdown, to_text
from healing_guard.report import Reporter
from healing_guard.sanitize import Redactor, safe_log_text

from ..runner import parse_file_commands
from ..test_report import settings
from .hostile import SecretCase, diagnosis_from, ordinary_lines, result_from, secret_cases

CASES = secret_cases()


def _ids(case: SecretCase) -> str:
    return case.id


def assert_no_secret(case: SecretCase, text: str, where: str) -> None:
    for secret in case.secrets:
        assert secret not in text, f"{case.id}: {secret!r} leaked into {where}"
        # and not with the zero-width spaces the Markdown helpers insert taken out
        assert secret not in text.replace("\u200b", ""), f"{case.id}: {secret!r} leaked into {where}"


def test_the_data_covers_the_shapes_of_defect_10() -> None:
    classes = {c.cls for c in CASES}
    assert classes >= {"assignment", "url", "token", "header", "cli-flag", "encoded", "private-key", "split"}
    assert sum(c.leaked_before for c in CASES) >= 13
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_cleaned_text_holds_no_secret(case: SecretCase) -> None:
    assert_no_secret(case, safe_log_text(case.text, Redactor()), "safe_log_text")
    for line in case.text.split("\n"):  # one evidence line at a time, as the outputs see them
        assert_no_secret(case, safe_log_text(line, Redactor()), "one line")


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_markdown_helpers_hold_no_secret(case: SecretCase) -> None:
    env = jinja_env()
    for name in ("inline_code", "plain", "code_block"):
        assert_no_secret(case, str(env.filters[name](case.text)), name)


@pytest.mark.parametrize("line", ordinary_lines())
def test_ordinary_text_is_left_alone(line: str) -> None:
    assert Redactor()(line) == line


def test_reporter_outputs_hold_no_secret(tmp_path: Path) -> None:
    """Every output of the Reporter, with every case in every text field of a result."""
    result = result_from([c.text for c in CASES])
    stream = io.StringIO()
    Reporter(settings(tmp_path, run_id=1), Redactor(), stream).write_all(result)
    outputs = parse_file_commands((tmp_path / "github_output").read_text("utf-8"))
    diagnosis = json.loads(outputs["diagnosis"])  # valid JSON whatever the text (defect 12)
    assert len(diagnosis) == len(CASES)
    summary = (tmp_path / "step_summary.md").read_text("utf-8")
    audit_path = tmp_path / ".healing-guard" / "audit-1-1.json"
    audit = audit_path.read_text("utf-8")
    json.loads(audit)
    for case in CASES:
        for where, text in [
            ("stdout", stream.getvalue()),
            ("GITHUB_OUTPUT", "\n".join(outputs.values())),
            ("summary", summary),
            ("audit", audit),
        ]:
            assert_no_secret(case, text, where)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_comment_issue_and_fix_pr_hold_no_secret(case: SecretCase) -> None:
    result = result_from([case.text])
    r = result.results[0]
    env = jinja_env()
    bodies = {
        "comment": env.get_template("comment.md.j2").render(res=result, marker="<!-- m -->"),
        "issue": env.get_template("issue.md.j2").render(
            res=result, r=r, marker="<!-- m -->", state="<!-- s -->", occurrences=2, runs=[case.text]
        ),
        "fix PR": env.get_template("fix_pr.md.j2").render(
            res=result,
            r=r,
            marker="<!-- m -->",
            change=FixProposal(case.text, ((case.text, case.text),), case.text, case.text, case.text, case.text),
            run_url="https://github.com/o/r/actions/runs/1",
            token_note=case.text,
        ),
    }
    for where, body in bodies.items():
        assert_no_secret(case, body, where)


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_analyze_output_holds_no_secret(case: SecretCase) -> None:
    d = diagnosis_from(case.text)
    assert_no_secret(case, to_text([d]), "analyze --format text")
    assert_no_secret(case, to_markdown([d]), "analyze --format markdown")
    out = to_json([d])
    json.loads(out)
    assert_no_secret(case, out, "analyze --format json")
