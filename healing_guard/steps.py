"""The text of the failing step, kept with bounded memory, and pseudo-steps for plain logs.

The scanner hands every cleaned block to a :class:`StepWindow`; the window keeps only raw bytes of
the current step (its first ``HEAD_BYTES`` and its last ``TAIL_BYTES``), forgets them when the next
step starts and takes a snapshot when a step fails. Nothing here runs per line while scanning: a
block costs one slice, step markers and failures cost one slice each. Lines are decoded only when a
snapshot is read (:meth:`StepText.lines`), i.e. only for failed steps.

Plain logs (other CIs, local runs) have no ``##[group]`` markers: :func:`pseudo_steps` splits a
snapshot at shell traces (``+ cmd``, ``$ cmd``) and tool banners (``> npm run x``, ``[INFO] ---
maven-...``, ``> Task :x``) so that the later layers can read the command that was running.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from .models import EvidenceLine

HEAD_BYTES = 128 * 1024
TAIL_BYTES = 384 * 1024
MAX_SNAPSHOTS = 6
MAX_LINE_CHARS = 2000

_TS = re.compile(rb"(?m)^(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
#: colour codes written out as text (``^[[31m``), as some copied logs have them
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\^\[\[(?:[0-9;]+[A-HJKSTfm]|[mK])")
_CARET_ANSI = re.compile(rb"\^\[\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class StepText:
    """A snapshot of one step: its title, exit code and the kept bytes, each chunk with its first line."""

    step: str | None
    exit_code: int | None
    chunks: tuple[tuple[int, bytes], ...]
    failed: bool = True
    end_line: int = 0
    #: whether the runner's timestamps are still in the bytes (the scanner strips them from whole
    #: blocks on some paths: then a timestamp at a line's start is the program's own and stays)
    timestamped: bool = True

    @property
    def size(self) -> int:
        return sum(len(c) for _, c in self.chunks)

    def lines(self) -> list[EvidenceLine]:
        """The kept lines, decoded and cleaned (no timestamp, no trailing white space)."""
        out: list[EvidenceLine] = []
        for first, data in self.chunks:
            if self.timestamped:
                data = _TS.sub(b"", data)
            if b"\x1b" in data:  # (a windowed scan leaves colour codes in the window's bytes)
                data = _ANSI.sub(b"", data)
            if b"^[[" in data:
                data = _CARET_ANSI.sub(b"", data)
            parts = data.decode("utf-8", "replace").split("\n")
            if data.endswith(b"\n"):
                parts.pop()  # the empty string after the last newline is not a line
            out.extend(EvidenceLine(first + i, line.rstrip()[:MAX_LINE_CHARS]) for i, line in enumerate(parts))
        return out


@dataclass
class _Segment:
    step: str | None
    noise: bool = False
    head: list[tuple[int, bytes]] = field(default_factory=list)
    head_size: int = 0
    #: the tail's chunks, each with the number of the line that follows it (its end): what a chunk's
    #: first line is gets counted only when a snapshot is taken, and trimming its front changes nothing
    tail: deque[tuple[int, bytes]] = field(default_factory=deque)
    tail_size: int = 0
    #: a part of the current block not copied yet: start and end offsets, their line numbers
    part: tuple[int, int, int, int] | None = None

    def add(self, next_line: int, data: bytes) -> None:
        """Append to the tail (the head is filled by the window), keeping its last TAIL_BYTES;
        ``next_line`` is the number of the line that starts where ``data`` ends."""
        self.tail.append((next_line, data))
        self.tail_size += len(data)
        self._trim()

    def _trim(self) -> None:
        while self.tail and self.tail_size - len(self.tail[0][1]) >= TAIL_BYTES:
            self.tail_size -= len(self.tail.popleft()[1])
        if self.tail_size > TAIL_BYTES and self.tail:
            next_line, data = self.tail[0]
            over = self.tail_size - TAIL_BYTES
            cut = data.find(b"\n", over) + 1
            if cut <= 0:
                cut = len(data)
            self.tail[0] = (next_line, data[cut:])
            self.tail_size -= cut
            if not self.tail[0][1]:
                self.tail.popleft()

    def chunks(self) -> tuple[tuple[int, bytes], ...]:
        """The kept bytes, each chunk with its first line."""
        assert self.part is None  # (StepWindow copies it before the block goes)
        return (*self.head, *((end - data.count(b"\n"), data) for end, data in self.tail))


def _put(seg: _Segment, block: bytes, off: int, end: int, off_line: int, end_line: int) -> None:
    """Add ``block[off:end]`` (lines ``off_line`` to the one before ``end_line``) to ``seg``.

    Only what the segment keeps is sliced: the rest of its head while the head is open, and the
    last ``TAIL_BYTES``; nothing is counted (the tail's chunks are numbered from their end)."""
    start = off
    if seg.head_size < HEAD_BYTES:
        stop = min(end, off + HEAD_BYTES - seg.head_size)
        if stop < end:
            stop = block.rfind(b"\n", off, stop) + 1 or off
        if stop > off:
            seg.head.append((off_line, block[off:stop]))
            seg.head_size += stop - off
        if stop < end:
            seg.head_size = HEAD_BYTES  # closed, even when its last line did not fit
        start = stop
    if end > start:
        if end - start > TAIL_BYTES:
            start = block.find(b"\n", end - TAIL_BYTES) + 1 or end
        if end > start:
            seg.add(end_line, block[start:end])


class StepWindow:
    """Bounded bytes of the current step; snapshots of failed steps and of the last real step.

    Call order per block: :meth:`begin_block`, any number of :meth:`mark` / :meth:`fail` with
    offsets into that block in increasing order, then :meth:`end_block`; :meth:`finish` at the end.
    """

    def __init__(self, step: str | None = None, *, noise: bool = False, timestamped: bool = True) -> None:
        self._seg = _Segment(step, noise)
        self._timestamped = timestamped
        self._block = b""
        self._line_base = 0
        self._off = 0  # where the current step's part of this block starts
        self._off_line = 1
        self.failed: list[StepText] = []
        self.dropped = 0  # failed steps beyond MAX_SNAPSHOTS
        self._last_real: tuple[_Segment, int] | None = None

    def begin_block(self, block: bytes, line_base: int) -> None:
        self._block = block
        self._line_base = line_base
        self._off = 0
        self._off_line = line_base + 1

    def _take(self, end: int, line: int) -> None:
        """Move this block's bytes up to ``end`` (the start of ``line``) into the current segment."""
        if end > self._off:
            _put(self._seg, self._block, self._off, end, self._off_line, line)
        self._off = max(self._off, end)
        self._off_line = line

    def mark(self, line: int, start: int, step: str | None, *, noise: bool) -> None:
        """A new step starts with ``line`` (at offset ``start`` of the block)."""
        seg = self._seg
        part = (self._off, start, self._off_line, line) if start > self._off else None
        if not seg.noise and (seg.head or seg.tail or part):
            # it may be the last real step: its part of this block is kept by its offsets, and
            # copied only if it still is when the block ends (most steps are followed by another)
            seg.part = part
            self._last_real = (seg, line - 1)
        self._off = max(self._off, start)
        self._off_line = line
        self._seg = _Segment(step, noise)

    def fail(self, line: int, eol: int, step: str | None, code: int | None) -> StepText:
        """The current step failed; ``eol`` is the end of its ``Process completed`` line. Returns
        the snapshot (kept in ``failed`` up to ``MAX_SNAPSHOTS``)."""
        if eol < len(self._block):
            self._take(eol + 1, line + 1)
        else:  # the log's last line, without a newline: the bytes end inside ``line``
            self._take(len(self._block), line)
        snap = StepText(
            step if step is not None else self._seg.step, code, self._seg.chunks(), True, line, self._timestamped
        )
        if len(self.failed) >= MAX_SNAPSHOTS:
            self.dropped += 1
        else:
            self.failed.append(snap)
        return snap

    def end_block(self, next_line: int | None = None) -> None:
        """The block is scanned; ``next_line`` is the number of the line after it (counted if not given)."""
        if next_line is None:
            next_line = self._line_base + self._block.count(b"\n") + 1
        if self._last_real is not None and self._last_real[0].part is not None:
            seg = self._last_real[0]
            assert seg.part is not None
            _put(seg, self._block, *seg.part)
            seg.part = None
        self._take(len(self._block), next_line)
        self._block = b""

    def finish(self, last_line: int) -> StepText | None:
        """The last step that was not runner set-up or cleanup, up to the end of the log."""
        seg, end = (self._seg, last_line) if self._seg.head or self._seg.tail else (None, 0)
        if seg is not None and seg.noise and self._last_real is not None:
            seg, end = self._last_real
        if seg is None and self._last_real is not None:
            seg, end = self._last_real
        if seg is None:
            return None
        return StepText(seg.step, None, seg.chunks(), False, end, self._timestamped)


# -- pseudo-steps of plain logs ------------------------------------------------------------------

_TRACE = re.compile(
    r"^(?:\+{1,3} (?P<sh>\S.*)"  # bash -x
    r"|\$ (?P<dollar>\S.*)"  # Travis, GitLab, docs
    r"|\[[^\]\n]{1,100}\] \$ (?P<jenkins>\S.*)"  # Jenkins: "[workspace] $ /bin/sh -xe /tmp/jenkins1.sh"
    r"|> (?P<npm>(?:[\w@./-]+@[\w.-]+ )?\S.*)"  # npm run banner: "> pkg@1.0 test" then "> jest"
    r"|\[INFO\] --- (?P<mvn>[\w.-]+:[\w.-]+:[\w.-]+)"  # maven plugin banner
    r"|> Task (?P<gradle>:\S+)"  # gradle task
    r"|==> (?P<arrow>\S.*)"
    r"|Run (?P<run>\S.*)"  # a step header copied from the web view
    r")"
)


@dataclass(frozen=True)
class PseudoStep:
    """A run of lines that one command printed."""

    command: str
    start: int  # index into the lines list
    stop: int


def pseudo_steps(lines: Sequence[EvidenceLine]) -> list[PseudoStep]:
    """Split lines at shell traces and tool banners; the first step has an empty command."""
    out: list[PseudoStep] = []
    command = ""
    start = 0
    for i, e in enumerate(lines):
        t = e.text
        if not t or t[0] not in "+$>[=R":
            continue
        m = _TRACE.match(t)
        if m is None:
            continue
        cmd = next(v for v in m.groups() if v is not None)
        if i > start:
            out.append(PseudoStep(command, start, i))
        command, start = cmd.strip(), i
    out.append(PseudoStep(command, start, len(lines)))
    return out
