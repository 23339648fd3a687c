"""One streaming pass over a log: clean each line, find the lines that match the catalogue.

The log is read in blocks of whole lines. Each block is cleaned in bulk (timestamps, ANSI codes,
``\\r``), then one combined pattern (see ``regex_engine``) finds candidate lines; only those are
decoded and tested strategy by strategy. Memory is bounded by the blocks read ahead (at most
``WHOLE_BYTES`` and one block), the kept step windows and a fixed number of kept hits per strategy,
whatever the log's size. Lines are numbered from 1 the way Python's
universal newlines count them (``\\r``, ``\\n`` and ``\\r\\n`` each end a line).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from . import logsource, regex_engine
from .logsource import LogInput, check_text
from .models import EvidenceLine, Strategy
from .steps import _ANSI, StepText, StepWindow

MAX_HITS_PER_STRATEGY = 50
CONTEXT_AFTER = 6
MAX_LINE_CHARS = 2000
#: Step markers kept: the first ones and the last ones (a log may hold millions of ``##[group]``).
MAX_STEPS_HEAD = 200
MAX_STEPS_TAIL = 800
MAX_STEP_CHARS = 200
MAX_FAILED_STEPS = 100
#: how many alternations read a step's window (see Scanner.__init__)
WINDOW_GROUPS = 8
#: a log up to this size is read whole by the catalogue; a longer one is windowed (see Scanner)
WHOLE_BYTES = 4 << 20
#: the log is read in blocks of this size: small enough that a block stays in the CPU's cache
#: while it is copied, counted and searched
BLOCK_BYTES = 1 << 20

_TS = rb"(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?"
_TS_LINE = re.compile(rb"(?m)^" + _TS)
_TS_ONE = re.compile(_TS)
_FULL_LINE = re.compile(rb"(?m)^[^\t\n]*\t([^\t\n]*)\t(?:" + _TS + rb")?")
_FULL_FIRST = re.compile(rb"^[^\t\n]*\t[^\t\n]*\t" + _TS)

_STRUCTURE = (
    r"^##\[group\]",
    r"^##\[error\]Process completed with exit code",
    r"^Post job cleanup\.",
    r"^Cleaning up orphan processes",
)
#: what the cheap pass over the whole log looks for (see ``Scanner``): every runner annotation and
#: step marker; these lines also go through the catalogue where they are
_MARKERS = ("##[", "Post job cleanup.", "Cleaning up orphan processes")
_PREAMBLE = re.compile(rb"(?m)^(?:" + _TS + rb")?(?:Current runner version|Runner name:|##\[group\]Operating System)")
_GROUP = re.compile(r"^##\[group\](?P<title>.*)")
_EXIT = re.compile(r"^##\[error\]Process completed with exit code (?P<code>-?\d+)")
_WEAK_LINE = re.compile(
    r"^(?:##\[warning\]|::warning|\[WARN(?:ING)?\]|npm (?i:warn)\b|WARN(?:ING)?[:\s]|(?i:warning):|\s*(?i:warning)\b)"
)
SETUP_STEP = "Set up job"
POST_STEP = "Post job cleanup"
COMPLETE_STEP = "Complete job"


def is_noise_step(step: str | None) -> bool:
    """Runner preamble and post-job cleanup: evidence there is used only as a last resort."""
    return step is not None and (step in (SETUP_STEP, POST_STEP, COMPLETE_STEP) or step.startswith("Post "))


@dataclass(frozen=True)
class Hit:
    """A line that one strategy's pattern matched."""

    line: int
    text: str
    step: str | None
    groups: dict[str, str]
    weak: bool
    after: tuple[EvidenceLine, ...] = ()


@dataclass
class StrategyHits:
    strategy: Strategy
    hits: list[Hit] = field(default_factory=list)
    count: int = 0


