"""Windowed scans: a log longer than ``scanner.WHOLE_BYTES`` is read by the catalogue only in the
failing steps' windows, the last step's and the runner's markers, and the same diagnosis comes out
as from reading the whole log; a shorter log is read whole.

That limit is 4 MiB and a block 1 MiB in production; these tests make both small (``iter_blocks``
with a small size, as ``test_scanner`` does) so that the logs stay small.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest

from healing_guard import Classifier, load_catalogue, logsource, scanner
from healing_guard.logsource import expand, from_bytes
from healing_guard.models import Remediation, Risk, Strategy
from healing_guard.scanner import Scanner, ScanResult, _marker_lines, _marker_pattern

LOGS = Path(__file__).parent / "fixtures" / "logs"
TS = "2024-05-14T09:12:33.1234567Z "
BLOCK = 4096


def _strategy(sid: str, pattern: str) -> Strategy:
    return Strategy(
        id=sid,
        name=sid,
        description=sid,
        category="dependency_missing",
        patterns=(re.compile(pattern),),
        risk=Risk.LOW,
        confidence=0.9,
        priority=50,
        remediation=Remediation("comment", "x"),
    )


MODULE = _strategy("module", r"^(?:##\[error\])?ModuleNotFoundError: No module named '(?P<module>[\w.]+)'")


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanner, "iter_blocks", functools.partial(logsource.iter_blocks, size=BLOCK))
    monkeypatch.setattr(scanner, "WHOLE_BYTES", BLOCK)


def _hits(result: ScanResult, sid: str = "module") -> list[int]:
    entry = result.matched.get(sid)
    return [h.line for h in entry.hits] if entry else []


def _log(steps: list[tuple[str, list[str], int | None]]) -> bytes:
    out = [f"{TS}Current runner version: '2.317.0'\n"]
    for title, lines, code in steps:
        out.append(f"{TS}##[group]Run {title}\n")
        out.extend(f"{TS}{line}\n" for line in lines)
        out.append(f"{TS}##[endgroup]\n")
        if code is not None:
            out.append(f"{TS}##[error]Process completed with exit code {code}.\n")
    return "".join(out).encode()


def _line_of(data: bytes, text: str) -> list[int]:
    return [i for i, line in enumerate(data.decode().split("\n"), start=1) if line.endswith(text)]


@pytest.mark.usefixtures("small_blocks")
def test_a_long_log_is_read_only_in_failed_steps_and_annotations() -> None:
    missing = "ModuleNotFoundError: No module named 'numpy'"
    filler = [f"compiling unit {i}" for i in range(40)]
    data = _log(
        [
            ("early", [*filler, missing], None),  # a step that passed, early in the log: not read
            *((f"ok {i}", filler, None) for i in range(20)),
            ("late", [*filler, missing], None),  # a step that passed, past the first block: not read
            ("note", [*filler, f"##[error]{missing}"], None),  # a runner annotation: read wherever it is
            *((f"more {i}", filler, None) for i in range(20)),
            ("failing", [*filler, missing], 1),  # the failing step: read
            ("cleanup", filler, None),  # the last step: read (it is the end window)
        ]
    )
    assert len(data) > 10 * BLOCK
    windowed = Scanner([MODULE]).scan(from_bytes(data, "job.log"))
    whole = Scanner([MODULE], windowed=False).scan(from_bytes(data, "job.log"))
    every = _line_of(data, missing)
    assert _hits(whole) == every
    _early, _late, note, failing = every
    assert _hits(windowed) == [note, failing]
    assert windowed.failed_step == whole.failed_step == "Run failing"
    assert windowed.lines == whole.lines and windowed.steps == whole.steps
    assert [h.step for h in windowed.matched["module"].hits] == ["Run note", "Run failing"]


@pytest.mark.usefixtures("small_blocks")
def test_a_short_log_is_read_whole() -> None:
    missing = "ModuleNotFoundError: No module named 'numpy'"
    data = _log([("early", [missing], None), ("ok", ["fine"], None), ("failing", ["boom"], 1)])
    assert len(data) < BLOCK
    windowed = Scanner([MODULE]).scan(from_bytes(data, "job.log"))
    assert _hits(windowed) == _line_of(data, missing)
    # exactly the limit: still read whole
    exact = data + b"x" * (BLOCK - len(data) - 1) + b"\n"
    assert len(exact) == BLOCK
    assert _hits(Scanner([MODULE]).scan(from_bytes(exact, "job.log"))) == _line_of(data, missing)
    # longer than the limit: the passing step is no longer read
    longer = data + b"".join(f"{TS}tail {i}\n".encode() for i in range(BLOCK // 30))
    assert len(longer) > BLOCK
    assert _hits(Scanner([MODULE]).scan(from_bytes(longer, "job.log"))) == []
    assert _hits(Scanner([MODULE], windowed=False).scan(from_bytes(longer, "job.log"))) == _line_of(data, missing)


@pytest.mark.usefixtures("small_blocks")
def test_the_same_step_is_read_once_when_it_failed_and_is_also_the_last_one() -> None:
    missing = "ModuleNotFoundError: No module named 'yaml'"
    filler = [f"line {i}" for i in range(60)]
    data = _log([*((f"ok {i}", filler, None) for i in range(10)), ("failing", [*filler, missing], 2)])
    data += f"{TS}after the exit code\n{TS}{missing}\n".encode()
    result = Scanner([MODULE]).scan(from_bytes(data, "job.log"))
    assert _hits(result) == _line_of(data, missing)
    assert result.exit_code == 2


@pytest.mark.usefixtures("small_blocks")
def test_colour_codes_and_invalid_bytes_in_a_late_window_are_handled() -> None:
    filler = [f"line {i}" for i in range(60)]
    data = _log([*((f"ok {i}", filler, None) for i in range(10)), ("failing", filler, 1)])
    # a coloured error line and a byte that is not UTF-8, in the failing step past the first block
    end = f"{TS}line 59\n{TS}##[endgroup]\n".encode()
    bad = TS.encode() + b"\x1b[31mModuleNotFoundError: No module named 'lxml'\x1b[0m \xff\n"
    assert data.count(end) == 11
    data = data[: data.rindex(end)] + bad + data[data.rindex(end) :]
    result = Scanner([MODULE]).scan(from_bytes(data, "job.log"))
    assert result.matched["module"].hits[0].groups == {"module": "lxml"}
    assert result.invalid_utf8


def _markers(block: bytes, strategies: list[Strategy] | None = None, *, timestamps: bool = True) -> list[bytes]:
    pattern = _marker_pattern(strategies or [MODULE])
    return [block[start:stop] for start, stop in _marker_lines(block, pattern, timestamps)]


def test_markers_are_found_only_at_the_start_of_a_line() -> None:
    block = (
        b"text ##[group]not a marker\n"
        + TS.encode()
        + b"##[group]Run a\n"
        + b"##[error]x\n"
        + b"  Post job cleanup. (indented: not one)\n"
        + b"x Cleaning up orphan processes\n"
        + b"Cleaning up orphan processes\n"
        + TS.encode()
        + b"Post job cleanup.\n"
        + b"##[warning]last, without a newline"
    )
    found = [TS.encode() + b"##[group]Run a", b"##[error]x", b"Cleaning up orphan processes"]
    found += [TS.encode() + b"Post job cleanup.", b"##[warning]last, without a newline"]
    assert _markers(block) == found
    # timestamps stripped from the block already (the path without RE2): a marker starts the line
    assert _markers(block, timestamps=False) == found[1:3] + found[4:]


def test_the_marker_search_leaves_out_only_lines_that_change_nothing() -> None:
    lines = [
        b"##[group]Operating System",  # not a step: left out
        b"##[group]Run make",  # steps
        b"##[group]Post Run actions/checkout@v4",
        b"##[group] Run indented",  # the title is stripped: a step
        b"##[group]\x1b[36mRun coloured",  # colour codes are stripped: a step
        b"##[group]",  # an empty title: kept (it is a no-op, but rare)
        b"##[endgroup]",  # left out
        b"##[endgroup] and more",  # kept: the catalogue may match it
        b"##[error]Process completed with exit code 1.",
        b"##[warning]x",
    ]
    block = b"".join(TS.encode() + line + b"\n" for line in lines) + TS.encode() + b"##[endgroup]"
    kept = [line for line in lines if line not in (b"##[group]Operating System", b"##[endgroup]")]
    assert [m[len(TS) :] for m in _markers(block)] == [*kept, b"##[endgroup]"]  # the last: no newline
    # a catalogue that matches a bare ##[endgroup] line gets those lines too
    endgroup = _strategy("endgroup", r"^##\[endgroup\]$")
    assert b"##[endgroup]" in [m[len(TS) :] for m in _markers(block, [MODULE, endgroup])]


def test_a_group_title_the_marker_search_leaves_out_is_never_a_step() -> None:
    # every printable ASCII first byte the pattern skips: the scanner ignores such a ##[group] line
    pattern = _marker_pattern([MODULE])
    for first in range(0x21, 0x7F):
        line = b"##[group]" + bytes([first]) + b"un x\n"
        if _marker_lines(line, pattern, False):
            continue
        result = Scanner([MODULE], windowed=False).scan(from_bytes(b"start\n" + line + b"end\n", "job.log"))
        assert result.steps == [], line


def test_windowed_and_whole_reads_give_the_same_hits_on_every_fixture() -> None:
    # a short log is read whole by several smaller alternations instead of one: the same lines (every
    # fifth fixture here, to keep the suite quick; bench/accuracy.py reads them all)
    catalogue = load_catalogue()
    windowed = Classifier(catalogue, vocab=None).scanner
    whole = Scanner(catalogue.enabled, windowed=False)
    for path in sorted(LOGS.glob("*.log"))[::5]:
        source = expand(str(path))[0]
        a, b = windowed.scan(source), whole.scan(source)
        assert {k: [(h.line, h.text, h.groups) for h in v.hits] for k, v in a.matched.items()} == {
            k: [(h.line, h.text, h.groups) for h in v.hits] for k, v in b.matched.items()
        }, path.name


@pytest.mark.usefixtures("small_blocks")
def test_a_real_failure_after_many_passing_steps_is_diagnosed_as_from_the_whole_log() -> None:
    # a real log (tests/fixtures/logs/cargo-test-failed.log, its source beside it): its passing
    # steps repeated before it so that the failing step lies far past the first block
    real = (LOGS / "cargo-test-failed.log").read_bytes()
    cut = real.index(b"##[group]Run cargo test")
    cut = real.rfind(b"\n", 0, cut) + 1
    data = real[:cut] * 5 + real
    classifier = Classifier(vocab=None)
    whole = Classifier(vocab=None)
    whole.scanner = Scanner(whole.catalogue.enabled, windowed=False)
    a = classifier.diagnose(from_bytes(data, "job.log"))
    b = whole.diagnose(from_bytes(data, "job.log"))
    assert (a.category, a.strategy, a.evidence[0].line, a.params) == (
        b.category,
        b.strategy,
        b.evidence[0].line,
        b.params,
    )
    assert a.category == "test_failure"
