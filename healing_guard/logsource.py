"""Where a log comes from: a file, a gzip file, a run-logs zip, or standard input.

A ``LogInput`` opens a binary stream; nothing here reads a whole log into memory.
"""

from __future__ import annotations

import gzip
import io
import re
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from .errors import LogInputError
from .files import special_kind

_JOB_FILE = re.compile(r"^(?P<n>\d+)_(?P<job>.+)\.txt$")
_STEP_FILE = re.compile(r"^(?P<n>\d+)_(?P<step>.+)\.txt$")
_SNIFF = 64 * 1024
#: A line longer than this is handed on in pieces rather than held in memory whole.
MAX_LINE_BYTES = 64 << 20
#: What reading or opening a (possibly compressed or archived) log can raise for bad input.
_READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error)
#: The most a compressed log (a .gz, or all the members of one .zip together) may expand to. Real job
#: logs compress about tenfold; a "zip bomb" expands a thousandfold or more and would keep the scanner
#: busy for hours. Plain files are as large as they are on disk.
MAX_DECOMPRESSED_BYTES = 2 << 30


class _Budget:
    """The decompressed bytes left to one .gz or .zip, shared by the streams opened from it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.left = MAX_DECOMPRESSED_BYTES

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            limit = MAX_DECOMPRESSED_BYTES / (1 << 30)
            raise LogInputError(
                f"{self.name}: expands to more than {limit:g} GiB when decompressed, more than a job log "
                "ever is; this looks like a decompression bomb, so it was not read further. Pass the "
                "plain text log if it really is that large"
            )


class _Capped(io.RawIOBase):
    """A read-only stream that stops with :class:`LogInputError` once its budget is spent."""

    def __init__(self, inner: BinaryIO, budget: _Budget) -> None:
        super().__init__()
        self._inner = inner
        self._budget = budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        self._budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        data = self._inner.read(-1 if size is None else size)
        self._budget.spend(len(data))
        return data

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _capped(inner: BinaryIO, budget: _Budget) -> BinaryIO:
    return cast(BinaryIO, _Capped(inner, budget))


@dataclass(frozen=True)
class LogInput:
    """One log to diagnose. ``job`` and ``step`` are known when an archive's names tell them."""

    name: str
    opener: Callable[[], BinaryIO]
    job: str | None = None
    step: str | None = None

    def open(self) -> BinaryIO:
        try:
            return self.opener()
        except (*_READ_ERRORS, KeyError, RuntimeError, NotImplementedError) as exc:
            # a zip member with a broken header, an encrypted or unsupported one, a file gone since
            raise LogInputError(f"{self.name}: cannot be opened ({exc})") from exc


def _looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head:
        return True
    # Control bytes other than tab/newline/CR/ESC/form feed/backspace are rare in text logs.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13, 27, 12, 8))
    return controls > len(head) * 0.1


def check_text(head: bytes, name: str) -> None:
    """Refuse empty and binary input with a message a person can act on."""
    if not head:
        raise LogInputError(f"{name}: the log is empty; there is nothing to diagnose")
    if _looks_binary(head):
        raise LogInputError(
            f"{name}: this looks like a binary file, not a text log (it has NUL or control bytes "
            "near the start); pass the job's text log, a .gz of it, or a run-logs .zip"
        )


def _zip_inputs(path: Path) -> list[LogInput]:
    try:
        archive = zipfile.ZipFile(path)
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise LogInputError(f"{path}: not a readable zip archive ({exc})") from exc

    budget = _Budget(str(path))

    def opener(member: str) -> Callable[[], BinaryIO]:
        return lambda: _capped(cast(BinaryIO, zipfile.ZipFile(path).open(member)), budget)

    jobs = sorted(
        (m for m in names if "/" not in m and _JOB_FILE.match(m)),
        key=lambda m: (int(_JOB_FILE.match(m).group("n")), m),  # type: ignore[union-attr]
    )
    if jobs:
        return [
            LogInput(f"{path}!{m}", opener(m), job=_JOB_FILE.match(m).group("job"))  # type: ignore[union-attr]
            for m in jobs
        ]
    steps = [m for m in names if m.count("/") == 1 and _STEP_FILE.match(m.split("/")[1])]
    if not steps:
        raise LogInputError(f"{path}: no job logs in this archive (expected '<N>_<job>.txt' files)")

    def step_key(member: str) -> tuple[str, int]:
        job, leaf = member.split("/")
        return job, int(_STEP_FILE.match(leaf).group("n"))  # type: ignore[union-attr]

    out = []
    for m in sorted(steps, key=step_key):
        job, leaf = m.split("/")
        out.append(LogInput(f"{path}!{m}", opener(m), job=job, step=_STEP_FILE.match(leaf).group("step")))  # type: ignore[union-attr]
    return out


