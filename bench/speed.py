"""Speed and memory of the classifier on a large job log, against ``grep -E -c -f`` as the reference.

One process, one run:

1. Builds a job log of ``--size-mb`` MiB (default 100) in a temporary folder: the runner preamble of
   a real pytorch/pytorch job, then the step output of ``<corpus>/pytorch-full-logs/*.txt``
   repeated (their ``##[error]`` annotations left out), then the real failing step of the first log
   with its ``##[error]Process completed with exit code 1.`` and the post-job steps. The only exit
   code annotation is near the end, so the scanner has to read the whole file (checked after each
   run). Without the corpus a synthetic log of the same shape is generated.
2. Reference: ``LC_ALL=C grep -E -c -f PATTERNS LOG`` (and, scaled from a 10 MiB log because it is
   ~20x slower, the same in ``C.UTF-8``). PATTERNS holds what the scanner's combined prefilter
   holds (its 4 structure patterns, every pattern and indicator of the enabled catalogue)
   translated from Python syntax to POSIX ERE, as printed in the report. grep must accept the file
   (exit status 0 or 1, nothing on stderr, in both locales); patterns it cannot take are dropped and
   counted. ``grep -F`` with a string no line holds gives grep's raw reading speed for scale.
   ``LC_ALL=C grep -E -i -c -f bench/keywords.txt`` is what a user would otherwise run: about 60
   failure keywords, case-insensitive; the ratio "ours / keywords" (wall and CPU) is the speed target.
3. Ours: the classifier (``Classifier.diagnose`` as two calls, scan then diagnose_scan) with
   ``use_re2=True`` and ``use_re2=False``, and with Hyperscan as the prefilter when the
   ``hyperscan`` package is importable (an experiment that lives only in this script), each timed
   with ``time.perf_counter`` over ``--repeats`` runs (median), with the CPU time beside it (the
   process's own, or grep's as a child): on a shared machine wall time measures the neighbours too.
   Ratio "ours / grep" < 1.0 means faster than grep. Whatever takes longer than ``--slow-limit`` is run once.
4. Fresh processes (``--fresh N``, default 3): the re2 analysis in a new process each time, as the
   action runs it (RE2's DFA states, the allocator's pages and every cache start cold), each right
   after a keyword grep so that both see the same load; the median CPU ratio is reported, with the
   interpreter's start-up and the classifier's build beside it (not counted in the ratio).
5. Memory: peak RSS (``VmHWM`` from /proc/self/status) of a child process that diagnoses logs of
   ``--mem-sizes`` MiB (default 10, 100, 300), next to a child that only builds the classifier.

Usage::

    python bench/speed.py [--size-mb 100] [--repeats 3] [--quick] [--json] [--profile] [--keep]
                          [--mem-sizes 10,100,300] [--engines re2,re,hyperscan] [--corpus PATH]
                          [--grep-max-mb N] [--utf8-max-mb N] [--re-max-mb N] [--no-utf8] [--fresh N]
    python bench/speed.py --window-check   # only: what windowing from the first line changes on real logs

A full run takes about half an hour on 2 cores, most of it grep and the ``re`` engine;
``--re-max-mb 5 --grep-max-mb 20`` times those two on smaller logs and scales them. ``--quick`` is the
CI smoke variant (20 MiB, one run each, grep on 5 MiB and ``re`` on 0.25 MiB scaled, no UTF-8 grep,
memory at 5 and 20 MiB): under 30 s. ``--json`` prints the results as JSON on stdout and the table
on stderr. ``--corpus`` defaults to ``../shared/corpus`` beside the repository.
"""

from __future__ import annotations

