"""Category, root line and reliability of the layered diagnosis on the labelled real logs (gha-real).

Prints strict and lenient category accuracy (``alt_categories`` count on the lenient score), the
share of logs whose root line (or an ``also_ok_lines`` line) is among the first three evidence
lines, the wrong ``unknown`` answers, a reliability table (confidence bins against the share
right) and the share right per set of layers that backed the answer. In-sample scores: the
hand-written rules were written while reading this corpus (see the README of ``bench``).

    python bench/layers.py [--corpus PATH] [--no-vocab] [-v]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from healing_guard import Classifier  # noqa: E402
from healing_guard.logsource import expand  # noqa: E402

BINS = ((0.0, 0.3), (0.3, 0.5), (0.5, 0.65), (0.65, 0.8), (0.8, 0.9), (0.9, 1.01))


@dataclass(frozen=True)
class Row:
    id: str
    gold: str
    got: str
    confidence: float
    strict: bool
    lenient: bool
    top3: bool


def evaluate(corpus: Path, classifier: Classifier) -> list[Row]:
    labels = json.loads((corpus / "labels.json").read_text("utf-8"))
    rows = []
    for e in labels:
        d = classifier.diagnose(next(iter(expand(str(corpus / e["file"])))))
        good = {e["root_line"], *e.get("also_ok_lines", [])}
        strict = d.category == e["category"]
        rows.append(
            Row(
                e["id"],
                e["category"],
                d.category,
                d.confidence,
                strict,
                strict or d.category in e.get("alt_categories", []),
                any(ev.line in good for ev in d.evidence[:3]),
            )
        )
    return rows


def report(rows: list[Row], verbose: bool) -> str:
    n = len(rows) or 1
    out = [
        f"logs {len(rows)}: category strict {sum(r.strict for r in rows) / n:.1%}, "
        f"lenient {sum(r.lenient for r in rows) / n:.1%}; root line in top 3 {sum(r.top3 for r in rows) / n:.1%}; "
        f"wrong unknown {sum(1 for r in rows if r.got == 'unknown' and r.gold != 'unknown')}",
        "reliability (lenient):",
    ]
    for lo, hi in BINS:
        b = [r for r in rows if lo <= r.confidence < hi]
        if b:
            share = sum(r.lenient for r in b) / len(b)
            out.append(f"  confidence [{lo:.2f}, {min(hi, 1.0):.2f}): {len(b):3} logs, {share:.0%} right")
    high = [r for r in rows if r.confidence >= 0.8]
    out.append(f"  confidence >= 0.80: {len(high)} logs, {sum(r.lenient for r in high) / max(1, len(high)):.1%} right")
    if verbose:
        for r in rows:
            if not r.lenient or not r.top3:
                line = "ok" if r.top3 else "no"
                out.append(f"  miss {r.id:50} gold={r.gold:20} got={r.got:20} {r.confidence:.2f} line={line}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "gha-real")
    parser.add_argument("--no-vocab", action="store_true", help="leave the learned vocabulary model out")
    parser.add_argument("-v", action="store_true", help="list the misses")
    args = parser.parse_args(argv)
    if not (args.corpus / "labels.json").is_file():
        print(f"no labelled corpus at {args.corpus}; skipped")
        return 0
    classifier = Classifier(vocab=None) if args.no_vocab else Classifier()
    print(report(evaluate(args.corpus, classifier), args.v))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