@dataclass
class ScanResult:
    """What one pass over a log found."""

    name: str
    lines: int = 0
    bytes: int = 0
    matched: dict[str, StrategyHits] = field(default_factory=dict)
    indicated: set[str] = field(default_factory=set)
    indicator_params: dict[str, dict[str, str]] = field(default_factory=dict)
    failed_steps: list[tuple[int, str | None, int]] = field(default_factory=list)
    steps: list[tuple[int, str]] = field(default_factory=list)
    tail: list[EvidenceLine] = field(default_factory=list)
    invalid_utf8: bool = False
    job: str | None = None
    #: snapshots of the failed steps' text (bounded, see ``steps``) and of the last real step
    failed_windows: list[StepText] = field(default_factory=list)
    end_window: StepText | None = None
    steps_dropped: int = 0
    _step_tail: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=MAX_STEPS_TAIL), repr=False)
    _window: StepWindow | None = field(default=None, repr=False, compare=False)
    #: windowed scans: for each step already read by the catalogue (by its first line), the last
    #: line read; None when the catalogue reads the whole log
    _done: dict[int, int] | None = field(default=None, repr=False, compare=False)
    _full_upto: int = field(default=0, repr=False, compare=False)  # lines read whole before windowing

    def add_step(self, line: int, name: str) -> None:
        """Record a step marker; only the first and the last ones are kept."""
        entry = (line, name[:MAX_STEP_CHARS])
        if len(self.steps) < MAX_STEPS_HEAD:
            self.steps.append(entry)
            return
        if len(self._step_tail) == MAX_STEPS_TAIL:
            self.steps_dropped += 1
        self._step_tail.append(entry)

    def add_failed_step(self, line: int, step: str | None, code: int) -> None:
        """Record a failed step; past the bound the last entry is replaced (the last one stays right)."""
        entry = (line, step[:MAX_STEP_CHARS] if step else step, code)
        if len(self.failed_steps) < MAX_FAILED_STEPS:
            self.failed_steps.append(entry)
        else:
            self.failed_steps[-1] = entry

    @property
    def windows(self) -> list[StepText]:
        """The text of the failing steps, or of the last real step when none failed visibly."""
        real = [w for w in self.failed_windows if not is_noise_step(w.step)]
        if real:
            return real
        if self.end_window is not None:
            return [self.end_window]
        return list(self.failed_windows)

    @property
    def failed_step_names(self) -> frozenset[str | None]:
        """Steps that ended with the runner's exit-code error (cleanup steps aside)."""
        real = {f[1] for f in self.failed_steps if not is_noise_step(f[1])}
        return frozenset(real or {f[1] for f in self.failed_steps})

    def exit_code_of(self, step: str | None) -> int | None:
        codes = [f[2] for f in self.failed_steps if f[1] == step]
        return codes[-1] if codes else (self.failed_steps[-1][2] if self.failed_steps else None)

    @property
    def exit_code(self) -> int | None:
        return self.failed_steps[-1][2] if self.failed_steps else None

    @property
    def failed_step(self) -> str | None:
        """The first step that failed, when no error line names one (later ones may be cleanup
        steps running ``if: always()``)."""
        real = [f for f in self.failed_steps if not is_noise_step(f[1])]
        chosen = real or self.failed_steps
        return chosen[0][1] if chosen else None