def expand(path: str) -> list[LogInput]:
    """The logs a command-line PATH stands for ('-' is standard input)."""
    if path == "-":
        data = sys.stdin.buffer

        def stdin() -> BinaryIO:
            if data.closed:  # the scanner closes what it read
                raise LogInputError("<stdin>: standard input was already read (is '-' given twice?)")
            return data

        return [LogInput("<stdin>", stdin)]
    p = Path(path)
    try:
        kind = special_kind(p)
    except FileNotFoundError:
        raise LogInputError(f"{path}: no such file") from None
    except OSError as exc:
        raise LogInputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if kind == "a directory":
        raise LogInputError(f"{path}: is a folder; pass a log file, a .gz, a run-logs .zip or '-'")
    if kind is not None:
        # a FIFO blocks until someone writes to it, a device may never end: use '-' for a stream
        raise LogInputError(
            f"{path}: is {kind}, not a regular file; pass a log file, a .gz, a run-logs .zip, "
            "or '-' to read standard input"
        )
    try:
        with p.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise LogInputError(f"{path}: cannot be read ({exc.strerror})") from exc
    if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
        return _zip_inputs(p)
    if magic.startswith(b"\x1f\x8b"):
        return [LogInput(str(p), lambda: _capped(cast(BinaryIO, gzip.open(p, "rb")), _Budget(str(p))))]
    return [LogInput(str(p), lambda: p.open("rb"))]


def from_text(text: str, name: str = "<text>", *, job: str | None = None) -> LogInput:
    """A log held in memory (tests, the API layer after a download).

    Lone surrogates (text decoded with ``surrogateescape``, or cut from JSON) are kept as the bytes
    they stand for; the reader then treats them as invalid UTF-8, like any other.
    """
    data = text.encode("utf-8", "surrogatepass")
    return LogInput(name, lambda: io.BytesIO(data), job=job)


def from_bytes(data: bytes, name: str, *, job: str | None = None) -> LogInput:
    return LogInput(name, lambda: io.BytesIO(data), job=job)


def iter_blocks(stream: BinaryIO, size: int = 4 << 20) -> Iterator[bytes]:
    """Blocks of whole lines (the last may lack a newline); a bare CR is kept with its line.

    Each block is copied once: the start of a line carried over from earlier reads is kept in the
    pieces it was read in and joined with the new whole lines (or, for a line longer than a read,
    with the next piece that ends one), so a long line costs linear time however small ``size`` is.
    """
    parts: list[bytes] = []  # the carried start of a line, as read
    held = 0  # its size
    # whether ``parts`` holds no CR but perhaps as the last byte of its last piece (else it is one
    # piece cut after a newline, which may hold a CR anywhere)
    checked = True
    while True:
        try:
            block = stream.read(size)
        except _READ_ERRORS as exc:
            raise LogInputError(f"reading the log failed: {exc}") from exc
        if not block:
            break
        cut = block.rfind(b"\n")
        if cut >= 0:
            out = block if not parts and cut + 1 == len(block) else b"".join((*parts, memoryview(block)[: cut + 1]))
            rest = block[cut + 1 :]
            parts, held, checked = ([rest] if rest else []), len(rest), False
            yield out
            continue
        # no newline: the last CR with something after it ends a line
        cr = block.rfind(b"\r", 0, len(block) - 1)
        if cr >= 0:
            out = b"".join((*parts, memoryview(block)[: cr + 1]))
            rest = block[cr + 1 :]
            parts, held, checked = [rest], len(rest), True
            yield out
            continue
        if parts:  # a CR in what is carried: the new read comes after it
            last = parts[-1]
            j = last.rfind(b"\r") if not checked else (len(last) - 1 if last.endswith(b"\r") else -1)
            if j >= 0:
                out = b"".join((*parts[:-1], memoryview(last)[: j + 1]))
                rest = last[j + 1 :]
                parts = [rest, block] if rest else [block]
                held, checked = len(rest) + len(block), True
                yield out
                continue
        parts.append(block)
        held += len(block)
        checked = True
        if held > MAX_LINE_BYTES:  # a pathological single line: hand it on rather than grow forever
            line = b"".join(parts)
            # keep a final CR back: it may be the first half of a CRLF split between two reads
            keep = 1 if line.endswith(b"\r") else 0
            yield line[: len(line) - keep] if keep else line
            parts, held = ([b"\r"] if keep else []), keep
    if parts:
        yield b"".join(parts)