import argparse
import bisect
import cProfile
import hashlib
import importlib
import io
import json
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from healing_guard import regex_engine  # noqa: E402
from healing_guard import scanner as scanner_module  # noqa: E402
from healing_guard.catalogue import load_catalogue  # noqa: E402
from healing_guard.classify import Classifier  # noqa: E402
from healing_guard.logsource import expand  # noqa: E402
from healing_guard.models import Diagnosis  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
# What a user would otherwise run: about 60 failure keywords, case-insensitive (grep -E -i -c -f).
KEYWORDS = Path(__file__).resolve().parent / "keywords.txt"
MIB = 1 << 20
# What grep sees in front of each line and the scanner strips: the runner's timestamp.
TS_PREFIX = "^([0-9TZ:.-]+ )?"
_TS = re.compile(rb"^(?:\xef\xbb\xbf)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The log


@dataclass
class LogParts:
    """Pieces a big log is assembled from (lines without their newline)."""

    source: str
    preamble: list[bytes]
    body: list[bytes]
    tail: list[bytes]


def _text(line: bytes) -> bytes:
    return _TS.sub(b"", line, count=1)


def corpus_parts(corpus: Path) -> LogParts | None:
    """Preamble, repeatable step output and failing tail from the real pytorch job logs."""
    files = sorted((corpus / "pytorch-full-logs").glob("*.txt"))
    if not files:
        return None
    preamble: list[bytes] = []
    body: list[bytes] = []
    tail: list[bytes] = []
    for path in files:
        lines = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        if lines and not _TS.match(lines[0]):
            lines = lines[1:]  # a log cut from the middle starts with half a line
        texts = [_text(line) for line in lines]
        # the runner's "Set up job" preamble, when the file has one (a log cut from its end has not)
        has_preamble = bool(texts) and texts[0].startswith(b"Current runner version")
        first_step = next((i for i, t in enumerate(texts) if t.startswith(b"##[group]Run ")), 0) if has_preamble else 0
        cleanup = next((i for i, t in enumerate(texts) if t.startswith(b"Post job cleanup.")), len(lines))
        if not preamble and first_step:
            preamble = lines[:first_step]
        body.extend(
            line
            for line, t in zip(lines[first_step:cleanup], texts[first_step:cleanup], strict=True)
            if not t.startswith(b"##[error]")
        )
        errors = [i for i, t in enumerate(texts) if t.startswith(b"##[error]Process completed with exit code")]
        if not tail and errors:
            start = max((i for i in range(errors[-1]) if texts[i].startswith(b"##[group]Run ")), default=errors[-1])
            tail = lines[start:]
    if not body:
        return None
    if not tail:
        tail = synthetic_parts().tail
    names = ", ".join(p.name for p in files)
    return LogParts(f"{corpus / 'pytorch-full-logs'} ({names})", preamble, body, tail)


def synthetic_parts() -> LogParts:
    """A generated job log of the same shape, for checkouts without the corpus."""
    rng = random.Random(1234)

    def ts(i: int) -> bytes:
        return f"2024-07-08T16:{(i // 60000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 10_000_000:07d}Z ".encode()

    preamble = [
        ts(i) + t
        for i, t in enumerate(
            [
                b"Current runner version: '2.317.0'",
                b"Runner name: 'runner-1'",
                b"##[group]Operating System",
                b"Ubuntu",
                b"22.04.4",
                b"LTS",
                b"##[endgroup]",
                b"Prepare workflow directory",
            ]
        )
    ]
    body: list[bytes] = []
    pkgs = ["numpy", "requests", "urllib3", "torch", "pyyaml", "jinja2", "pytest", "hypothesis"]
    for i in range(20_000):
        k = rng.random()
        if k < 0.01:
            body.append(ts(i) + b"##[group]Run python -m pytest test/test_" + str(i).encode() + b".py")
        elif k < 0.3:
            p = rng.choice(pkgs)
            body.append(ts(i) + f"  Downloading {p}-1.{i % 30}.0-py3-none-any.whl ({i % 900} kB)".encode())
        elif k < 0.7:
            body.append(ts(i) + f"test/test_mod{i % 97}.py::TestCase::test_case_{i} PASSED [{i % 100:3d}%]".encode())
        elif k < 0.8:
            body.append(ts(i) + b"\x1b[36;1mpython -m pip install -e .\x1b[0m")
        elif k < 0.85:
            body.append(
                ts(i)
                + b'  File "/opt/conda/lib/python3.10/site-packages/torch/nn/modules/module.py", line '
                + str(i % 2000).encode()
                + b", in _call_impl"
            )
        elif k < 0.86:
            body.append(ts(i) + b"WARNING: Retrying (Retry(total=4)) after connection broken by 'ReadTimeoutError'")
        else:
            body.append(ts(i) + b"+ echo 'x' " + b"y" * rng.randint(10, 200))
    tail = [
        ts(9) + t
        for t in [
            b"##[group]Run python -m pytest test/test_ops.py",
            b"##[endgroup]",
            b"=========================== short test summary info ============================",
            b"FAILED test/test_ops.py::TestOps::test_add - AssertionError: 1 != 2",
            b"========================= 1 failed, 2079 passed in 512.3s =========================",
            b"##[error]Process completed with exit code 1.",
            b"Post job cleanup.",
            b"Cleaning up orphan processes",
        ]
    ]
    return LogParts("synthetic (no corpus found)", preamble, body, tail)


@dataclass
class BuiltLog:
    path: str
    bytes: int
    lines: int
    body_copies: float
    tail_first_line: int


def build_log(parts: LogParts, size: int, path: Path) -> BuiltLog:
    """Write preamble + body repeated + tail, about ``size`` bytes, the failure in the tail."""
    head = b"".join(line + b"\n" for line in parts.preamble)
    unit = b"".join(line + b"\n" for line in parts.body)
    end = b"".join(line + b"\n" for line in parts.tail)
    unit_lines = len(parts.body)
    room = max(0, size - len(head) - len(end))
    copies, rest = divmod(room, len(unit))
    cut = unit.rfind(b"\n", 0, rest) + 1
    written = len(head)
    lines = len(parts.preamble)
    with path.open("wb") as fh:
        fh.write(head)
        for _ in range(copies):
            fh.write(unit)
        fh.write(unit[:cut])
        fh.write(end)
    written += copies * len(unit) + cut + len(end)
    lines += copies * unit_lines + unit[:cut].count(b"\n")
    tail_first = lines + 1
    lines += len(parts.tail)
    return BuiltLog(str(path), written, lines, copies + cut / len(unit), tail_first)


# --------------------------------------------------------------------------------------------
# Python regex syntax -> POSIX ERE (GNU grep)


class Untranslatable(ValueError):
    """A construct grep -E has no equivalent for."""


_ERE_SPECIAL = frozenset(".[]()*+?{}|^$\\")
_CLASS_ESCAPES = {"d": "0-9", "s": "[:space:]", "w": "[:alnum:]_"}
_QUANT = re.compile(r"\{(?=[\d,])(\d*)(,?)(\d*)\}")
_NAMED = re.compile(r"\(\?P<[A-Za-z_]\w*>")
_FLAGS = re.compile(r"\(\?([aiLmsux]*)(?:-([imsx]*))?:")


def _literal(ch: str, icase: bool) -> str:
    if icase and ch.isascii() and ch.isalpha():
        return f"[{ch.lower()}{ch.upper()}]"
    return "\\" + ch if ch in _ERE_SPECIAL else ch


def _escaped_char(p: str, i: int) -> tuple[str, int]:
    """The character that the escape at ``p[i] == '\\'`` stands for, and where it ends."""
    if i + 1 >= len(p):
        raise Untranslatable("trailing backslash")
    e = p[i + 1]
    simple = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
    if e in simple:
        return simple[e], i + 2
    if e == "x":
        return chr(int(p[i + 2 : i + 4], 16)), i + 4
    if e in "uU":
        width = 4 if e == "u" else 8
        return chr(int(p[i + 2 : i + 2 + width], 16)), i + 2 + width
    if e.isalnum():
        raise Untranslatable(f"escape \\{e}")
    return e, i + 2


def _bracket(p: str, i: int, icase: bool) -> tuple[str, int]:
    """Translate the character class that starts at ``p[i] == '['``."""
    j = i + 1
    negate = j < len(p) and p[j] == "^"
    if negate:
        j += 1
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    classes: list[str] = []
    first = True
    while True:
        if j >= len(p):
            raise Untranslatable("unterminated [")
        c = p[j]
        if c == "]" and not first:
            j += 1
            break
        first = False
        if c == "\\" and j + 1 < len(p) and p[j + 1] in _CLASS_ESCAPES:
            classes.append(_CLASS_ESCAPES[p[j + 1]])
            j += 2
            continue
        if c == "\\" and j + 1 < len(p) and p[j + 1] in "DSWb":
            raise Untranslatable(f"\\{p[j + 1]} inside [...]")
        lo, j = _escaped_char(p, j) if c == "\\" else (c, j + 1)
        if j + 1 < len(p) and p[j] == "-" and p[j + 1] != "]":
            hi, j = _escaped_char(p, j + 1) if p[j + 1] == "\\" else (p[j + 1], j + 2)
            if {lo, hi} & set("[]^-") or not (lo.isascii() and hi.isascii()):
                raise Untranslatable(f"range {lo}-{hi}")
            ranges.append((lo, hi))
            continue
        chars.add(lo)
    if icase:
        chars |= {ch.swapcase() for ch in chars if ch.isascii() and ch.isalpha()}
        for lo, hi in list(ranges):
            if lo.isalpha() and hi.isalpha() and lo.islower() == hi.islower():
                ranges.append((lo.swapcase(), hi.swapcase()))
    chars.discard("\n")  # a grep line never holds a newline
    wide = sorted(ch for ch in chars if not ch.isascii())
    chars -= set(wide)
    if wide and negate:
        raise Untranslatable("negated class with non-ASCII characters")
    body = "]" if "]" in chars else ""
    body += "".join(f"{lo}-{hi}" for lo, hi in ranges) + "".join(classes)
    body += "".join(sorted(ch for ch in chars if ch not in "[]^-"))
    body += "".join(ch for ch in "[^-" if ch in chars)  # '[' only before ^, - or ]: never [: [. [=
    if not negate and not ranges and not classes and len(chars) <= 1:
        narrow = [_literal(ch, False) for ch in chars]
    elif body:
        if body == "^":
            body = "^]" if "]" in chars else "\\^"
            narrow = [body if body == "\\^" else f"[{body}"]
        else:
            narrow = [f"[{'^' if negate else ''}{body}]"]
    else:
        narrow = []
    options = narrow + wide  # multi-byte characters as alternatives: a bracket holds bytes in the C locale
    if not options:
        raise Untranslatable("empty class")
    return (options[0] if len(options) == 1 else "(" + "|".join(options) + ")"), j


def _translate(p: str) -> str:
    out: list[str] = []
    stack: list[bool] = []
    icase = False
    i = 0
    n = len(p)
    while i < n:
        c = p[i]
        if c == "\\":
            e = p[i + 1] if i + 1 < n else ""
            if e == "d":
                out.append("[0-9]")
                i += 2
            elif e == "D":
                out.append("[^0-9]")
                i += 2
            elif e and e in "sSwWbB":
                out.append("\\" + e)
                i += 2
            elif e == "A":
                out.append("^")
                i += 2
            elif e in ("Z", "z"):
                out.append("$")
                i += 2
            else:
                ch, i = _escaped_char(p, i)
                if ch == "\n":
                    raise Untranslatable("\\n (grep lines have no newline)")
                out.append(_literal(ch, icase))
        elif c == "[":
            piece, i = _bracket(p, i, icase)
            out.append(piece)
        elif c == "(":
            stack.append(icase)
            out.append("(")
            if p.startswith("(?:", i):
                i += 3
            elif m := _NAMED.match(p, i):
                i = m.end()
            elif m := _FLAGS.match(p, i):
                on, off = m.group(1), m.group(2) or ""
                if set(on + off) - {"i"}:
                    raise Untranslatable(f"inline flags (?{on}-{off}:...)")
                icase = "i" in on or (icase and "i" not in off)
                i = m.end()
            elif p.startswith("(?", i):
                raise Untranslatable(f"group {p[i : i + 4]!r}...")
            else:
                i += 1
        elif c == ")":
            if not stack:
                raise Untranslatable("unbalanced )")
            icase = stack.pop()
            out.append(")")
            i += 1
        elif c in "*+?" or (c == "{" and _QUANT.match(p, i)):
            m = _QUANT.match(p, i) if c == "{" else None
            if m:
                lo, comma, hi = m.groups()
                out.append("{" + (lo or "0") + comma + hi + "}")
                i = m.end()
            else:
                out.append(c)
                i += 1
            if i < n and p[i] == "?":
                i += 1  # lazy -> greedy: whether a line matches does not change
            elif i < n and p[i] == "+":
                raise Untranslatable("possessive quantifier")
        elif c in ".^$|":
            out.append(c)
            i += 1
        elif c == "{":
            out.append("\\{")
            i += 1
        elif c == "}":
            out.append("}")
            i += 1
        else:
            out.append(_literal(c, icase))
            i += 1
    if stack:
        raise Untranslatable("unbalanced (")
    return "".join(out)


def _top_level_alternatives(p: str) -> list[str]:
    """Split at the ``|`` that are outside any group or class."""
    parts: list[str] = []
    depth = 0
    start = 0
    i = 0
    while i < len(p):
        c = p[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # skip the class: a ']' right after '[' or '[^' is a literal
            i += 1
            if i < len(p) and p[i] == "^":
                i += 1
            if i < len(p) and p[i] == "]":
                i += 1
            while i < len(p) and p[i] != "]":
                i += 2 if p[i] == "\\" else 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(p[start:i])
            start = i + 1
        i += 1
    parts.append(p[start:])
    return parts


def to_ere(pattern: str) -> list[str]:
    """grep -E lines (OR-ed, like one ``-f`` file) for one Python pattern; raises Untranslatable.

    A ``^``-anchored alternative gets the optional timestamp prefix grep sees and the scanner
    strips: ``^pat`` -> ``^([0-9TZ:.-]+ )?pat``.
    """
    lines = []
    for alt in _top_level_alternatives(pattern):
        if alt.startswith("^"):
            lines.append(TS_PREFIX + _translate(alt[1:]))
        elif alt.startswith("\\A"):
            lines.append(TS_PREFIX + _translate(alt[2:]))
        else:
            lines.append(_translate(alt))
    return lines


def scanner_sources() -> list[str]:
    """The patterns the scanner's combined prefilter is made of, in its order (see Scanner.__init__)."""
    sources = list(scanner_module._STRUCTURE)
    for s in load_catalogue().enabled:
        sources.extend(p.pattern for p in s.patterns)
        sources.extend(p.pattern for p in s.indicators)
    return sources


@dataclass
class PatternFile:
    path: str
    python_patterns: int
    unique_python_patterns: int
    grep_lines: int
    dropped: list[dict[str, str]] = field(default_factory=list)
    examples: list[tuple[str, str]] = field(default_factory=list)


def _grep_accepts(lines: Sequence[str], env: dict[str, str]) -> tuple[bool, str]:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".ere", delete=False) as fh:
        fh.write("".join(line + "\n" for line in lines))
    try:
        r = subprocess.run(["grep", "-E", "-c", "-f", fh.name, "/dev/null"], capture_output=True, text=True, env=env)
    finally:
        os.unlink(fh.name)
    return r.returncode in (0, 1) and not r.stderr.strip(), r.stderr.strip()


def write_patterns(sources: Sequence[str], path: Path) -> PatternFile:
    """Translate, then keep only what grep takes without error or warning (in C and C.UTF-8)."""
    unique = list(dict.fromkeys(sources))
    out: list[str] = []
    dropped: list[dict[str, str]] = []
    examples: list[tuple[str, str]] = []
    translated: list[tuple[str, list[str]]] = []
    for p in unique:
        try:
            translated.append((p, to_ere(p)))
        except Untranslatable as exc:
            dropped.append({"pattern": p, "reason": str(exc)})
    envs = [grep_env("C"), grep_env("C.UTF-8")]
    every = [line for _, lines in translated for line in lines]
    if not all(_grep_accepts(every, env)[0] for env in envs):
        kept = []
        for p, lines in translated:
            verdicts = [_grep_accepts(lines, env) for env in envs]
            if all(ok for ok, _ in verdicts):
                kept.append((p, lines))
            else:
                dropped.append({"pattern": p, "reason": "grep: " + "; ".join(e for ok, e in verdicts if not ok)})
        translated = kept
    wanted = ["(?i:", "[\\", "(?P<"]  # one example of each
    for p, lines in translated:
        out.extend(lines)
        hit = next((w for w in wanted if w in p), None)
        if hit:
            wanted.remove(hit)
            examples.append((p, " | ".join(lines)))
    path.write_text("".join(line + "\n" for line in out), encoding="utf-8")
    return PatternFile(str(path), len(sources), len(unique), len(out), dropped, examples)


# --------------------------------------------------------------------------------------------
# Timing


def grep_env(lang: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k != "LANG"}
    env["LC_ALL"] = lang
    return env


@dataclass
class Timing:
    name: str
    runs: list[float]
    note: str = ""
    cpu: list[float] = field(default_factory=list)
    result: str = ""
    size_bytes: int = 0
    extrapolated_from: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.runs) if self.runs else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def cpu_full(self) -> float:
        if self.extrapolated_from:
            return self.cpu_median * self.size_bytes / self.extrapolated_from
        return self.cpu_median

    @property
    def seconds_full(self) -> float:
        """Median for the full log (scaled linearly when measured on a smaller one)."""
        if self.extrapolated_from:
            return self.median * self.size_bytes / self.extrapolated_from
        return self.median

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["median_s"] = self.median
        d["seconds_for_full_log"] = self.seconds_full
        d["cpu_seconds_for_full_log"] = self.cpu_full
        return d


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (grep runs as a child)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(fn: Callable[[], str], repeats: int, slow_limit: float) -> tuple[list[float], str, str, list[float]]:
    runs: list[float] = []
    cpu: list[float] = []
    result = ""
    note = ""
    for k in range(repeats):
        t0 = time.perf_counter()
        c0 = cpu_seconds()
        result = fn()
        runs.append(time.perf_counter() - t0)
        cpu.append(cpu_seconds() - c0)
        if runs[-1] > slow_limit and k + 1 < repeats:
            note = f"first run took {runs[-1]:.0f} s > --slow-limit {slow_limit:.0f} s: not repeated"
            break
    return runs, result, note, cpu