class Scanner:
    """Compiled once per catalogue; ``scan`` may be called for any number of logs.

    A log of at most ``WHOLE_BYTES`` (4 MiB) is read whole. In a longer one, with ``windowed`` (the
    default), the catalogue reads what the diagnosis reads: the kept text of every failed step and
    of the last real step (``steps.StepWindow``: a step's first 128 KiB and last 384 KiB), plus
    every runner annotation and step marker (``##[...]``, cleanup) wherever it is. The rest of the
    log gets one cheap pass that finds those markers (in C, see ``_marker_lines``) and counts lines.
    Logs in ``gh run view --log`` form (steps named in a column), and ``windowed=False``, are read
    whole.
    """

    def __init__(self, strategies: Sequence[Strategy], *, use_re2: bool | None = None, windowed: bool = True) -> None:
        self.windowed = windowed
        self.strategies = [s for s in strategies if s.enabled]
        sources = list(_STRUCTURE)
        for s in self.strategies:
            sources.extend(p.pattern for p in s.patterns)
            sources.extend(p.pattern for p in s.indicators)
        # the runner's timestamps are allowed by the combined pattern rather than removed from every
        # line first: only candidate lines are cleaned (_text), which keeps big logs cheap
        # (with Python's re an optional prefix makes every line retry all alternatives, so on that
        # path the timestamps are stripped from whole blocks instead, as before)
        self._strip_each = use_re2 is not False and regex_engine.engine_name() == "re2"
        prefix = _TS.decode() if self._strip_each else ""
        self._prefilter = regex_engine.combine(sources, prefix=prefix, use_re2=use_re2)
        self._find_all = regex_engine.finder(self._prefilter)
        # the windows are read by several smaller alternations instead of the big one: RE2 builds
        # its DFA's states as it meets new text, and a state of one alternation of hundreds of
        # patterns costs far more to build than the states of a few smaller ones (about 0.1 s
        # instead of 0.5 s on a process's first MiB of real log); a window is small enough that
        # reading it a few times costs less than that
        distinct = sorted(set(sources))
        size = -(-len(distinct) // WINDOW_GROUPS) or 1
        self._find_window = [
            regex_engine.finder(regex_engine.combine(distinct[i : i + size], prefix=prefix, use_re2=use_re2))
            for i in range(0, len(distinct), size)
        ]
        # per-line work runs on RE2 (linear whatever the pattern) when it is installed; with RE2 the
        # selector says which strategies' patterns and indicators match, so these only give the
        # named groups and the exclusions (see _line)
        self._rx = _LinePatterns(self.strategies, use_re2)
        # with RE2, one pass per candidate line tells which strategies can match it
        tagged: list[tuple[object, str]] = []
        for i, s in enumerate(self.strategies):
            tagged.extend(((i, "p"), p.pattern) for p in s.patterns)
            tagged.extend(((i, "i"), p.pattern) for p in s.indicators)
        self._selector = regex_engine.LineSelector(tagged, use_re2=use_re2, groups=WINDOW_GROUPS)
        self._verdicts: dict[str, tuple[set[object], list[int], set[object]]] = {}
        self._markers = _marker_pattern(self.strategies)

    def scan(self, source: LogInput) -> ScanResult:
        with source.open() as stream:
            return self._scan_stream(stream, source)

    def _scan_stream(self, stream: BinaryIO, source: LogInput) -> ScanResult:
        result = ScanResult(name=source.name, job=source.job)
        step: str | None = source.step if source.step else None
        window: StepWindow | None = None
        full_format = False
        first = True
        line_base = 0  # lines before this block
        partial = False  # whether the last block ended inside a line
        column: str | None = None  # the step column of the last line (gh run view --log format)
        tail: deque[EvidenceLine] = deque(maxlen=20)
        find: regex_engine.Finder = self._find_all
        timestamped = False  # only read when timestamps are stripped block by block (the re path)
        blocks, whole = _look_ahead(iter_blocks(stream), WHOLE_BYTES)
        for raw in blocks:
            result.bytes += len(raw)
            if first:
                if raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                check_text(raw[:65536], source.name)
            block = self._normalise(raw)
            if first:
                full_format = bool(_FULL_FIRST.match(block))
                timestamped = not self._strip_each and bool(_TS_LINE.search(block, 0, 1 << 20))
                if step is None and _PREAMBLE.search(block, 0, 1 << 16):
                    step = SETUP_STEP
                first = False
                # the window strips the runner's timestamps itself only where this loop leaves them in
                runner_ts = self._strip_each and not full_format and bool(_TS_LINE.search(block, 0, 1 << 20))
                window = result._window = StepWindow(step, noise=is_noise_step(step), timestamped=runner_ts)
                if self.windowed and not full_format:
                    if whole:
                        # the log is at most WHOLE_BYTES: it is read whole, by the smaller alternations
                        find = _MultiFinder(self._find_window)
                    else:
                        # a longer one from its first line: the whole log for the markers, the
                        # windows for the catalogue
                        result._done = {}
                        result._full_upto = 0
            changes: deque[tuple[int, str]] = deque()
            if full_format:
                changes, column = self._full_steps(block, line_base, result, column)
                block = _FULL_LINE.sub(b"", block)
            elif timestamped:
                block = _TS_LINE.sub(b"", block)
            if (b"\x1b" in block or b"^[[" in block) and result._done is None:
                # (a windowed scan strips colour codes from the lines it reads: see _text, StepText)
                block = _ANSI.sub(b"", block)
            if not result.invalid_utf8 and result._done is None and not block.isascii():  # isascii: a cheap pass
                try:
                    block.decode("utf-8")
                except UnicodeDecodeError:
                    result.invalid_utf8 = True
            assert window is not None
            window.begin_block(block, line_base)
            if result._done is not None:
                step, counted, line = self._scan_markers(block, line_base, step, result)
            else:
                step, counted, line = self._scan_block(find, block, line_base, step, changes, result, full_format)
            newlines = line - line_base - 1 + block.count(b"\n", counted)
            window.end_block(line_base + newlines + 1)
            self._keep_tail(block, line_base, newlines, tail, self._strip_each)
            # only complete lines count here: a block that does not end with a newline is the last one,
            # or a piece of a line too long to hold whose rest starts the next block
            line_base += newlines
            partial = not block.endswith(b"\n")
        if first:
            check_text(b"", source.name)
        result.lines = line_base + (1 if partial else 0)
        result.tail = list(tail)
        result.steps.extend(result._step_tail)
        result._step_tail.clear()
        if window is not None:
            result.failed_windows = window.failed
            result.end_window = window.finish(result.lines)
            result._window = None
            if result._done is not None:
                if result.end_window is not None:
                    self._scan_window(result.end_window, result)
                for entry in result.matched.values():
                    entry.hits.sort(key=lambda h: h.line)
        result._done = None
        return result

    def _scan_markers(
        self, block: bytes, line_base: int, step: str | None, result: ScanResult
    ) -> tuple[str | None, int, int]:
        """``_scan_block`` for a windowed scan's pass over the whole log: the runner's markers
        (``_marker_lines``) instead of the catalogue's candidate lines."""
        counted = 0  # position up to which newlines were counted
        line = line_base + 1  # line number at `counted`
        for start, stop in _marker_lines(block, self._markers, self._strip_each):
            line += block.count(b"\n", counted, start)
            counted = start
            step = self._line(_text(block[start:stop], self._strip_each), line, step, block, stop, result)
        return step, counted, line

    def _scan_window(self, snap: StepText, result: ScanResult) -> None:
        """The catalogue over one step's kept text (windowed scans), each line once."""
        done = result._done
        if done is None or not snap.chunks:
            return
        key = snap.chunks[0][0]
        upto = done.get(key, 0)
        last = upto
        upto = max(upto, result._full_upto)
        for first, data in snap.chunks:
            if b"\x1b" in data or b"^[[" in data:  # real escapes, or as `cat -v` prints them
                data = _ANSI.sub(b"", data)
            if not result.invalid_utf8 and not data.isascii():
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError:
                    result.invalid_utf8 = True
            n = data.count(b"\n")
            end_line = first + n - (1 if data.endswith(b"\n") else 0)
            if end_line > upto:
                self._scan_chunk(data, first, snap.step, result, upto)
            last = max(last, end_line)
        done[key] = last

    def _scan_chunk(self, data: bytes, first_line: int, step: str | None, result: ScanResult, skip_upto: int) -> None:
        """The catalogue over one chunk of a window (``first_line`` is its first line's number)."""
        end = len(data)
        spans: set[tuple[int, int]] = set()
        for find in self._find_window:
            pos = 0
            while pos < end:
                span = find(data, pos)
                if span is None:
                    break
                start = data.rfind(b"\n", pos, span[0]) + 1 or pos
                stop = data.find(b"\n", span[1])
                if stop < 0:
                    stop = end
                spans.add((start, stop))
                pos = stop + 1
        counted = 0
        line = first_line
        for start, stop in sorted(spans):
            line += data.count(b"\n", counted, start)
            counted = start
            if line <= skip_upto:
                continue
            text = _text(data[start:stop], self._strip_each)
            # markers and annotations were read by the pass over the whole log
            if text.startswith(_MARKERS):
                continue
            self._line(text, line, step, data, stop, result)

    @staticmethod
    def _normalise(raw: bytes) -> bytes:
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"")
        if b"\r" in raw:
            raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return raw

    @staticmethod
    def _full_steps(
        block: bytes, line_base: int, result: ScanResult, last: str | None
    ) -> tuple[deque[tuple[int, str]], str | None]:
        """Step changes of a ``gh run view --log`` style log (job<TAB>step<TAB>line).

        ``last`` is the step column of the line before this block (not the last entry of
        ``result.steps``, which also gets ``##[group]Run`` and cleanup markers).
        """
        changes: deque[tuple[int, str]] = deque()
        pos = 0
        line = line_base + 1
        for m in _FULL_LINE.finditer(block):
            line += block.count(b"\n", pos, m.start())
            pos = m.start()
            name = m.group(1).decode("utf-8", "replace")
            if name != last:
                changes.append((line, name))
                result.add_step(line, name)
                last = name
        return changes, last

    @staticmethod
    def _keep_tail(block: bytes, line_base: int, newlines: int, tail: deque[EvidenceLine], strip_ts: bool) -> None:
        """The block's last 20 lines into ``tail``; ``newlines`` is the block's newline count."""
        end = len(block)
        while end and block[end - 1] == 0x0A:  # trailing blank lines are not kept, but they still count
            end -= 1
        pos = end
        for _ in range(19):  # the start of the 20th line from the end, without copying the block
            pos = block.rfind(b"\n", 0, pos)
            if pos < 0:
                break
        piece = block[pos + 1 : end]
        lines = piece.split(b"\n")
        start = line_base + newlines - (len(block) - end) - (len(lines) - 1) + 1
        for i, raw in enumerate(lines):
            text = _text(raw, strip_ts)
            if text:
                tail.append(EvidenceLine(start + i, text[:MAX_LINE_CHARS]))

    def _scan_block(
        self,
        find: regex_engine.Finder,
        block: bytes,
        line_base: int,
        step: str | None,
        changes: deque[tuple[int, str]],
        result: ScanResult,
        full_format: bool,
    ) -> tuple[str | None, int, int]:
        """Returns the step at the block's end, and a position with its line number (newlines
        before it are counted)."""
        # every part of the prefilter stays inside one line (regex_engine.combine), so a search reads
        # at most up to the end of the line it matches, and the next one starts after that line:
        # each byte of the block is read once, however many lines match
        pos = 0
        counted = 0  # position up to which newlines were counted
        line = line_base + 1  # line number at `counted`
        end = len(block)
        while pos < end:
            span = find(block, pos)
            if span is None:
                break
            start = block.rfind(b"\n", pos, span[0]) + 1 or pos
            stop = block.find(b"\n", span[1])
            if stop < 0:
                stop = end
            line += block.count(b"\n", counted, start)
            counted = start
            while full_format and changes and changes[0][0] <= line:
                step = changes.popleft()[1]
            step = self._line(_text(block[start:stop], self._strip_each), line, step, block, stop, result)
            pos = stop + 1
        while full_format and changes:
            step = changes.popleft()[1]
        return step, counted, line

    def _verdict(self, text: str) -> tuple[set[object], list[int], set[object]]:
        """With RE2: which strategies' patterns and indicators match ``text`` (the set's tags), their
        indices, and which strategies' exclusions match it. Kept for recent lines: a dense log
        repeats lines, and the answer depends on the text alone."""
        found = self._verdicts.get(text)
        if found is None:
            tags = self._selector.select(text)
            chosen = sorted({t[0] for t in tags})  # type: ignore[index]
            excluded = self._rx.exclusions(text) if any(self._rx.exclude[i] for i in chosen) else set()
            if len(self._verdicts) >= 4096:
                self._verdicts.clear()
            found = self._verdicts[text] = (tags, chosen, excluded)
        return found

    def _line(self, text: str, line: int, step: str | None, block: bytes, eol: int, result: ScanResult) -> str | None:
        if text.startswith("##[group]"):
            g = _GROUP.match(text)
            title = g.group("title").strip() if g else ""
            if title.startswith("Run ") or title.startswith("Post Run "):
                step = title
                result.add_step(line, title)
                _mark(result, line, block, eol, title)
            return step
        if text.startswith("Post job cleanup."):
            result.add_step(line, POST_STEP)
            _mark(result, line, block, eol, POST_STEP)
            return POST_STEP
        if text.startswith("Cleaning up orphan processes"):
            result.add_step(line, COMPLETE_STEP)
            _mark(result, line, block, eol, COMPLETE_STEP)
            return COMPLETE_STEP
        if text.startswith("##[error]Process completed"):
            ex = _EXIT.match(text)
            if ex:
                code = _exit_code(ex.group("code"))
                result.add_failed_step(line, step, code)
                if result._window is not None:
                    snap = result._window.fail(line, eol, step, code)
                    if result._done is not None:
                        self._scan_window(snap, result)
        text = text[:MAX_LINE_CHARS]
        weak: bool | None = None
        after: tuple[EvidenceLine, ...] | None = None
        rx = self._rx
        tags: set[object] | None = None
        excluded: set[object] | None = None
        chosen: Iterable[int] = range(len(self.strategies))
        if self._selector.available:
            tags, chosen, excluded = self._verdict(text)
            if not tags:
                return step
        for i in chosen:
            s = self.strategies[i]
            if s.indicators and s.id not in result.indicated and rx.indicated(i, text, tags):
                result.indicated.add(s.id)
                found = rx.indicator_groups(i, text)
                if found:
                    result.indicator_params[s.id] = found
            if not rx.matched(i, text, tags) or rx.excluded(i, text, excluded):
                continue
            entry = result.matched.get(s.id)
            if entry is None:
                entry = result.matched[s.id] = StrategyHits(s)
            entry.count += 1
            if len(entry.hits) >= MAX_HITS_PER_STRATEGY:
                continue
            groups = rx.groups(i, text)
            if weak is None:
                weak = bool(_WEAK_LINE.match(text)) or (is_noise_step(step) and not text.startswith("##[error]"))
            if after is None:
                after = _lines_after(block, eol, line, self._strip_each)
            entry.hits.append(Hit(line, text, step, groups, weak, after))
        return step


