"""Combining the layers: cause, not noise (issue 6 item 5, issue 7 item 3), calibration, the vocab seam.

The short logs below are the hostile shapes issue 7 lists (a transient-looking line a test or a
build prints beside a deterministic error), not diagnosis fixtures: they test that such a line
cannot make a job look transient. Diagnosis fixtures from real logs are in tests/fixtures/diagnosis.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from healing_guard import Classifier
from healing_guard.logsource import from_text
from healing_guard.models import CATEGORIES, TRANSIENT_CATEGORIES, EvidenceLine
from healing_guard.rootline import Candidate
from healing_guard.signals import StrategyVote, combine
from healing_guard.toolsignal import ToolSignal, from_command

TS = "2024-05-01T10:00:00.0000000Z "


def _log(command: str, *output: str, code: int = 1) -> str:
    body = "".join(f"{TS}{line}\n" for line in output)
    return (
        f"{TS}##[group]Run {command}\n{TS}{command}\n{TS}shell: /usr/bin/bash -e {{0}}\n{TS}##[endgroup]\n"
        f"{body}{TS}##[error]Process completed with exit code {code}.\n"
    )


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier(vocab=None)


HOSTILE = {
    "assertion quoting pip's read timeout": _log(
        "pytest -q",
        "tests/test_install.py F",
        "E       AssertionError: assert 'ReadTimeoutError: HTTPSConnectionPool(host=\\'pypi.org\\', port=443): "
        "Read timed out.' == ''",
        "FAILED tests/test_install.py::test_quiet_install - AssertionError: assert 'Read timed out.' == ''",
        "1 failed, 3 passed in 0.40s",
    ),
    "a test printing toomanyrequests": _log(
        "npx jest --ci",
        " FAIL  src/registry.test.ts",
        "  ● registry client › reports rate limits",
        "    expect(received).toBe(expected)",
        '    Received: "toomanyrequests: You have reached your pull rate limit"',
        "Tests:       1 failed, 12 passed, 13 total",
    ),
    "npm network error beside a tsc error": _log(
        "npm ci && npx tsc --noEmit",
        "npm ERR! code ECONNRESET",
        "npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: socket hang up",
        "src/index.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'.",
        code=2,
    ),
    "a test printing a runner-lost line": _log(
        "go test ./...",
        "--- FAIL: TestShutdown (0.01s)",
        '    shutdown_test.go:12: got "The runner has received a shutdown signal.", want ""',
        "FAIL",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_transient_looking_line_does_not_make_a_deterministic_failure_transient(
    classifier: Classifier, name: str
) -> None:
    d = classifier.diagnose(from_text(HOSTILE[name], "job.log"))
    assert d.category not in TRANSIENT_CATEGORIES, (d.category, d.strategy)
    assert d.category in ("test_failure", "compile_error")


def test_a_real_network_failure_in_an_install_step_stays_network(classifier: Classifier) -> None:
    log = _log(
        "pip install -r requirements.txt",
        "Collecting requests",
        "WARNING: Retrying (Retry(total=0)) after connection broken by 'ReadTimeoutError(...)': /simple/requests/",
        "ERROR: Could not install packages due to an OSError: HTTPSConnectionPool(host='pypi.org', port=443): "
        "Read timed out.",
    )
    assert classifier.diagnose(from_text(log, "job.log")).category == "network"


def _cand(line: int, text: str, reason: str = "error") -> Candidate:
    return Candidate(EvidenceLine(line, text), 3.0, reason)


def test_agreeing_layers_give_more_confidence_than_one_layer() -> None:
    roots = [_cand(5, "src/a.ts(1,2): error TS2322: Type 'x' is not assignable to type 'y'.")]
    alone = combine(roots, [], [])
    both = combine(roots, from_command(["npx tsc --noEmit"]), [StrategyVote("compile_error", 0.9, True, True, True)])
    assert alone.category == both.category == "compile_error"
    assert both.confidence > alone.confidence and both.layers == {"rootline", "tool", "strategy"}


def test_the_command_alone_is_weak_and_nothing_is_unknown() -> None:
    only_tool = combine([], [ToolSignal("test_failure", 0.5, "test runner", "pytest")], [])
    assert only_tool.category == "test_failure" and only_tool.confidence <= 0.5
    assert combine([], [], []).category == "unknown"
    assert combine([], [ToolSignal("lint", 0.2, "linter", "eslint .")], []).category == "unknown"


def test_exit_code_conventions() -> None:
    assert [(t.category, t.tool) for t in from_command(["./run.sh"], 127)] == [("dependency_missing", "exit code 127")]
    assert ("oom", "exit code 137") in [(t.category, t.tool) for t in from_command(["make"], 137)]
    assert ("config_env", "pytest exit code 5") in [(t.category, t.tool) for t in from_command(["pytest -q"], 5)]


class _FakeVocab:
    """A stand-in for healing_guard.vocab.VocabModel: it believes every line is a lint finding."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def category_scores(self, texts: Sequence[str]) -> dict[str, float]:
        self.seen.extend(texts)
        return {c: (1.0 if c == "lint" else 0.0) for c in CATEGORIES}

    def root_score(self, text: str) -> float:
        return 1.0 if "style" in text else 0.0


def test_the_vocab_model_is_a_replaceable_attribute() -> None:
    log = _log("./check.sh", "checking 12 files", "src/a.py: style problem found", "done with problems")
    c = Classifier(vocab=None)
    without = c.diagnose(from_text(log, "job.log"))
    c.vocab = fake = _FakeVocab()
    with_model = c.diagnose(from_text(log, "job.log"))
    assert fake.seen and with_model.category == "lint" and without.category != "lint"
    assert "vocab" in {e.layer for e in with_model.evidence} or with_model.strategy.startswith("vocab")