def run_grep(patterns: Path, logfile: str, lang: str, *, fixed: bool = False, icase: bool = False) -> str:
    r = subprocess.run(
        ["grep", "-F" if fixed else "-E", *(["-i"] if icase else []), "-c", "-f", str(patterns), logfile],
        capture_output=True,
        text=True,
        env=grep_env(lang),
    )
    if r.returncode not in (0, 1):
        raise RuntimeError(f"grep failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout.strip() + " matching lines"


def describe(d: Diagnosis) -> str:
    line = d.evidence[0].line if d.evidence else "-"
    return f"{d.strategy} ({d.category}), exit {d.params.get('exit_code')}, root line {line}, step {d.failed_step!r}"


class _HsMatch:
    __slots__ = ("_end", "_start")

    def __init__(self, start: int, end: int) -> None:
        self._start = start
        self._end = end

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class HyperscanSearcher:
    """The scanner's prefilter interface (``search(block, pos)``) on a Hyperscan database.

    Each block is scanned once; every match end is kept, and ``search`` hands back the next one as
    a one-byte match (Hyperscan reports match ends, not starts, unless SOM is asked for). A match
    that runs over several lines (``\\s`` taking a newline) shows only its last line here.
    """

    def __init__(self, sources: Sequence[str]) -> None:
        self.hs: Any = importlib.import_module("hyperscan")
        # like regex_engine.combine: the runner's timestamp may come between the line start and the pattern
        ts = getattr(scanner_module, "_TS", b"").decode()
        lead = f"^(?:{ts})?" if ts else "^"
        exprs = []
        for p in sources:
            body = regex_engine.strip_named_groups(p)
            exprs.append((lead + body[1:] if body.startswith("^") else body).encode())
        base = self.hs.HS_FLAG_MULTILINE
        self.prefilter_only = 0
        self.db = self.hs.Database()
        try:
            self.db.compile(expressions=exprs, ids=list(range(len(exprs))), flags=[base] * len(exprs))
        except self.hs.error:  # find the patterns Hyperscan cannot run exactly; approximate those
            flags = []
            for e in exprs:
                try:
                    self.hs.Database().compile(expressions=[e], ids=[0], flags=[base])
                    flags.append(base)
                except self.hs.error:
                    flags.append(base | self.hs.HS_FLAG_PREFILTER)
                    self.prefilter_only += 1
            self.db.compile(expressions=exprs, ids=list(range(len(exprs))), flags=flags)
        self.scratch = self.hs.Scratch(self.db)
        self._block: bytes | None = None
        self._ends: list[int] = []

    def search(self, string: bytes, pos: int = 0) -> _HsMatch | None:
        if string is not self._block:
            found: list[int] = []

            def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
                found.append(end)

            self.db.scan(string, match_event_handler=on_match, scratch=self.scratch)
            self._ends = sorted(set(found))
            self._block = string
        k = bisect.bisect_left(self._ends, pos + 1)
        if k == len(self._ends):
            return None
        end = self._ends[k]
        return _HsMatch(end - 1, end)


def make_classifier(engine: str) -> tuple[Classifier, str]:
    if engine == "hyperscan":
        clf = Classifier(use_re2=regex_engine.engine_name() == "re2")
        hs = HyperscanSearcher(scanner_sources())
        clf.scanner._prefilter = hs
        note = f"{hs.prefilter_only} patterns compiled in HS_FLAG_PREFILTER mode" if hs.prefilter_only else ""
        return clf, note
    return Classifier(use_re2=engine == "re2"), ""


def hyperscan_available() -> str | None:
    try:
        importlib.import_module("hyperscan")
    except ImportError:
        return None
    try:
        return metadata.version("hyperscan")
    except metadata.PackageNotFoundError:
        return "?"


# --------------------------------------------------------------------------------------------
# Translation check and memory


def agreement(patterns: Path, logfile: Path) -> dict[str, Any]:
    """Lines grep matches vs lines the scanner's prefilter matches (after the scanner's cleaning)."""
    r = subprocess.run(["grep", "-E", "-n", "-f", str(patterns), str(logfile)], capture_output=True, env=grep_env("C"))
    grep_lines = {int(x.split(b":", 1)[0]) for x in r.stdout.splitlines()}
    combined = regex_engine.combine(scanner_sources())
    ours: set[int] = set()
    ansi_lines: set[int] = set()
    for n, raw in enumerate(logfile.read_bytes().split(b"\n"), 1):
        text = _text(raw)
        if b"\x1b" in text:
            ansi_lines.add(n)
            text = _ANSI.sub(b"", text)
        if combined.search(text):
            ours.add(n)
    return {
        "file": str(logfile),
        "both": len(grep_lines & ours),
        "grep_only": len(grep_lines - ours),
        "ours_only": len(ours - grep_lines),
        "differing_lines_with_ansi": len((grep_lines ^ ours) & ansi_lines),
        "examples_grep_only": sorted(grep_lines - ours)[:5],
        "examples_ours_only": sorted(ours - grep_lines)[:5],
    }


def vmhwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def child_main(logfile: str, engine: str) -> None:
    """Run in a fresh interpreter: build the classifier, diagnose, print peak memory as JSON."""
    import resource

    started_cpu = time.process_time()  # the interpreter's start and the imports
    clf, _ = make_classifier(engine)
    built_cpu = time.process_time()
    built = vmhwm_kib()
    t0 = time.perf_counter()
    result = describe(clf.diagnose(expand(logfile)[0])) if logfile != "-" else "(classifier only)"
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - built_cpu
    print(
        json.dumps(
            {
                "vmhwm_kib": vmhwm_kib(),
                "vmhwm_after_build_kib": built,
                "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "startup_cpu_seconds": started_cpu,
                "build_cpu_seconds": built_cpu - started_cpu,
                "result": result,
                "code": code_version(),
            }
        )
    )


def run_child(logfile: str, engine: str) -> dict[str, Any]:
    r = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", logfile, "--engine", engine],
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        raise RuntimeError(f"memory child failed: {r.stderr.strip()[-2000:]}")
    data: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return data


# --------------------------------------------------------------------------------------------
# What windowing costs in accuracy


def window_check(corpus: Path) -> dict[str, Any]:
    """Every fixture and corpus log diagnosed twice: read whole, and windowed from its first line.

    Real logs are all under ``scanner.WHOLE_BYTES``, so the product reads them whole; here the limit
    and the blocks are made tiny (4 KiB) so that each one is read the way a log over the limit is.
    The differences are what a long log loses by being windowed (a hit in a step that passed and is
    not the last one, a param found there, a third evidence line)."""
    import functools

    from healing_guard import logsource
    from healing_guard.scanner import Scanner

    scanner = scanner_module

    paths = sorted((ROOT / "tests" / "fixtures" / "logs").glob("*.log"))
    paths += sorted((corpus / "gha-real" / "logs").glob("*"))
    paths += sorted((corpus / "cidiff").rglob("*.log"))
    paths += sorted((corpus / "pytorch-full-logs").glob("*.txt"))
    windowed = Classifier()
    whole = Classifier()
    whole.scanner = Scanner(whole.catalogue.enabled, windowed=False)

    def key(d: Diagnosis) -> tuple[Any, ...]:
        params = tuple(sorted((k, str(v)) for k, v in d.params.items()))
        return (d.category, d.strategy, round(d.confidence, 3), tuple(e.line for e in d.evidence[:3]), params)

    saved = (scanner.iter_blocks, scanner.WHOLE_BYTES)
    rows: list[dict[str, Any]] = []
    try:
        for path in paths:
            source = expand(str(path))[0]
            scanner.iter_blocks, scanner.WHOLE_BYTES = saved
            b = whole.diagnose(source)
            scanner.iter_blocks = functools.partial(logsource.iter_blocks, size=4096)
            scanner.WHOLE_BYTES = 4096
            a = windowed.diagnose(source)
            if key(a) != key(b):
                rows.append(
                    {
                        "log": str(path.relative_to(corpus) if path.is_relative_to(corpus) else path.relative_to(ROOT)),
                        "category": a.category != b.category,
                        "first_evidence_line": key(a)[3][:1] != key(b)[3][:1],
                        "windowed": key(a),
                        "whole": key(b),
                    }
                )
    finally:
        scanner.iter_blocks, scanner.WHOLE_BYTES = saved
    return {
        "logs": len(paths),
        "differ": len(rows),
        "category_differs": sum(r["category"] for r in rows),
        "first_evidence_line_differs": sum(r["first_evidence_line"] for r in rows),
        "rows": rows,
    }


# --------------------------------------------------------------------------------------------
# Main


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    grep_version = subprocess.run(["grep", "--version"], capture_output=True, text=True).stdout.splitlines()[0]

    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "-"

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "google-re2": version("google-re2"),
        "hyperscan": version("hyperscan"),
        "grep": grep_version,
        "platform": platform.platform(),
    }