def _mark(result: ScanResult, line: int, block: bytes, eol: int, step: str) -> None:
    if result._window is not None:
        result._window.mark(line, block.rfind(b"\n", 0, eol) + 1, step[:MAX_STEP_CHARS], noise=is_noise_step(step))


def _exit_code(digits: str) -> int:
    """An exit code as the runner printed it; absurd ones (thousands of digits) are clamped."""
    if len(digits.lstrip("-")) > 12:
        return -1 if digits.startswith("-") else 2**31 - 1
    return int(digits)


def _text(raw: bytes, strip_ts: bool = True) -> str:
    """One line as the strategies see it: no timestamp, no trailing white space.

    Only the first 4 * MAX_LINE_CHARS bytes are decoded: nothing reads past MAX_LINE_CHARS, and a
    line may be megabytes long.
    """
    ts = _TS_ONE.match(raw) if strip_ts else None
    start = ts.end() if ts else 0
    raw = raw[start : start + 4 * MAX_LINE_CHARS]
    if b"\x1b" in raw or b"^[[" in raw:
        raw = _ANSI.sub(b"", raw)
    return raw.decode("utf-8", "replace").rstrip()


class _LinePatterns:
    """Every strategy's patterns compiled for one line, by index: what ``Scanner._line`` runs.

    On RE2 when it is installed (and not turned off), so a user's pattern runs in linear time
    whatever it is. ``tags`` are the RE2 set's answer for the line (which strategies' patterns and
    indicators match); without the set (no RE2) one alternation per strategy answers instead.
    """

    def __init__(self, strategies: Sequence[Strategy], use_re2: bool | None) -> None:
        def each(patterns: Sequence[re.Pattern[str]]) -> tuple[regex_engine.LinePattern, ...]:
            return tuple(regex_engine.compile_line(p.pattern, use_re2=use_re2) for p in patterns)

        def anyof(patterns: Sequence[re.Pattern[str]]) -> regex_engine.LinePattern | None:
            if not patterns:
                return None
            alts = "|".join(f"(?:{regex_engine.strip_named_groups(p.pattern)})" for p in patterns)
            return regex_engine.compile_line(alts, use_re2=use_re2)

        self.patterns = [each(s.patterns) for s in strategies]
        self.indicators = [each(s.indicators) for s in strategies]
        self.exclude = [each(s.exclude) for s in strategies]
        # every strategy's exclusions in one RE2 pass per line (None without RE2)
        self._exclude_set = regex_engine.LineSelector(
            ((i, p.pattern) for i, s in enumerate(strategies) for p in s.exclude), use_re2=use_re2, anchored=False
        )
        self._any = [anyof(s.patterns) for s in strategies]
        self._any_indicator = [anyof(s.indicators) for s in strategies]

    def compiled(self) -> list[regex_engine.LinePattern]:
        """Every compiled pattern (for tests: all must run on RE2)."""
        out: list[regex_engine.LinePattern] = []
        for group in (self.patterns, self.indicators, self.exclude):
            for ps in group:
                out.extend(ps)
        out.extend(p for p in self._any + self._any_indicator if p is not None)
        return out

    def matched(self, i: int, text: str, tags: set[object] | None) -> bool:
        if tags is not None:
            return (i, "p") in tags
        rx = self._any[i]
        return rx is not None and rx.match(text) is not None

    def indicated(self, i: int, text: str, tags: set[object] | None) -> bool:
        if tags is not None:
            return (i, "i") in tags
        rx = self._any_indicator[i]
        return rx is not None and rx.match(text) is not None

    def exclusions(self, text: str) -> set[object]:
        """The strategies (indices) one of whose exclusions matches ``text``: one RE2 pass."""
        return self._exclude_set.select(text)

    def excluded(self, i: int, text: str, exclusions: set[object] | None) -> bool:
        """Whether one of strategy ``i``'s exclusions matches ``text``; ``exclusions`` is what
        ``exclusions(text)`` gave, or None to test the patterns one by one (without RE2)."""
        if not self.exclude[i]:
            return False
        if exclusions is None:
            return any(x.search(text) is not None for x in self.exclude[i])
        return i in exclusions

    def groups(self, i: int, text: str) -> dict[str, str]:
        """The named groups of the first of strategy ``i``'s patterns that matches."""
        for p in self.patterns[i]:
            m = p.match(text)
            if m is not None:
                return {k: v for k, v in m.groupdict().items() if v is not None}
        return {}

    def indicator_groups(self, i: int, text: str) -> dict[str, str]:
        for p in self.indicators[i]:
            m = p.match(text)
            if m is not None:
                return {k: v for k, v in m.groupdict().items() if v}
        return {}


