"""Speed of the whole analysis on dense logs: logs where (almost) every line is an error line.

A log where most lines look like errors is the worst case for a scanner that finds candidate lines
first and then works on each: every line is a candidate. This script shows that the time grows
linearly with the log's size whatever the content, by timing the classifier (scan, then diagnosis)
on logs of 1, 10 and 100 MiB of each shape below and reporting MiB/s per size. Linear time means
about the same MiB/s at every size. MiB/s is computed from the child's CPU time (wall time is shown
too): on a shared machine wall time measures the neighbours as much as the code.

Shapes (each log ends with a real-looking failing step and ``##[error]Process completed with exit
code 1.``, and every run is checked to have read all lines and found that exit code):

- ``error-x``: ``error: x`` lines, the shape that once took 132 s per MiB;
- ``pytest-failed``: ``FAILED tests/test_x.py::test_N - AssertionError: ...`` lines (20k+ per MiB);
- ``npm-err``: timestamped ``npm ERR!`` lines as a runner prints them (timestamp, then the line);
- ``long-lines``: 64 KiB lines full of error words, colons, brackets and spaces, no parenthesis;
- ``mixed``: a rotation of compiler, test, network and shell errors with ``##[group]`` steps.

Each run is a child process with a deadline (``--timeout``, default 600 s): a run over the deadline
is reported as such (and the larger sizes of that shape are skipped), so the script also measures a
scanner that is not linear.

Usage::

    python bench/dense.py                 # 1, 10, 100 MiB of every shape (a few minutes)
    python bench/dense.py --quick         # CI smoke, < 30 s: 0.5 and 2 MiB, fails if not linear
    python bench/dense.py --sizes 1,10 --shapes error-x,pytest-failed --json

``--quick`` exits with status 1 when a shape's MiB/s at the largest size falls below a third of its
MiB/s at the smallest (a quadratic scan loses a factor of 4 per 4x), so CI notices a regression
without a timed unit test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MIB = 1 << 20

_HEAD = (
    b"2024-05-01T10:00:00.0000000Z Current runner version: '2.316.0'\n"
    b"2024-05-01T10:00:00.0000000Z ##[group]Run ./ci/test.sh\n"
    b"2024-05-01T10:00:00.0000000Z ./ci/test.sh\n"
    b"2024-05-01T10:00:00.0000000Z ##[endgroup]\n"
)
_TAIL = (
    b"2024-05-01T10:09:59.0000000Z ##[error]Process completed with exit code 1.\n"
    b"2024-05-01T10:09:59.0000000Z Post job cleanup.\n"
    b"2024-05-01T10:09:59.0000000Z Cleaning up orphan processes\n"
)


def _error_x(i: int) -> bytes:
    return b"error: x\n"


def _pytest_failed(i: int) -> bytes:
    return b"FAILED tests/test_x.py::test_%d - AssertionError: assert %d == %d\n" % (i, i, i + 1)


def _npm_err(i: int) -> bytes:
    lines = (
        b"npm ERR! code E404\n",
        b"npm ERR! 404 Not Found - GET https://registry.npmjs.org/pkg-%d - Not found\n" % i,
        b"npm ERR! network request to https://registry.npmjs.org/x failed, reason: socket hang up\n",
        b"npm ERR! A complete log of this run can be found in: /home/runner/.npm/_logs/debug-%d.log\n" % i,
    )
    return b"2024-05-01T10:01:%02d.%07dZ " % (i % 60, i % 10_000_000) + lines[i % len(lines)]


def _long_line(i: int) -> bytes:
    unit = b"error: x [warn] fatal: y FAILED z npm ERR! Traceback timeout exception: w "
    body = (unit * (65536 // len(unit) + 1))[:65535]
    return body + b"\n"


_MIXED = (
    b"src/main.c:%d:5: error: 'foo' undeclared (first use in this function)\n",
    b"error[E0425]: cannot find value `x%d` in this scope\n",
    b"FAILED tests/test_api.py::test_case_%d - AssertionError\n",
    b"ModuleNotFoundError: No module named 'pkg%d'\n",
    b"curl: (28) Connection timed out after %d milliseconds\n",
    b"/bin/bash: line %d: pytest: command not found\n",
    b"npm ERR! code ERESOLVE %d\n",
    b"##[group]Run step %d\n",
    b"Error: Process exited with status %d\n",
    b"E   assert %d == 0\n",
)


def _mixed(i: int) -> bytes:
    return b"2024-05-01T10:02:00.0000000Z " + _MIXED[i % len(_MIXED)] % i


SHAPES: dict[str, Callable[[int], bytes]] = {
    "error-x": _error_x,
    "pytest-failed": _pytest_failed,
    "npm-err": _npm_err,
    "long-lines": _long_line,
    "mixed": _mixed,
}


def _chunks(shape: Callable[[int], bytes], size: int) -> Iterator[bytes]:
    """About ``size`` bytes of lines; built from 1 MiB pieces repeated with new numbers."""
    i = 0
    written = 0
    while written < size:
        buf = bytearray()
        while len(buf) < min(MIB, size - written):
            buf += shape(i)
            i += 1
        written += len(buf)
        yield bytes(buf)


def build(shape: str, size_mib: float, path: Path) -> int:
    with path.open("wb") as out:
        out.write(_HEAD)
        for chunk in _chunks(SHAPES[shape], int(size_mib * MIB)):
            out.write(chunk)
        out.write(_TAIL)
    return path.stat().st_size


def child_main(logfile: str) -> None:
    """In a fresh interpreter: build the classifier, diagnose the log, print figures as JSON."""
    from healing_guard.classify import Classifier
    from healing_guard.logsource import expand

    clf = Classifier()
    source = expand(logfile)[0]
    t0 = time.perf_counter()
    c0 = time.process_time()
    scan = clf.scanner.scan(source)
    d = clf.diagnose_scan(scan)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    with open(logfile, "rb") as f:
        lines = sum(block.count(b"\n") for block in iter(lambda: f.read(MIB), b""))
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu,
                "lines": scan.lines,
                "all_lines": scan.lines == lines,
                "exit_code": d.params.get("exit_code"),
                "diagnosis": f"{d.strategy} ({d.category})",
            }
        )
    )


def run_one(logfile: Path, timeout: float) -> dict[str, Any]:
    try:
        r = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(logfile)],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if r.returncode != 0:
        raise RuntimeError(f"child failed on {logfile}: {r.stderr.strip()[-2000:]}")
    data: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return data


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--sizes", default=None, help="log sizes in MiB (default 1,10,100; --quick: 0.5,2)")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="which shapes (default: all)")
    ap.add_argument("--timeout", type=float, default=None, help="deadline per run in s (default 600; --quick: 60)")
    ap.add_argument("--quick", action="store_true", help="CI smoke: small sizes, fails when not linear")
    ap.add_argument("--json", action="store_true", help="print JSON results on stdout")
    ap.add_argument("--tmpdir", type=Path, default=None)
    ap.add_argument("--child", metavar="LOG", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.sizes is None:
        args.sizes = "0.5,2" if args.quick else "1,10,100"
    if args.timeout is None:
        args.timeout = 60.0 if args.quick else 600.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    sizes = [float(x) for x in args.sizes.split(",")]
    shapes = [s for s in args.shapes.split(",") if s]
    for s in shapes:
        if s not in SHAPES:
            raise SystemExit(f"unknown shape {s!r}; known: {', '.join(SHAPES)}")
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    out = sys.stderr if args.json else sys.stdout
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}", file=out)
    print(f"{'shape':<14} {'MiB':>6} {'lines':>11} {'wall s':>8} {'CPU s':>8} {'MiB/s':>8}  result", file=out)
    failed = False
    with tempfile.TemporaryDirectory(prefix="hg-dense-", dir=args.tmpdir) as tmp:
        for shape in shapes:
            timed_out = False
            rates: list[float] = []
            for size in sizes:
                row: dict[str, Any] = {"shape": shape, "size_mib": size}
                if timed_out:
                    row["skipped"] = True
                    results.append(row)
                    print(f"{shape:<14} {size:>6g} {'':>11} {'skipped':>8}", file=out)
                    continue
                path = Path(tmp) / f"{shape}-{size:g}.log"
                nbytes = build(shape, size, path)
                row.update(run_one(path, args.timeout))
                path.unlink()
                row["bytes"] = nbytes
                if "timeout" in row:
                    timed_out = True
                    results.append(row)
                    print(f"{shape:<14} {size:>6g} {'':>11} {'>' + format(args.timeout, 'g'):>8}  timed out", file=out)
                    continue
                rate = nbytes / MIB / max(row["cpu_seconds"], 1e-9)
                row["mib_per_s"] = rate
                rates.append(rate)
                ok = row["all_lines"] and row["exit_code"] == 1
                failed |= not ok
                note = row["diagnosis"] + ("" if ok else "  CHECK FAILED: not every line read or exit code missed")
                figures = f"{row['lines']:>11,} {row['seconds']:>8.2f} {row['cpu_seconds']:>8.2f} {rate:>8.1f}"
                print(f"{shape:<14} {size:>6g} {figures}  {note}", file=out)
                results.append(row)
            if timed_out or (len(rates) > 1 and rates[-1] < rates[0] / 3):
                print(f"  {shape}: NOT LINEAR (MiB/s fell from the smallest to the largest size)", file=out)
                failed |= args.quick
    print(f"total {time.perf_counter() - started:.0f} s", file=out)
    if args.json:
        json.dump({"results": results}, sys.stdout, indent=2)
        print()
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