def code_version() -> str:
    """Which code was measured: the commit, the files changed since, and a digest of the scanner's code."""
    digest = hashlib.sha256()
    for name in ("scanner.py", "regex_engine.py", "logsource.py"):
        digest.update((ROOT / "healing_guard" / name).read_bytes())
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "healing_guard", "strategies"],
            capture_output=True,
            text=True,
        )
        changed = [line[3:] for line in dirty.stdout.splitlines()]
        commit = head.stdout.strip() or "?"
    except OSError:
        commit, changed = "?", []
    more = f" + uncommitted changes to {', '.join(changed)}" if changed else ""
    return f"commit {commit}{more}; scanner code digest {digest.hexdigest()[:12]}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--size-mb", type=float, default=None, help="size of the speed log in MiB (default 100)")
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per engine, median reported (default 3)")
    ap.add_argument("--mem-sizes", default=None, help="log sizes in MiB for the memory table")
    ap.add_argument("--mem-engine", default="re2", choices=["re2", "re", "hyperscan"])
    ap.add_argument("--engines", default="re2,re,hyperscan", help="engines to time (hyperscan if importable)")
    # Timing something on a smaller log built the same way, then scaling linearly to --size-mb:
    ap.add_argument("--grep-max-mb", type=float, default=0.0, help="grep -E in C: at most this size (0: full size)")
    ap.add_argument("--utf8-max-mb", type=float, default=10.0, help="grep -E in C.UTF-8: at most this size (0: full)")
    ap.add_argument("--re-max-mb", type=float, default=0.0, help="the `re` engine: at most this size (0: full size)")
    ap.add_argument("--slow-limit", type=float, default=60.0, help="whatever is slower than this (s) is run once")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--tmpdir", type=Path, default=None, help="where the logs are written (default: system temp)")
    ap.add_argument(
        "--utf8", action=argparse.BooleanOptionalAction, default=None, help="also time grep in C.UTF-8 (default: yes)"
    )
    ap.add_argument(
        "--quick", action="store_true", help="CI smoke (< 30 s): 20 MiB, 1 run, no UTF-8 grep, memory at 5 and 20 MiB"
    )
    ap.add_argument("--json", action="store_true", help="print JSON results instead of the table")
    ap.add_argument("--profile", action="store_true", help="also cProfile one re2 run and print the top functions")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, pattern file)")
    ap.add_argument(
        "--fresh",
        type=int,
        default=None,
        help="runs of the re2 analysis in a fresh process each, each after a keyword grep (default 3; --quick 1)",
    )
    ap.add_argument(
        "--window-check",
        action="store_true",
        help="only compare, on every fixture and corpus log, the diagnosis read whole and windowed from line 1",
    )
    ap.add_argument("--child", metavar="LOG", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="re2", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.size_mb = args.size_mb or 20.0
        args.mem_sizes = args.mem_sizes if args.mem_sizes is not None else "5,20"
        args.re_max_mb = args.re_max_mb or 0.25
        args.grep_max_mb = args.grep_max_mb or 5.0
        args.repeats = args.repeats or 1
        args.utf8 = False if args.utf8 is None else args.utf8
        args.fresh = 1 if args.fresh is None else args.fresh
    args.utf8 = True if args.utf8 is None else args.utf8
    args.fresh = 3 if args.fresh is None else args.fresh
    args.repeats = args.repeats or 3
    args.size_mb = args.size_mb or 100.0
    args.mem_sizes = args.mem_sizes if args.mem_sizes is not None else "10,100,300"
    return args


def _fmt_ratio(x: float) -> str:
    return f"{x:.2f}" if x == x else "-"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child, args.engine)
        return 0
    if args.window_check:
        check = window_check(args.corpus)
        if args.json:
            print(json.dumps(check, indent=2))
        for row in check["rows"]:
            print(f"{row['log']}\n   windowed {row['windowed']}\n   whole    {row['whole']}", file=sys.stderr)
        print(
            f"{check['logs']} logs; windowed from the first line, {check['differ']} get another diagnosis than read "
            f"whole (category: {check['category_differs']}, first evidence line: "
            f"{check['first_evidence_line_differs']}; the rest: confidence, params or a later evidence line)",
            file=sys.stderr,
        )
        return 0
    started = time.perf_counter()
    parts = corpus_parts(args.corpus) or synthetic_parts()
    tmp = Path(tempfile.mkdtemp(prefix="hg-speed-", dir=args.tmpdir))
    try:
        return _run(args, parts, tmp, started)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run(args: argparse.Namespace, parts: LogParts, tmp: Path, started: float) -> int:
    results: dict[str, Any] = {
        "machine": machine(),
        "code": code_version(),
        "corpus": parts.source,
        "loadavg_start": os.getloadavg(),
    }
    size = int(args.size_mb * MIB)
    log(f"building a {args.size_mb:g} MiB log from {parts.source} ...")
    big = build_log(parts, size, tmp / "job.log")
    results["log"] = asdict(big)

    sources = scanner_sources()
    pats = write_patterns(sources, tmp / "patterns.ere")
    results["patterns"] = asdict(pats)
    unit = build_log(parts, 0, tmp / "unit.log")  # preamble + body once + tail
    results["translation_check"] = agreement(tmp / "patterns.ere", Path(unit.path))

    smaller: dict[float, BuiltLog] = {}

    def target_for(*limits: float) -> BuiltLog:
        """The speed log, or a smaller one built the same way when a --*-max-mb limit says so."""
        mb = min((x for x in limits if x), default=0.0)
        if not mb or mb >= args.size_mb:
            return big
        if mb not in smaller:
            smaller[mb] = build_log(parts, int(mb * MIB), tmp / f"job-{mb:g}.log")
        return smaller[mb]

    timings: list[Timing] = []
    run_grep(tmp / "patterns.ere", big.path, "C")  # warm the page cache
    floor = tmp / "floor.txt"
    floor.write_text("\x01no line has this\x02\n", encoding="utf-8")
    greps: list[tuple[str, Path, str, tuple[float, ...]]] = [
        ("grep -F (read floor)", floor, "C", ()),
        ("grep -i keywords", KEYWORDS, "C", ()),
        ("grep LC_ALL=C", tmp / "patterns.ere", "C", (args.grep_max_mb,)),
    ]
    if args.utf8:
        greps.append(("grep LC_ALL=C.UTF-8", tmp / "patterns.ere", "C.UTF-8", (args.grep_max_mb, args.utf8_max_mb)))
    for name, pfile, lang, limits in greps:
        target = target_for(*limits)
        log(f"{name} on {target.bytes / MIB:.1f} MiB ...")
        fixed = "-F" in name
        icase = "-i" in name

        def grep_once(
            pfile: Path = pfile, path: str = target.path, lang: str = lang, fixed: bool = fixed, icase: bool = icase
        ) -> str:
            return run_grep(pfile, path, lang, fixed=fixed, icase=icase)

        runs, res, note, cpu = timed(grep_once, args.repeats, args.slow_limit)
        timings.append(Timing(name, runs, note, cpu, res, big.bytes, target.bytes if target is not big else 0))

    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "hyperscan" in engines and hyperscan_available() is None:
        engines.remove("hyperscan")
        results["hyperscan"] = "not importable (pip install hyperscan); skipped"
    if "re2" in engines and regex_engine.engine_name() != "re2":
        engines.remove("re2")
        results["re2"] = "google-re2 not importable; skipped"
    builds: dict[str, float] = {}
    diagnoses: dict[str, str] = {}
    checks: list[str] = []  # runs that did not read the whole log or missed the failure at its end
    for engine in engines:
        t0 = time.perf_counter()
        clf, note = make_classifier(engine)
        builds[engine] = time.perf_counter() - t0
        target = target_for(args.re_max_mb if engine == "re" else 0.0)
        log(f"classifier ({engine}) on {target.bytes / MIB:.1f} MiB ...")

        def once(clf: Classifier = clf, target: BuiltLog = target, engine: str = engine) -> str:
            scan = clf.scanner.scan(expand(target.path)[0])  # what Classifier.diagnose does, in two steps
            diagnosis = clf.diagnose_scan(scan)
            exits = [line for line, _, _ in scan.failed_steps]
            if scan.lines != target.lines or not exits or exits[0] < target.tail_first_line:
                checks.append(
                    f"{engine}: read {scan.lines} of {target.lines} lines, "
                    f"exit-code lines {exits[:3]} (the failing step starts at {target.tail_first_line})"
                )
            return describe(diagnosis)

        runs, res, slow_note, cpu = timed(once, args.repeats, args.slow_limit)
        note = "; ".join(x for x in (note, slow_note) if x)
        timings.append(
            Timing(f"ours {engine}", runs, note, cpu, res, big.bytes, target.bytes if target is not big else 0)
        )
        if target is big:
            diagnoses[engine] = res
    base = {t.name: t for t in timings}
    grep_c = base["grep LC_ALL=C"].seconds_full
    grep_u = base["grep LC_ALL=C.UTF-8"].seconds_full if args.utf8 else float("nan")
    grep_kw = base["grep -i keywords"]
    results["keywords"] = f"{KEYWORDS.name}: {len(KEYWORDS.read_text(encoding='utf-8').split(chr(10))) - 1} keywords"
    results["timings"] = [
        t.as_dict()
        | {
            "ratio_vs_grep_C": t.seconds_full / grep_c,
            "ratio_vs_grep_utf8": t.seconds_full / grep_u,
            "ratio_vs_grep_keywords": t.seconds_full / grep_kw.seconds_full,
            "cpu_ratio_vs_grep_keywords": t.cpu_full / grep_kw.cpu_full,
            "mib_per_s": big.bytes / MIB / t.seconds_full,
        }
        for t in timings
    ]
    results["classifier_build_s"] = builds
    results["same_diagnosis"] = len(set(diagnoses.values())) <= 1
    results["check_failures"] = checks

    if args.fresh and "re2" in engines:
        # the analysis as the action runs it: once per process, so RE2's DFA states, the allocator's
        # pages and every cache start cold; each run right after a keyword grep, so both see the
        # same load
        fresh: list[dict[str, Any]] = []
        log(f"fresh processes (re2) on {big.bytes / MIB:.1f} MiB, {args.fresh} runs ...")
        for _ in range(args.fresh):
            c0 = cpu_seconds()
            run_grep(KEYWORDS, big.path, "C", icase=True)
            grep_cpu = cpu_seconds() - c0
            fresh.append({"grep_keywords_cpu_s": grep_cpu} | run_child(big.path, "re2"))
        cold = statistics.median(row["cpu_seconds"] for row in fresh)
        kw = statistics.median(row["grep_keywords_cpu_s"] for row in fresh)
        results["fresh"] = {
            "runs": fresh,
            "cpu_median_s": cold,
            "grep_keywords_cpu_median_s": kw,
            "cpu_ratio_vs_grep_keywords": cold / kw,
            "median_of_ratios": statistics.median(row["cpu_seconds"] / row["grep_keywords_cpu_s"] for row in fresh),
            "startup_cpu_median_s": statistics.median(row["startup_cpu_seconds"] for row in fresh),
            "build_cpu_median_s": statistics.median(row["build_cpu_seconds"] for row in fresh),
        }

    if args.profile and "re2" in engines:
        clf = Classifier(use_re2=True)
        prof = cProfile.Profile()
        prof.runcall(clf.diagnose, expand(big.path)[0])
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(12)
        results["profile_re2"] = buf.getvalue()

    mem: list[dict[str, Any]] = []
    log(f"memory ({args.mem_engine}): classifier only ...")
    mem.append({"log_mib": 0} | run_child("-", args.mem_engine))
    for mb in [float(x) for x in args.mem_sizes.split(",") if x.strip()]:
        path = tmp / f"mem-{mb:g}.log"
        built = build_log(parts, int(mb * MIB), path)
        log(f"memory ({args.mem_engine}): {mb:g} MiB log ...")
        mem.append({"log_mib": round(built.bytes / MIB, 1)} | run_child(str(path), args.mem_engine))
        path.unlink()
    results["memory"] = mem
    digest = results["code"].rsplit(" ", 1)[-1]  # the scanner's code; commits of other files do not matter
    changed = [row["log_mib"] for row in mem if not str(row.get("code", "")).endswith(digest)]
    if changed:  # someone edited the scanner while this ran: say so rather than mix versions silently
        results["code_changed_during_run"] = f"memory children at {changed} MiB ran other code: {mem[-1]['code']}"
    results["total_s"] = time.perf_counter() - started
    results["loadavg_end"] = os.getloadavg()

    if args.json:
        print_table(results, sys.stderr)
        print(json.dumps(results, indent=2, default=str))
    else:
        print_table(results, sys.stdout)
    return 0