def _lines_after(block: bytes, eol: int, line: int, strip_ts: bool) -> tuple[EvidenceLine, ...]:
    out: list[EvidenceLine] = []
    pos = eol + 1
    for i in range(1, CONTEXT_AFTER + 1):
        if pos >= len(block):
            break
        nxt = block.find(b"\n", pos)
        if nxt < 0:
            nxt = len(block)
        out.append(EvidenceLine(line + i, _text(block[pos:nxt], strip_ts)[:MAX_LINE_CHARS]))
        pos = nxt + 1
    return tuple(out)


_RARE_MARKERS = tuple(m.encode() for m in _MARKERS[1:])


def _marker_pattern(strategies: Sequence[Strategy]) -> re.Pattern[bytes]:
    """What finds ``##[`` for ``_marker_lines``: one literal-led pattern, which ``re`` searches in
    C. It leaves out the lines that could not change a scan, the commonest ones in a job log: a
    ``##[group]`` whose title cannot start a step (its first byte is printable ASCII, neither a
    space nor the R of ``Run`` or the P of ``Post Run``: ``Scanner._line`` ignores it) and a bare
    ``##[endgroup]`` line, unless a pattern or indicator of ``strategies`` matches that text."""
    skip = [rb"group\][!-OQS-~]"]
    if not any(p.match("##[endgroup]") for s in strategies for p in (*s.patterns, *s.indicators)):
        skip.append(rb"endgroup\]\n")
    return re.compile(rb"##\[(?!" + b"|".join(skip) + rb")")


