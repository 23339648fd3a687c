"""The scanner: line numbers as Python's universal newlines count them, steps, weak hits, bounded memory.

Most tests use a small catalogue built here, so that they test the scanner and not the built-in
strategies (which other tests cover). Line numbers are checked against a reference: the lines
``io.TextIOWrapper(newline=None)`` yields, which end at ``\\r``, ``\\n`` and ``\\r\\n``.
"""

from __future__ import annotations

import functools
import io
import random
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import pytest

from healing_guard import logsource, scanner
from healing_guard.classify import Classifier
from healing_guard.errors import LogInputError
from healing_guard.logsource import LogInput, expand, from_bytes
from healing_guard.models import Remediation, Risk, Strategy
from healing_guard.regex_engine import BytesSearcher
from healing_guard.scanner import POST_STEP, SETUP_STEP, Scanner, ScanResult, is_noise_step

INPUTS = Path(__file__).parent / "fixtures" / "inputs"
TS = "2024-05-14T09:12:33.1234567Z "


def strategy(sid: str, *patterns: str) -> Strategy:
    return Strategy(
        id=sid,
        name=sid,
        description=sid,
        category="dependency_missing",
        patterns=tuple(re.compile(p) for p in patterns),
        risk=Risk.LOW,
        confidence=0.9,
        priority=50,
        remediation=Remediation("comment", "x"),
    )


MARK = strategy("mark", r"^MARK(?P<n>\d+)")
MODULE = strategy(
    "module", r"^(?:E\s+)?(?:##\[(?:error|warning)\])?ModuleNotFoundError: No module named '(?P<module>[\w.]+)'"
)


