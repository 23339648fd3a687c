"""The adversarial text through the whole action, started as the runner starts it, against the fake GitHub.

A pull request's run fails in many jobs; their logs (served by the simulator) and their names carry
every secret shape, Markdown payload and workflow-command spelling of ``data/``. The guard
downloads them, diagnoses, comments on the pull request, opens issues and writes its outputs, its
summary and its audit file. None of that may hold a secret, live Markdown or a foreign command.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from healing_guard.simulator import FakeGitHub, timestamp_log

from ..runner import ActionRun, run_action, workflow_run_event
from .gfm import PINGS, read
from .hostile import command_payloads, markdown_payloads, secret_cases
from .test_commands import guards_only, without_stop_block

PREAMBLE = "Current runner version: '2.321.0'\n##[group]Run make test\nmake test\n##[endgroup]\n"
POST = "##[error]Process completed with exit code 1.\nPost job cleanup.\n"
SECRETS = secret_cases()
MARKDOWN = [p if isinstance(p, str) else p["text"] for p in markdown_payloads()]
COMMANDS = [p if isinstance(p, str) else p["text"] for p in command_payloads()]


CHUNK = 8  # payloads per job
# every "##[error]" line is a known, low-risk failure that the guard only comments on: one write
# (PyGithub spaces writes a second apart), and the hostile line is the root line of its job
QUIET = r"""
retry: {backoff_seconds: 0, max_backoff_seconds: 0}
custom_strategies:
  - id: adversarial-line
    name: a hostile line
    category: test_failure
    patterns: ['^##\[error\](?P<message>.+)']
    exclude: ['^##\[error\]Process completed']
    risk: low
    confidence: 0.9
    action: comment