def _marker_lines(block: bytes, markers: re.Pattern[bytes], timestamps: bool) -> list[tuple[int, int]]:
    """The spans (start, end without the newline) of the lines of ``block`` that start with a
    runner marker (``##[``, ``Post job cleanup.``, ``Cleaning up orphan processes``), after the
    runner's timestamp when ``timestamps``; ``markers`` is ``_marker_pattern``'s. The marker
    search runs in C: one pass of ``markers`` and one ``bytes.find`` per rare marker; only the
    hits reach Python."""
    spots = [m.start() for m in markers.finditer(block)]
    for needle in _RARE_MARKERS:
        at = block.find(needle)
        if at >= 0:
            while at >= 0:
                spots.append(at)
                at = block.find(needle, at + 1)
            spots.sort()
    out: list[tuple[int, int]] = []
    for at in spots:
        start = block.rfind(b"\n", 0, at) + 1
        if at != start:  # only at a line's start, after the runner's timestamp if there is one
            if not timestamps:
                continue
            ts = _TS_ONE.match(block, start, at)
            if ts is None or ts.end() != at:
                continue
        stop = block.find(b"\n", at)
        out.append((start, stop if stop >= 0 else len(block)))
    return out


def iter_blocks(stream: BinaryIO) -> Iterator[bytes]:
    """The log in blocks of whole lines of about ``BLOCK_BYTES`` (tests make them smaller)."""
    return logsource.iter_blocks(stream, BLOCK_BYTES)


