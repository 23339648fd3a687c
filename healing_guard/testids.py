"""The ids of the failing tests, read off the failing step's text.

Each test runner names a failing test its own way; ``failing_tests`` knows these forms (the
examples are the runners' own output, as in ``tests/fixtures/logs`` and the gha-real corpus):

- pytest: ``FAILED tests/x.py::test_y - ...`` (the short summary), ``tests/x.py::test_y FAILED`` (-v)
- unittest: ``FAIL: test_x (mod.Class)`` and, since Python 3.11, ``FAIL: test_x (mod.Class.test_x)``
- jest, vitest: ``● Suite › test``, ``✕ test (5 ms)``, ``× test``, ``FAIL src/x.test.ts`` (a file whose
  tests are not named otherwise: a suite that failed to run), ``FAIL src/x.test.ts > suite > test``
- playwright: ``1) [chromium] › tests/x.spec.ts:4:1 › Suite › test``
- go test: ``--- FAIL: TestX (0.00s)``
- Maven surefire: ``[ERROR] com.x.YTest.testZ -- Time elapsed: ... <<< FAILURE!``,
  ``testZ(com.x.YTest)  Time elapsed: ... <<< FAILURE!`` (JUnit 4), ``[ERROR]   YTest.testZ:42 ...``
  (the summary), ``Tests run: ... <<< FAILURE! - in com.x.YTest`` (the class)
- Gradle: ``XTest > testY FAILED``
- cargo test: ``test x ... FAILED``, ``---- tests::x stdout ----``; nextest ``FAIL [ 0.01s] bin tests::x``
- rspec: ``rspec ./spec/x_spec.rb:12 # description``
- ctest: ``1/3 Test #2: name ....***Failed``, and the list after ``The following tests FAILED:``
- go test's timeout: the tests listed after ``running tests:``; PyTorch's ``run_test.py``:
  ``RuntimeError: test_x failed!``
- TAP (node --test): ``not ok 40 - name``; dotnet test: ``Failed Ns.Class.Test [12 ms]``

An id that only repeats another one more briefly is dropped (jest's ``✕ test`` beside ``● Suite ›
test``, surefire's summary ``YTest.testZ`` beside ``com.x.YTest.testZ``, a class beside its tests,
go's parent test beside its failing subtest). The ids are log text, so they are hostile: each is
cleaned (no control characters, colour codes or workflow commands, secrets redacted) and bounded
(``MAX_TESTS`` ids of at most ``MAX_ID_CHARS`` characters). They are stored and displayed, never
executed, never used to choose what the guard changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .sanitize import clean

MAX_TESTS = 100
MAX_ID_CHARS = 300
#: a line longer than this is not a runner's line about one test
_MAX_LINE = 2000

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\^\[\[[0-9;]*[A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")

# (the pattern, the group that names the test); tried in order, the first that matches wins
_PYTEST_SUMMARY = re.compile(r"^(?:FAILED|ERROR) (?:\[[\d.]+m?s\] )?(\S+?::\S+?)(?: - .*)?$")
_PYTEST_VERBOSE = re.compile(r"^(\S+?::\S+) (?:FAILED|ERROR)(?:\s+\[\s*\d+%\])?$")
_UNITTEST = re.compile(r"^(?:FAIL|ERROR): (\w+) \(([\w.]+)\)")
_JEST_DETAIL = re.compile(r"^\s*● (.+?)\s*$")
_JEST_MARK = re.compile(r"^\s*[✕×] (.+?)(?: \(\d+(?:\.\d+)? ?m?s\)| \d+(?:\.\d+)? ?m?s)?$")
_JEST_FILE = re.compile(r"^\s*FAIL\s+(\S+?\.\w+)(?:\s+\([\d.]+ ?m?s\))?$")
_VITEST_TEST = re.compile(r"^\s*FAIL\s+(\S+?\.\w+ > .+?)(?: \[\S+\])?$")
_PLAYWRIGHT = re.compile(r"^\s*\d+\) \[[\w. -]+\] › (\S+:\d+:\d+ › .+?)[\s─]*$")
_GO = re.compile(r"^\s*--- FAIL: (\S+)(?: \([\d.]+s\))?$")
_SUREFIRE_METHOD = re.compile(
    r"^(?:\[ERROR\] )?([\w$]+(?:\.[\w$]+)+)(?:\(\))? -{1,2} Time elapsed: .*<<< (?:FAILURE|ERROR)!$"
)
_SUREFIRE_JUNIT4 = re.compile(r"^(?:\[ERROR\] )?([\w$]+)\(([\w$.]+)\)\s+Time elapsed: .*<<< (?:FAILURE|ERROR)!$")
_SUREFIRE_CLASS = re.compile(r"^(?:\[ERROR\] )?Tests run: .*<<< (?:FAILURE|ERROR)! -{1,2} in ([\w$.]+)$")
_SUREFIRE_SUMMARY = re.compile(r"^\[ERROR\]\s{2,}([\w$]+\.[\w$]+):\d+\b")
_GRADLE = re.compile(r"^\s*([\w$.]+(?: > [^>]+?)*? > .+?) FAILED$")
_CARGO = re.compile(r"^test (\S+) \.\.\. FAILED$")
_CARGO_STDOUT = re.compile(r"^---- (\S+) stdout ----$")
_NEXTEST = re.compile(r"^\s*FAIL \[\s*[\d.]+s\] (?:\S+ )?(\S+::\S+|\S+)$")
_RSPEC = re.compile(r"^\s*rspec (\S+?(?::\d+|\[[\d:]+\]))(?: #.*)?$")
_CTEST = re.compile(r"^\s*\d+/\d+ Test\s+#\d+: (\S+) \.*\s*\*\*\*(?:Failed|Timeout|Exception)")
_CTEST_LIST_HEAD = re.compile(r"^The following tests FAILED:$")
_CTEST_LIST = re.compile(r"^\s*\d+ - (\S+) \((?:Failed|Timeout|SEGFAULT|Subprocess aborted|Not Run|Child aborted)\)")
_GO_RUNNING_HEAD = re.compile(r"^running tests:$")
_GO_RUNNING = re.compile(r"^\s+(Test\S*) \((?:\d+h)?(?:\d+m)?[\d.]+s\)$")
_PYTORCH = re.compile(r"^(?:\w{3} \d\d \d\d:\d\d:\d\d )?RuntimeError: (test_\w+) failed!")
_TAP = re.compile(r"^\s*not ok \d+ - (.+?)(?: # (?!TODO|SKIP).*)?$")
_DOTNET = re.compile(r"^\s*Failed (\S.*?) \[\d+(?:\.\d+)? ?m?s\]$")
_GRADLE_TASK = re.compile(r"^\s*>|^\s*:\S+ FAILED$|^BUILD FAILED")

#: the forms whose first group is the id as it is
_SIMPLE = (_PYTEST_SUMMARY, _PYTEST_VERBOSE, _GO, _CARGO, _CARGO_STDOUT, _NEXTEST, _RSPEC, _CTEST, _TAP, _PYTORCH)
#: what one id is to another that repeats it more briefly (class.method, Suite › test, parent/sub)
_SEPARATORS = (".", " › ", " > ", "/", "::", "#")


def _line(raw: str) -> str:
    text = _ANSI.sub("", raw)
    text = _TIMESTAMP.sub("", text.removeprefix("\ufeff"))
    return text.rstrip()


def _tidy(test: str) -> str:
    """One id, as it is stored and shown: cleaned, on one line, bounded."""
    text = _CONTROL.sub("", test)
    text = " ".join(clean(text).split())
    if len(text) > MAX_ID_CHARS:
        text = text[: MAX_ID_CHARS - 1] + "…"
    return text


def _match(text: str, jest_file: str | None) -> tuple[str | None, str | None]:
    """The test a line names (or None), and the jest file it opens (or None)."""
    for pattern in _SIMPLE:
        m = pattern.match(text)
        if m:
            return m.group(1), None
    m = _UNITTEST.match(text)
    if m:
        name, where = m.groups()
        return (where if where.endswith("." + name) else f"{where}.{name}"), None
    m = _PLAYWRIGHT.match(text)
    if m:
        return m.group(1), None
    m = _VITEST_TEST.match(text)
    if m:
        return m.group(1), None
    m = _JEST_FILE.match(text)
    if m:
        return None, m.group(1)
    m = _JEST_DETAIL.match(text)
    if m:
        name = m.group(1)
        if name == "Console":
            return None, None
        if name == "Test suite failed to run":
            return jest_file, None
        return name, None
    m = _JEST_MARK.match(text)
    if m:
        return m.group(1), None
    for pattern in (_SUREFIRE_METHOD, _SUREFIRE_CLASS, _SUREFIRE_SUMMARY, _DOTNET):
        m = pattern.match(text)
        if m:
            return m.group(1), None
    m = _SUREFIRE_JUNIT4.match(text)
    if m:
        return f"{m.group(2)}.{m.group(1)}", None
    if not _GRADLE_TASK.match(text):
        m = _GRADLE.match(text)
        if m:
            return m.group(1), None
    return None, None


def failing_tests(lines: Iterable[str]) -> tuple[str, ...]:
    """The failing tests a step's output names, in the order it names them, each once."""
    found: list[str] = []
    files: dict[str, bool] = {}  # a jest/vitest FAIL file -> whether a test of it was named
    jest_file: str | None = None
    in_list: re.Pattern[str] | None = None  # the items of ctest's or go's list of tests
    for raw in lines:
        if len(raw) > _MAX_LINE:
            continue
        text = _line(raw)
        if not text:
            continue
        if in_list is not None:
            m = in_list.match(text)
            if m:
                found.append(m.group(1))
                continue
            in_list = None
        if _CTEST_LIST_HEAD.match(text) or _GO_RUNNING_HEAD.match(text):
            in_list = _CTEST_LIST if text.startswith("The") else _GO_RUNNING
            continue
        test, opened = _match(text, jest_file)
        if opened is not None:
            jest_file = opened
            files.setdefault(opened, False)
            continue
        if test:
            if jest_file is not None:
                files[jest_file] = True
            found.append(test)
        if len(found) >= MAX_TESTS * 4:
            break
    # a jest file none of whose tests was named (a suite that failed to run, or a cut window)
    found.extend(f for f, named in files.items() if not named)
    return _distinct(found)


def _distinct(found: Iterable[str]) -> tuple[str, ...]:
    ids: list[str] = []
    for raw in found:
        test = _tidy(raw)
        if test and test not in ids:
            ids.append(test)
    kept = [t for t in ids if not any(o != t and _repeats(t, o) for o in ids)]
    return tuple(kept[:MAX_TESTS])


def _repeats(short: str, other: str) -> bool:
    """Whether ``short`` only repeats ``other`` more briefly (its start, or its end)."""
    return any(other.startswith(short + sep) or other.endswith(sep + short) for sep in _SEPARATORS)
