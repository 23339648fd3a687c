"""Every fixture log is diagnosed as its name says, with the marked line as the root cause."""

from __future__ import annotations

import pytest

from healing_guard import Classifier, analyze_text, load_catalogue
from healing_guard.logsource import from_text

from .fixturelogs import Fixture, all_fixtures

FIXTURES = all_fixtures()
CATALOGUE = load_catalogue()
CLASSIFIER = Classifier(CATALOGUE)


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_fixture(fx: Fixture) -> None:
    d = CLASSIFIER.diagnose(from_text(fx.text, fx.id))
    assert fx.line is not None, f"{fx.id} has no #=MATCH=# line"
    expected_category = fx.category or CATALOGUE.get(fx.strategy or "").category
    got = (d.strategy, d.category, d.evidence[0].line if d.evidence else None)
    assert got == (fx.strategy, expected_category, fx.line), (
        f"{fx.id}: expected {fx.strategy}/{expected_category} at line {fx.line}, got {got}; "
        f"evidence: {[e.text for e in d.evidence[:2]]}; secondary: {d.secondary}"
    )
    for key, value in fx.params.items():
        assert d.params.get(key) == value, f"{fx.id}: param {key}: {d.params.get(key)!r} != {value!r}"
    if fx.failed_step is not None:
        assert d.failed_step == fx.failed_step


def test_unknown_log_is_low_confidence_with_a_best_guess() -> None:
    log = "\n".join(
        [
            "2024-07-08T16:48:09.3763139Z ##[group]Run ./build.sh",
            "2024-07-08T16:48:09.3763139Z ./build.sh",
            "2024-07-08T16:48:09.3763139Z ##[endgroup]",
            "2024-07-08T16:48:10.0000000Z compiling widgets",
            "2024-07-08T16:48:10.5000000Z the frobnicator refused to frobnicate",
            "2024-07-08T16:48:11.0000000Z ##[error]Process completed with exit code 3.",
        ]
    )
    d = analyze_text(log)
    assert d.category == "unknown"
    assert d.confidence <= 0.3
    assert d.evidence and d.evidence[0].line in (5, 6)
    assert d.params.get("exit_code") == 3
    assert d.failed_step == "Run ./build.sh"


def test_signature_is_stable_across_runs_and_differs_between_failures() -> None:
    def log(ts: str, tmp: str, module: str) -> str:
        return (
            f"{ts} ##[group]Run pytest\n{ts} ##[endgroup]\n"
            f"{ts} ImportError while importing test module '{tmp}/test_a.py'.\n"
            f"{ts} E   ModuleNotFoundError: No module named '{module}'\n"
            f"{ts} ##[error]Process completed with exit code 2.\n"
        )

    a = analyze_text(log("2024-07-08T16:48:09.3763139Z", "/tmp/pytest-of-runner/pytest-3", "yaml"))
    b = analyze_text(log("2025-01-02T03:04:05.0000000Z", "/tmp/pytest-of-runner/pytest-99", "yaml"))
    c = analyze_text(log("2024-07-08T16:48:09.3763139Z", "/tmp/pytest-of-runner/pytest-3", "requests"))
    assert a.signature == b.signature
    assert a.signature != c.signature


def test_python_re_fallback_gives_the_same_diagnoses_as_re2() -> None:
    """Without google-re2 the same combined pattern runs on re, and nothing else changes."""
    plain = Classifier(CATALOGUE, use_re2=False)
    for fx in FIXTURES:
        a = CLASSIFIER.diagnose(from_text(fx.text, fx.id))
        b = plain.diagnose(from_text(fx.text, fx.id))
        assert a.to_dict() == b.to_dict(), fx.id