def reference_lines(data: bytes) -> list[str]:
    """The lines of ``data`` as Python's universal newlines split them (without their line ends)."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline=None)
    return [line[:-1] if line.endswith("\n") else line for line in stream]


def marks(result: ScanResult) -> dict[int, int]:
    """MARK number -> line number the scanner gave it."""
    entry = result.matched.get("mark")
    return {int(h.groups["n"]): h.line for h in entry.hits} if entry else {}


def expected_marks(data: bytes) -> dict[int, int]:
    out: dict[int, int] = {}
    for i, line in enumerate(reference_lines(data), start=1):
        m = re.match(r"MARK(\d+)", line)
        if m:
            out[int(m.group(1))] = i
    return out


def scan(data: bytes, *strategies: Strategy, name: str = "t.log") -> ScanResult:
    return Scanner(list(strategies) or [MARK]).scan(from_bytes(data, name))


class SetBlockSize(Protocol):
    def __call__(self, size: int, max_line: int | None = None) -> None: ...


@pytest.fixture
def block_size(monkeypatch: pytest.MonkeyPatch) -> SetBlockSize:
    """Call with a size to make the scanner read its input in blocks of that many bytes (and read
    whole only logs of at most that size, so that the windowed path sees the small blocks too)."""

    def set_size(size: int, max_line: int | None = None) -> None:
        monkeypatch.setattr(scanner, "iter_blocks", functools.partial(logsource.iter_blocks, size=size))
        monkeypatch.setattr(scanner, "WHOLE_BYTES", size)
        if max_line is not None:
            monkeypatch.setattr(logsource, "MAX_LINE_BYTES", max_line)

    return set_size


# --- line numbering ------------------------------------------------------------------------------


def random_log(rng: random.Random, count: int) -> bytes:
    ends = [b"\n", b"\r", b"\r\n", b"\r\r\n", b"\n\r", b"\n\n"]
    parts: list[bytes] = []
    mark = 0
    for _ in range(count):
        roll = rng.random()
        if roll < 0.35:
            parts.append(f"MARK{mark} text".encode())
            mark += 1
        elif roll < 0.45:
            # not line ends for universal newlines: form feed, vertical tab, NEL, LINE SEPARATOR
            parts.append("x\x0cy\x0bz\u0085w\u2028v".encode())
        else:
            parts.append(b"y" * rng.randint(0, 9))
        parts.append(rng.choice(ends))
    if rng.random() < 0.5:
        parts.pop()  # a last line without a line end
    return b"".join(parts)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 4 << 20])
def test_line_numbers_match_universal_newlines_whatever_the_block_size(size: int, block_size: SetBlockSize) -> None:
    block_size(size)
    rng = random.Random(size)
    for _ in range(40):
        data = b"start\n" + random_log(rng, rng.randint(1, 30))
        result = scan(data)
        assert marks(result) == expected_marks(data), data
        assert result.lines == len(reference_lines(data)), data


@pytest.mark.parametrize("size", [2, 3, 7, 16])
def test_lines_longer_than_the_carry_limit_are_split_but_numbered_once(size: int, block_size: SetBlockSize) -> None:
    # A line longer than MAX_LINE_BYTES is handed on in pieces; the pieces are one line.
    block_size(size, max_line=24)
    rng = random.Random(100 + size)
    for _ in range(40):
        parts = [b"MARK0 first\r\n"]
        for n in range(1, rng.randint(2, 6)):
            parts.append(b"z" * rng.randint(20, 90) + rng.choice([b"\n", b"\r\n", b"\r"]))
            parts.append(f"MARK{n} after a long line".encode() + rng.choice([b"\n", b"\r\n", b"\r"]))
        data = b"".join(parts)
        result = scan(data)
        assert marks(result) == expected_marks(data), data
        assert result.lines == len(reference_lines(data)), data


def test_crlf_split_exactly_at_a_block_boundary(block_size: SetBlockSize) -> None:
    head = b"MARK0 x"
    data = head + b"\r\nMARK1 y\r\nMARK2 z"
    block_size(len(head) + 1)  # the first read ends with the CR, the next starts with the LF
    result = scan(data)
    assert marks(result) == {0: 1, 1: 2, 2: 3}
    assert result.lines == 3


def test_crlf_split_where_an_over_long_line_is_cut(block_size: SetBlockSize) -> None:
    # the first read is 30 bytes of one line and its CR: handed on (too long to carry), but the CR is
    # kept back so that it meets its LF and the two still end one line
    block_size(31, max_line=24)
    data = b"z" * 30 + b"\r\nMARK1 next\r\nMARK2 last"
    result = scan(data)
    assert marks(result) == {1: 2, 2: 3}
    assert result.lines == 3


def test_crlf_split_at_the_real_4_mib_boundary(tmp_path: Path) -> None:
    """A log over 4 MiB whose CRLF straddles the first read, scanned with the real block size."""
    filler = b"Collecting package (from -r requirements.txt (line 1))\r\n"
    boundary = 4 << 20
    body = filler * ((boundary - 1) // len(filler))
    body += b"x" * (boundary - 1 - len(body)) + b"\r\n"  # the CR is the last byte of the first read
    assert body[boundary - 1 : boundary + 1] == b"\r\n"
    tail = b"MARK1 after the boundary\r\nsome output\r\nMARK2 last line without newline"
    path = tmp_path / "big.log"
    path.write_bytes(body + tail)
    result = Scanner([MARK]).scan(expand(str(path))[0])
    expected = expected_marks(body + tail)
    assert marks(result) == expected
    assert expected[1] == body.count(b"\n") + 1
    assert result.lines == expected[2]


def test_last_line_without_newline_is_counted_and_found() -> None:
    data = b"one\r\ntwo\rMARK7 last"
    result = scan(data)
    assert marks(result) == {7: 3}
    assert result.lines == 3
    assert result.tail[-1].line == 3
    assert result.tail[-1].text == "MARK7 last"


def test_tail_lines_keep_their_numbers_when_the_log_ends_with_blank_lines() -> None:
    # The tail is the evidence of an unknown failure: its line numbers must be right.
    for ending in (b"\n\n\n", b"\r\n\r\n\r\n", b"\r\r", b"\n   \n"):
        data = b"compiling\nthe frobnicator failed" + ending
        result = scan(data)
        lines = reference_lines(data)
        assert [(e.line, e.text) for e in result.tail] == [(1, "compiling"), (2, "the frobnicator failed")], ending
        assert result.lines == len(lines)


def test_unknown_failure_evidence_line_is_the_real_line() -> None:
    log = f"{TS}##[group]Run ./build.sh\n{TS}##[endgroup]\n{TS}the frobnicator refused to frobnicate\n\n\n\n"
    d = Classifier().diagnose(from_bytes(log.encode(), "u.log"))
    assert d.category == "unknown"
    assert d.evidence[0].line == 3
    assert d.evidence[0].text == "the frobnicator refused to frobnicate"


def test_huge_single_line_then_error(block_size: SetBlockSize) -> None:
    block_size(4096)  # a 1 MB line is 256 reads; it is carried, not split
    data = b"MARK0 begin\n" + b"0123456789abcdef" * 65536 + b"\nMARK1 end\n"
    result = scan(data)
    assert marks(result) == {0: 1, 1: 3}
    assert result.lines == 3


def test_hit_text_is_cut_to_a_bounded_length() -> None:
    data = b"MARK1 " + b"x" * 100_000 + b"\n"
    hit = scan(data).matched["mark"].hits[0]
    assert hit.line == 1
    assert len(hit.text) == scanner.MAX_LINE_CHARS


# --- cleaning: timestamps, ANSI, BOM, NUL, invalid UTF-8 -------------------------------------------


def test_github_log_is_cleaned_and_numbered_like_the_file() -> None:
    data = (INPUTS / "windows-job.log").read_bytes()
    result = scan(data, MODULE)
    lines = reference_lines(data)
    hits = result.matched["module"].hits
    by_module = {h.groups["module"]: h for h in hits}
    for module, hit in by_module.items():
        # the hit is on the line of the file that says so, and its text lost the timestamp and ANSI codes
        assert f"No module named '{module}'" in lines[hit.line - 1]
        assert hit.text.startswith(("E   ModuleNotFoundError", "ModuleNotFoundError", "##[warning]"))
    assert result.lines == len(lines)
    # the progress line with two \r in it is three lines: the error is two lines further down than
    # its place among the file's LF-separated lines
    lf_index = next(i for i, x in enumerate(data.split(b"\n")) if b"'yaml'" in x)
    assert by_module["yaml"].line == lf_index + 1 + 2


def test_same_line_numbers_with_crlf_line_ends() -> None:
    data = (INPUTS / "windows-job.log").read_bytes()
    crlf = data.replace(b"\n", b"\r\n")
    lf_hits = [(h.line, h.text) for h in scan(data, MODULE).matched["module"].hits]
    crlf_hits = [(h.line, h.text) for h in scan(crlf, MODULE).matched["module"].hits]
    assert lf_hits == crlf_hits
    assert len(lf_hits) == 3


def test_ansi_codes_and_timestamps_do_not_hide_a_match() -> None:
    data = f"\ufeff{TS}\x1b[31mE   ModuleNotFoundError: No module named 'numpy'\x1b[0m\n".encode()
    hits = scan(data, MODULE).matched["module"].hits
    assert [(h.line, h.groups["module"]) for h in hits] == [(1, "numpy")]
    assert "\x1b" not in hits[0].text


def test_plain_log_without_timestamps() -> None:
    data = (INPUTS / "plain.log").read_bytes()
    assert not data.endswith(b"\n")
    result = scan(data, MODULE)
    assert [(h.line, h.text) for h in result.matched["module"].hits] == [
        (5, "E   ModuleNotFoundError: No module named 'yaml'")
    ]
    assert result.lines == 6
    assert result.failed_step is None


def test_invalid_utf8_is_flagged_and_still_diagnosed() -> None:
    data = f"{TS}##[group]Run pytest\n".encode() + b"garbage \xff\xfe\xc3 here\n"
    data += f"{TS}E   ModuleNotFoundError: No module named 'requests'\n".encode()
    data += f"{TS}##[error]Process completed with exit code 2.\n".encode()
    result = scan(data, MODULE)
    assert result.invalid_utf8
    assert [h.line for h in result.matched["module"].hits] == [3]
    d = Classifier().diagnose(from_bytes(data, "bad-utf8.log"))
    assert d.strategy == "python-module-not-found"
    assert d.evidence[0].line == 3
    assert any("UTF-8" in w for w in d.warnings)


def test_valid_utf8_gives_no_warning() -> None:
    data = "E   ModuleNotFoundError: No module named 'requests' — ✕ 测试\n".encode()
    assert not scan(data, MODULE).invalid_utf8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4, "binary"),
        (b"log line\n\x00\x00\x00\x00 more\n", "binary"),
        (bytes(range(1, 32)) * 40, "binary"),
    ],
    ids=["empty", "bom-only", "png", "nul", "control-bytes"],
)
def test_empty_and_binary_input_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(LogInputError, match=message) as info:
        scan(data, name="weird.bin")
    assert "weird.bin" in str(info.value)


def test_text_with_tabs_escapes_and_backspaces_is_not_binary() -> None:
    data = b"\tindented\x1b[0m\x08\x0cform feed\nMARK1\n"
    assert marks(scan(data)) == {1: 2}


# --- steps ------------------------------------------------------------------------------------------


def test_failed_step_from_group_header_and_exit_code_line() -> None:
    result = scan((INPUTS / "windows-job.log").read_bytes(), MODULE)
    assert result.failed_step == "Run python -m pytest -q"
    assert result.exit_code == 1
    ((line, step, code),) = result.failed_steps
    assert (step, code) == ("Run python -m pytest -q", 1)
    lines = reference_lines((INPUTS / "windows-job.log").read_bytes())
    assert "Process completed with exit code 1." in lines[line - 1]
    names = [name for _, name in result.steps]
    assert names == [
        "Run actions/checkout@v4",
        "Run pip install -r requirements.txt",
        "Run python -m pytest -q",
        POST_STEP,
        "Complete job",
    ]


def test_preamble_and_post_job_cleanup_hits_are_weak() -> None:
    hits = {
        h.groups["module"]: h for h in scan((INPUTS / "windows-job.log").read_bytes(), MODULE).matched["module"].hits
    }
    assert hits["runner_preamble"].step == SETUP_STEP
    assert hits["runner_preamble"].weak
    assert hits["yaml"].step == "Run python -m pytest -q"
    assert not hits["yaml"].weak
    assert hits["cleanup_noise"].step == POST_STEP
    assert hits["cleanup_noise"].weak


def test_post_job_cleanup_hit_does_not_win() -> None:
    log = (
        f"{TS}##[group]Run make test\n{TS}##[endgroup]\n{TS}frobnicator exploded\n"
        f"{TS}##[error]Process completed with exit code 2.\n{TS}Post job cleanup.\n"
        f"{TS}ModuleNotFoundError: No module named 'cleanup_noise'\n"
    )
    result = scan(log.encode(), MODULE)
    (hit,) = result.matched["module"].hits
    assert hit.weak and hit.step == POST_STEP
    assert result.failed_step == "Run make test"
    # the same line before the cleanup is a strong hit
    before = scan(log.replace("Post job cleanup.", "still testing").encode(), MODULE)
    assert not before.matched["module"].hits[0].weak


def test_exit_code_without_group_header_has_no_step() -> None:
    result = scan(b"doing things\n##[error]Process completed with exit code 137.\n", MODULE)
    assert result.failed_steps == [(2, None, 137)]
    assert result.exit_code == 137


def test_step_from_archive_file_name() -> None:
    source = LogInput(
        "logs.zip!build/4_Run tests.txt",
        lambda: io.BytesIO(f"{TS}E   ModuleNotFoundError: No module named 'x'\n".encode()),
        job="build",
        step="Run tests",
    )
    result = Scanner([MODULE]).scan(source)
    assert result.job == "build"
    assert result.matched["module"].hits[0].step == "Run tests"


def test_gh_run_view_format_steps_come_from_the_step_column() -> None:
    data = (INPUTS / "gh-run-view.log").read_bytes()
    result = scan(data, MODULE)
    hits = {h.groups["module"]: h for h in result.matched["module"].hits}
    lines = reference_lines(data)
    for module, hit in hits.items():
        assert f"'{module}'" in lines[hit.line - 1]
        # the job and step columns and the timestamp are gone from the text
        assert hit.text.startswith(("E   ModuleNotFoundError", "ModuleNotFoundError"))
    assert (hits["runner_preamble"].step, hits["runner_preamble"].weak) == ("Set up job", True)
    assert (hits["yaml"].step, hits["yaml"].weak) == ("Test", False)
    assert hits["cleanup_noise"].weak and is_noise_step(hits["cleanup_noise"].step)
    assert result.failed_step == "Test"
    assert result.exit_code == 2
    names = [name for _, name in result.steps]
    assert names[0] == "Set up job"
    assert names.index("Run actions/checkout@v4") < names.index("Test") < names.index("Post Run actions/checkout@v4")


def test_gh_run_view_format_with_small_blocks(block_size: SetBlockSize) -> None:
    data = (INPUTS / "gh-run-view.log").read_bytes()
    expected = [(h.line, h.step, h.weak) for h in scan(data, MODULE).matched["module"].hits]
    block_size(7)
    assert [(h.line, h.step, h.weak) for h in scan(data, MODULE).matched["module"].hits] == expected


# --- memory -----------------------------------------------------------------------------------------


def _write_log(path: Path, size: int) -> None:
    line = b"ok: compiled src\\widgets\\frobnicator.py in 12 ms; nothing to report for this module\r\n"
    chunk = line * 4096
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbfStarting build\r\n")
        written = 0
        while written < size:
            fh.write(chunk)
            written += len(chunk)
        fh.write(b"E   ModuleNotFoundError: No module named 'requests'\r\n1 error\r\n")


def _peak(classifier: Classifier, path: Path) -> tuple[int, int]:
    source = expand(str(path))[0]
    tracemalloc.start()
    try:
        d = classifier.diagnose(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert d.strategy == "python-module-not-found"
    return peak, d.evidence[0].line


def test_memory_does_not_grow_with_the_log(tmp_path: Path) -> None:
    classifier = Classifier()
    small, big = tmp_path / "5mb.log", tmp_path / "50mb.log"
    _write_log(small, 5 << 20)
    _write_log(big, 50 << 20)
    small_peak, small_line = _peak(classifier, small)
    big_peak, big_line = _peak(classifier, big)
    assert big_line > small_line * 9  # the whole 50 MB were read
    assert big_peak < small_peak * 1.5 + (1 << 20), (small_peak, big_peak)
    assert big_peak < 64 << 20


# --------------------------------------------------------------------------------------------
# Linear work on dense logs, counted (not timed): every line an error line


class _CountingSearcher:
    """The prefilter, counting searches and the bytes each may read: from where it starts to the
    end of the line it matches (no part of the prefilter matches a newline, so the engine needs no
    more), or to the block's end when nothing matches."""

    def __init__(self, inner: BytesSearcher) -> None:
        self.inner = inner
        self.calls = 0
        self.bytes = 0
        self.blocks = 0

    def search(self, string: bytes, pos: int = 0) -> object:
        self.calls += 1
        self.blocks += pos == 0
        m = self.inner.search(string, pos)
        if m is None:
            self.bytes += len(string) - pos
            return None
        assert b"\n" not in string[m.start() : m.end()], "a prefilter match crossed a line"
        eol = string.find(b"\n", m.end())
        self.bytes += (len(string) if eol < 0 else eol) - pos
        return m