"""
# the same lines, as a failure the guard escalates: one issue per job (whatever the diagnosis
# layers would make of a bare "##[error]<secret>" line, the config decides)
LOUD = (
    QUIET.replace("adversarial-line", "adversarial-escalation")
    .replace("risk: low", "risk: high")
    .replace("action: comment", "action: escalate")
)
ESCALATED = ("private-key-block", "json-password", "split-by-ansi")


def _chunks(lines: list[str]) -> list[list[str]]:
    return [lines[i : i + CHUNK] for i in range(0, len(lines), CHUNK)]


@pytest.fixture(scope="module")
def healed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeGitHub, list[ActionRun]]]:
    """Two failed runs of one pull request: every payload in one (the guard comments), and a few
    jobs of secrets in another that the guard escalates (PyGithub spaces writes a second apart,
    so issues are kept few)."""
    with FakeGitHub(owner="octo-org", repo="octo-repo") as gh:
        pull = gh.add_pull(head_ref="feature/x", title="Hostile", number=7)
        steps = [("Set up job", "success"), ("Run make test", "failure"), ("Complete job", "success")]

        def failed_run(jobs: dict[str, list[str]]) -> dict[str, Any]:
            run = gh.add_run(
                name="CI",
                head_branch="feature/x",
                head_sha=gh.refs.get("refs/heads/feature/x"),
                event="pull_request",
                pull_requests=[int(pull["number"])],
            )
            for name, lines in jobs.items():
                body = "".join(f"##[error]{line}\n" for line in lines)
                # a NUL in the first 64 KiB makes the log "not a text log": put such lines further down
                pad = "building…\n" * 7000 if "\x00" in body else ""
                log = timestamp_log(PREAMBLE + pad + body + POST)
                gh.add_job(run["id"], name, conclusion="failure", log=log, steps=steps)
            return gh.run(run["id"])

        # job names are the workflow's (a matrix value from a pull request's workflow file): hostile too
        everything: dict[str, list[str]] = {}
        for case in SECRETS:  # one job each, so that each case is a root line and a param
            everything[f"secrets {case.id}"] = [f"case-{case.id} {line}" for line in case.text.split("\n")]
        for i, chunk in enumerate(_chunks([p.replace("\n", " ") for p in MARKDOWN])):
            everything[f"md {i} {chunk[0]}"[:200]] = chunk
        for i, chunk in enumerate(_chunks(COMMANDS)):
            everything[f"cmd {i} {chunk[0]}".replace("\n", " ")[:200]] = chunk
        tmp = tmp_path_factory.mktemp("adversarial")
        first = run_action(gh, tmp / "ws1", event=workflow_run_event(gh, failed_run(everything)), config=QUIET)
        escalated = {f"escalated {c.id}": c.text.split("\n") for c in SECRETS if c.id in ESCALATED}
        second = run_action(gh, tmp / "ws2", event=workflow_run_event(gh, failed_run(escalated)), config=LOUD)
        yield gh, [first, second]


def _written(gh: FakeGitHub, results: list[ActionRun]) -> dict[str, str]:
    """Every text the guard wrote, by where it went."""
    out: dict[str, str] = {}
    for i, result in enumerate(results):
        audits = sorted((result.workspace / ".healing-guard").glob("audit-*.json"))
        out |= {
            f"stdout {i}": result.stdout,
            f"stderr {i}": result.stderr,
            f"outputs {i}": "\n".join(result.outputs.values()),
            f"summary {i}": result.summary,
            f"audit {i}": "\n".join(p.read_text("utf-8") for p in audits),
        }
    for number, c in gh.comments.items():
        out[f"comment {number}"] = str(c["body"])
    for number, issue in gh.issues.items():
        out[f"issue {number} title"] = str(issue["title"])
        out[f"issue {number}"] = str(issue.get("body") or "")
    return out


def test_the_runs_complete_with_valid_outputs_and_audit(healed: tuple[FakeGitHub, list[ActionRun]]) -> None:
    gh, results = healed
    for result in results:
        assert result.returncode == 0, result.stderr
        json.loads(result.outputs["diagnosis"])  # valid JSON whatever the text (defect 12)
        audits = list((result.workspace / ".healing-guard").glob("audit-*.json"))
        assert len(audits) == 1
        json.loads(audits[0].read_text("utf-8"))
    assert len(results[0].diagnosis) == len(SECRETS) + len(_chunks(MARKDOWN)) + len(_chunks(COMMANDS))
    assert len(gh.comments) == 1, "the guard comments on the pull request (updated by the second run)"
    assert len([i for i in gh.issues.values() if i.get("pull_request") is None]) == 3


def test_no_secret_reaches_any_output(healed: tuple[FakeGitHub, list[ActionRun]]) -> None:
    gh, results = healed
    written = _written(gh, results)
    for case in SECRETS:
        assert f"case-{case.id}" in results[0].summary, f"{case.id}: the line did not reach the summary"
        for where, text in written.items():
            for secret in case.secrets:
                assert secret not in text.replace("\u200b", ""), f"{case.id}: {secret!r} leaked into {where}"


def test_no_live_markdown_in_the_summary_comment_or_issues(healed: tuple[FakeGitHub, list[ActionRun]]) -> None:
    gh, results = healed
    web = gh.url.rstrip("/")
    for where, body in _written(gh, results).items():
        if not where.startswith(("summary", "comment", "issue")) or where.endswith("title"):
            continue
        r = read(body)
        assert not {"img", "script", "svg", "h1", "hr", "input", "del", "kbd", "sup"} & set(r.tags), (where, r.tags)
        assert all(h.startswith((web, "https://github.com/")) for h in r.hrefs), (where, r.hrefs)
        assert not PINGS.search(r.prose), (where, PINGS.findall(r.prose))
        assert all(c.strip().startswith("healing-guard:") for c in r.comments), (where, r.comments)


def test_no_foreign_workflow_command(healed: tuple[FakeGitHub, list[ActionRun]]) -> None:
    _, results = healed
    for result in results:
        names = [c.name for c in guards_only(result.stdout)]
        assert names.count("add-mask") == 1  # the guard's own token
        guards_only(without_stop_block(result.stdout))


def test_counts_per_class() -> None:
    """The inputs tried, per class (docs/reliability.md reports them)."""
    by_class: dict[str, int] = {}
    for case in SECRETS:
        by_class[case.cls] = by_class.get(case.cls, 0) + 1
    assert sum(by_class.values()) == len(SECRETS) >= 50
    assert len(MARKDOWN) >= 50 and len(COMMANDS) >= 67