def print_table(r: dict[str, Any], stream: TextIO) -> None:
    m = r["machine"]
    lg = r["log"]
    p = r["patterns"]
    tc = r["translation_check"]
    out: list[str] = []
    out.append(
        f"machine: {m['cores']} cores, {m['cpu']}; Python {m['python']}, google-re2 {m['google-re2']}, "
        f"hyperscan {m['hyperscan']}, {m['grep']}"
    )
    out.append(f"code: {r['code']}")
    out.append(
        f"log: {lg['bytes'] / MIB:.1f} MiB, {lg['lines']:,} lines ({r['corpus']}; step output repeated "
        f"{lg['body_copies']:.1f}x, the failing step starts at line {lg['tail_first_line']:,})"
    )
    out.append(
        f"patterns: {p['python_patterns']} in the scanner's combined prefilter (4 structure + patterns and "
        f"indicators of the enabled catalogue; {p['unique_python_patterns']} distinct) -> "
        f"{p['grep_lines']} grep -E lines; dropped (grep cannot take them): {len(p['dropped'])}"
    )
    for d in p["dropped"]:
        out.append(f"   dropped {d['pattern']!r}: {d['reason']}")
    out.append(
        "translation: (?:  and (?P<name> -> (;  \\d -> [0-9];  (?i:abc) -> ([aA][bB][cC]);  inside [...]: "
        "\\d \\s \\w -> 0-9 [:space:] [:alnum:]_;"
    )
    out.append(
        "   lazy +? *? -> greedy (same lines match);  \\s \\S \\w \\b kept (GNU);  each top-level "
        f"alternative is a line; a leading ^ becomes {TS_PREFIX} (grep sees the timestamp the scanner strips)"
    )
    for py, ere in p["examples"]:
        out.append(f"   e.g. {py}\n        -> {ere}")
    out.append(
        f"translation check on the corpus once ({tc['file']}): lines both match {tc['both']}, grep only "
        f"{tc['grep_only']}, prefilter only {tc['ours_only']} ({tc['differing_lines_with_ansi']} of the "
        "differences are lines with ANSI codes, which the scanner strips and grep does not)"
    )
    out.append("")
    head = (
        f"{'engine':<22}{'median s':>10}{'CPU s':>8}{'runs':>6}{'MiB/s':>9}{'/grep C':>9}{'/grep UTF-8':>13}"
        f"{'/kw':>7}{'CPU/kw':>8}  result"
    )
    out.append(head)
    out.append("-" * len(head))
    for t in r["timings"]:
        secs = t["seconds_for_full_log"]
        extra = f" [timed on {t['extrapolated_from'] / MIB:.2f} MiB, scaled]" if t["extrapolated_from"] else ""
        ratios = (
            f"{_fmt_ratio(t['ratio_vs_grep_C']):>9}{_fmt_ratio(t['ratio_vs_grep_utf8']):>13}"
            f"{_fmt_ratio(t['ratio_vs_grep_keywords']):>7}{_fmt_ratio(t['cpu_ratio_vs_grep_keywords']):>8}"
        )
        cpu = t["cpu_seconds_for_full_log"]
        out.append(
            f"{t['name']:<22}{secs:>10.2f}{cpu:>8.2f}{len(t['runs']):>6}{t['mib_per_s']:>9.1f}{ratios}"
            f"  {t['result']}{extra}"
        )
        if t["note"]:
            out.append(f"{'':<22}note: {t['note']}")
    out.append(
        "ratio = ours / grep (median seconds, < 1.0 = faster than grep -E -c -f); /kw and CPU/kw: ours / "
        f"LC_ALL=C grep -E -i -c -f {r['keywords']} (median wall and CPU seconds). Classifier build: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in r["classifier_build_s"].items())
        + f". Same diagnosis across engines: {'yes' if r['same_diagnosis'] else 'NO'}. Every run read all"
        + f" lines and found the exit code in the failing step at the end: {'NO' if r['check_failures'] else 'yes'}."
    )
    for k in ("hyperscan", "re2", "check_failures", "code_changed_during_run"):
        if r.get(k):
            out.append(f"{k}: {r[k]}")
    if "fresh" in r:
        f = r["fresh"]
        out.append("")
        out.append(
            f"in a fresh process each (re2, {len(f['runs'])} runs, each after a keyword grep): analysis "
            f"{f['cpu_median_s']:.2f} s CPU (median; runs "
            + ", ".join(f"{row['cpu_seconds']:.2f}" for row in f["runs"])
            + f"), keyword grep {f['grep_keywords_cpu_median_s']:.2f} s CPU: "
            f"ratio {f['cpu_ratio_vs_grep_keywords']:.2f}"
            f" (median of the pairs' ratios {f['median_of_ratios']:.2f}). Not counted: the interpreter's start and"
            f" imports {f['startup_cpu_median_s']:.2f} s, building the classifier {f['build_cpu_median_s']:.2f} s."
        )
    out.append("")
    out.append(f"peak memory of a child process that diagnoses one log ({'VmHWM'}, MiB):")
    out.append(f"{'log MiB':>8}{'peak RSS':>10}{'after build':>13}{'scan s':>8}  result")
    for row in r["memory"]:
        out.append(
            f"{row['log_mib']:>8}{row['vmhwm_kib'] / 1024:>10.1f}{row['vmhwm_after_build_kib'] / 1024:>13.1f}"
            f"{row['seconds']:>8.2f}  {row['result']}"
        )
    if "profile_re2" in r:
        out.append("")
        out.append("cProfile of one re2 run (top by own time):")
        out.append(r["profile_re2"])
    la0, la1 = r["loadavg_start"], r["loadavg_end"]
    out.append(f"total {r['total_s']:.0f} s; load average (1 min) {la0[0]:.2f} at start, {la1[0]:.2f} at the end")
    print("\n".join(out), file=stream)


if __name__ == "__main__":
    sys.exit(main())