class _Calls:
    """Counts calls of a method (patched on the class)."""

    def __init__(self, method: Callable[..., object]) -> None:
        self.method = method
        self.count = 0

    def wrapper(self) -> Callable[..., object]:
        def counted(*args: object) -> object:
            self.count += 1
            return self.method(*args)

        return counted


DENSE_SHAPES: dict[str, Callable[[int], bytes]] = {
    "error-x": lambda i: b"error: x\n",
    "pytest-failed": lambda i: b"FAILED tests/test_x.py::test_%d - AssertionError: assert %d == 0\n" % (i, i),
    "npm-err": lambda i: b"2024-05-01T10:01:00.0000000Z npm ERR! 404 Not Found - GET https://r.org/p%d\n" % i,
    # dotnet's `[^(]*?\.cs\(` once matched from "src/a0" over the newline (and read to the block's end)
    "crossing": lambda i: b"src/a%d\nb.cs(1,2): error CS0001: x\nerror: y\n" % i,
}


@pytest.mark.parametrize("shape", list(DENSE_SHAPES), ids=list(DENSE_SHAPES))
def test_work_on_a_dense_log_grows_linearly_with_its_size(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clf = Classifier()
    sc = clf.scanner
    counted: list[tuple[int, int, int, int]] = []
    for n in (3000, 12000):
        data = b"".join(DENSE_SHAPES[shape](i) for i in range(n))
        counter = _CountingSearcher(sc._prefilter)
        lines, groups = _Calls(Scanner._line), _Calls(type(sc._rx).groups)
        with monkeypatch.context() as m:
            m.setattr(sc, "_prefilter", counter)
            m.setattr(Scanner, "_line", lines.wrapper())
            m.setattr(type(sc._rx), "groups", groups.wrapper())
            result = sc.scan(from_bytes(data, f"{shape}.log"))
        assert result.lines == data.count(b"\n")
        # each byte is read once by the prefilter, however many lines match
        assert counter.bytes <= len(data) + counter.blocks
        # the named groups (and the context lines) are taken only for the hits kept
        assert groups.count <= scanner.MAX_HITS_PER_STRATEGY * len(result.matched)
        counted.append((counter.calls, counter.bytes, lines.count, groups.count))
    small, big = counted
    assert big[0] <= 4 * small[0] + 8 and big[2] <= 4 * small[2] + 8  # 4x the lines: at most 4x the calls
    assert big[3] <= small[3] + scanner.MAX_HITS_PER_STRATEGY * 20


def test_colour_codes_printed_as_carets_are_stripped_like_escapes() -> None:
    """A log saved through `cat -v` (or pasted from a terminal) has `^[[31m` where the runner wrote
    ESC [31m; the catalogue reads the text without them (the excerpt of gha-real's
    gha-jenkins-2026-terraform-registry, a terraform box line)."""
    line = "^[[31m│^[[0m ^[[0m^[[1m^[[31mError: ^[[0m^[[0m^[[1mFailed to query available provider packages^[[0m\n"
    caught = strategy("query-failed", r"^│ Error: Failed to query available provider packages$")
    result = Scanner([caught]).scan(from_bytes(("echo start\n" + line).encode(), "caret.log"))
    entry = result.matched.get("query-failed")
    assert entry is not None and [h.line for h in entry.hits] == [2]
    assert "^[[" not in entry.hits[0].text