def _look_ahead(blocks: Iterator[bytes], limit: int) -> tuple[Iterator[bytes], bool]:
    """``blocks`` again, and whether they hold at most ``limit`` bytes: the blocks up to ``limit``
    (and one more) are read first and held, no more memory than one block of that size."""
    held: deque[bytes] = deque()
    size = 0
    for block in blocks:
        held.append(block)
        size += len(block)
        if size > limit:
            break

    def again() -> Iterator[bytes]:
        while held:
            yield held.popleft()
        yield from blocks

    return again(), size <= limit


class _MultiFinder:
    """``find(block, pos)`` over several alternations: the earliest match of any (each one's next
    match is kept for the block, so every byte is read once per alternation)."""

    def __init__(self, finders: Sequence[regex_engine.Finder]) -> None:
        self._finders = tuple(finders)
        self._block: bytes | None = None
        self._next: list[tuple[int, int] | None] = []

    def __call__(self, block: bytes, pos: int) -> tuple[int, int] | None:
        if block is not self._block:
            self._block = block
            self._next = [(-1, -1)] * len(self._finders)
        best: tuple[int, int] | None = None
        for k, find in enumerate(self._finders):
            span = self._next[k]
            if span is not None and span[0] < pos:
                span = self._next[k] = find(block, pos)
            if span is not None and (best is None or span[0] < best[0]):
                best = span
        return best
