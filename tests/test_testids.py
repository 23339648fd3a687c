"""Failing test ids read off real logs (data: tests/fixtures/testids/expected.yml), and their bounds."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from healing_guard.classify import Classifier
from healing_guard.logsource import from_text
from healing_guard.testids import MAX_ID_CHARS, MAX_TESTS, failing_tests

from .fixturelogs import load

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "gha-real"
DATA = ROOT / "tests" / "fixtures" / "testids" / "expected.yml"
CASES: list[dict[str, Any]] = yaml.safe_load(DATA.read_text("utf-8"))


@cache
def classifier() -> Classifier:
    return Classifier()


def _text(log: str) -> str | None:
    where, _, name = log.partition("/")
    if where == "fixtures":
        return load(ROOT / "tests" / "fixtures" / "logs" / name).text
    path = CORPUS / name
    return path.read_bytes().decode("utf-8", "replace") if path.is_file() else None


def _param(case: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
    return pytest.param(case["log"], tuple(case["tests"]), id=case["log"], marks=marks)


@pytest.mark.parametrize(("log", "expected"), [_param(c) for c in CASES])
def test_the_diagnosis_names_the_failing_tests_of_a_real_log(log: str, expected: tuple[str, ...]) -> None:
    text = _text(log)
    if text is None:
        pytest.skip(f"{log}: the gha-real corpus is not here")
    diagnosis = classifier().diagnose(from_text(text, log))
    assert diagnosis.failing_tests == expected
    assert diagnosis.to_dict()["failing_tests"] == list(expected)


def test_the_cases_cover_every_runner_and_real_logs_of_both_sources() -> None:
    logs = [c["log"] for c in CASES]
    assert sum(log.startswith("gha-real/") for log in logs) >= 12
    assert sum(log.startswith("fixtures/") for log in logs) >= 25
    assert sum(1 for c in CASES if c["tests"]) >= 35


def test_a_failure_that_is_not_a_test_names_no_test() -> None:
    fx = load(ROOT / "tests" / "fixtures" / "logs" / "go-compile-error.log")
    diagnosis = classifier().diagnose(from_text(fx.text, fx.id))
    assert diagnosis.category == "compile_error"
    assert diagnosis.failing_tests == ()


# Lines quoted from runners' real output where no fixture log has the form.
@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # rspec's "Failed examples" (rspec-core output quoted in public write-ups)
        (
            ["rspec ./params_parsing_spec.rb:5 # Rack Parameter Naming/Parsing when specifying basic names"],
            ("./params_parsing_spec.rb:5",),
        ),
        (
            ["       rspec /tmp/kitchen/cache/cookbooks/audit/recipes/default.rb[1:1:1] # Validate web services"],
            ("/tmp/kitchen/cache/cookbooks/audit/recipes/default.rb[1:1:1]",),
        ),
        # pytest -v, the status after the id
        (["tests/test_x.py::test_y FAILED                                     [ 50%]"], ("tests/test_x.py::test_y",)),
        # a class beside its own test, and surefire's short summary beside the full id: one id
        (
            [
                "[ERROR] Tests run: 2, Failures: 1, Errors: 0, Skipped: 0, Time elapsed: 0.1 s <<< FAILURE! "
                "- in com.x.YTest",
                "[ERROR] com.x.YTest.testZ -- Time elapsed: 0.01 s <<< FAILURE!",
                "[ERROR]   YTest.testZ:42 expected: <1> but was: <2>",
            ],
            ("com.x.YTest.testZ",),
        ),
    ],
)
def test_runner_forms(lines: list[str], expected: tuple[str, ...]) -> None:
    assert failing_tests(lines) == expected


def test_ids_are_bounded_in_number_and_length() -> None:
    lines = [f"FAILED tests/test_{i}.py::test_{'x' * 400} - boom" for i in range(150)]
    found = failing_tests(lines)
    assert len(found) == MAX_TESTS
    assert all(len(t) <= MAX_ID_CHARS for t in found)
    assert found[0].endswith("…")


def test_ids_are_cleaned_of_hostile_text() -> None:
    found = failing_tests(
        [
            "FAILED tests/a.py::test_\x1b[31mred\x1b[0m - x",
            "--- FAIL: TestEvil\u202e\u0007 (0.00s)",
            "FAILED tests/b.py::test_::add-mask::x - y",
            "  ● Suite › ghp_" + "a" * 36,
        ]
    )
    assert found[0] == "tests/a.py::test_red"
    assert found[1] == "TestEvil"
    assert all("\x1b" not in t and "\u202e" not in t for t in found)
    assert not any(t.startswith("::") or "\n" in t for t in found)
    assert all("ghp_" + "a" * 36 not in t for t in found)


def test_a_huge_line_is_not_read_as_a_test() -> None:
    assert failing_tests(["FAILED tests/a.py::test_" + "y" * 5000]) == ()
