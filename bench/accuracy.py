"""Accuracy of the classifier on labelled logs: category scores and root-line hits.

Two datasets:

* ``fixtures`` - the project's own fixture logs (``tests/fixtures/logs/*.log``): the expected
  category is the one of the strategy the file is named after (or its ``.expect.yml``), and the
  expected root line is the line marked ``#=MATCH=#``.
* ``cidiff`` - real failing CI logs from the CiDiff paper (``<corpus>/cidiff``): the category is
  the ``category`` column of ``labels.csv`` (one reviewer's reading, see its README.txt), and the
  root line should fall inside one of the authors' ground-truth error spans (``E a-b``).

For each dataset it prints per-category precision/recall/F1, the macro-F1 over the categories
present in the gold labels, the category accuracy, the share of logs whose FIRST evidence line
is a correct root line, and the misses. Usage::

    python bench/accuracy.py [--json] [--corpus PATH] [--dataset fixtures|cidiff] [--check]

``--corpus`` defaults to ``../shared/corpus`` beside the repository (where CI puts ``shared/``).
A missing corpus is reported and skipped. ``--check`` exits 1 when a target is missed:
fixtures macro-F1 >= 0.90; cidiff category accuracy >= 0.85 and root line in span >= 80 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The checkout first: an installed package may also be called `tests`.
sys.path.insert(0, str(ROOT))

from healing_guard import Classifier, load_catalogue  # noqa: E402
from healing_guard.logsource import expand, from_text  # noqa: E402
from healing_guard.models import Diagnosis  # noqa: E402
from tests.fixturelogs import all_fixtures  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
TARGETS: dict[str, dict[str, float]] = {
    "fixtures": {"macro_f1": 0.90},
    "cidiff": {"accuracy": 0.85, "root_line_rate": 0.80},
}
_SPAN = re.compile(r"\bE\s+(\d+)(?:\s*-\s*(\d+))?")
_TEXT_WIDTH = 160


@dataclass
class Case:
    """One labelled log and what the classifier said about it."""

    id: str
    gold: str
    got: str
    strategy: str
    line: int | None
    text: str
    line_ok: bool
    secondary_gold: str = ""
    seconds: float = 0.0

    @property
    def category_ok(self) -> bool:
        return self.gold == self.got


@dataclass
class CategoryScore:
    category: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float


@dataclass
class Report:
    dataset: str
    source: str
    cases: list[Case] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def total(self) -> int:
        return len(self.cases)

    def scores(self) -> list[CategoryScore]:
        categories = sorted({c.gold for c in self.cases} | {c.got for c in self.cases})
        out = []
        for cat in categories:
            tp = sum(1 for c in self.cases if c.gold == cat and c.got == cat)
            support = sum(1 for c in self.cases if c.gold == cat)
            predicted = sum(1 for c in self.cases if c.got == cat)
            precision = tp / predicted if predicted else 0.0
            recall = tp / support if support else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out.append(CategoryScore(cat, support, predicted, precision, recall, f1))
        return out

    @property
    def macro_f1(self) -> float:
        present = [s.f1 for s in self.scores() if s.support]
        return sum(present) / len(present) if present else 0.0

    @property
    def accuracy(self) -> float:
        return _share(c.category_ok for c in self.cases)

    @property
    def lenient_accuracy(self) -> float:
        """Accuracy when the log's secondary label (if any) also counts as right."""
        return _share(c.category_ok or (c.secondary_gold != "" and c.got == c.secondary_gold) for c in self.cases)

    @property
    def root_line_rate(self) -> float:
        return _share(c.line_ok for c in self.cases)

    @property
    def misses(self) -> list[Case]:
        return [c for c in self.cases if not (c.category_ok and c.line_ok)]

    def metrics(self) -> dict[str, float]:
        return {
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "lenient_accuracy": round(self.lenient_accuracy, 4),
            "root_line_rate": round(self.root_line_rate, 4),
        }

    def failed_targets(self) -> list[str]:
        metrics = self.metrics()
        return [
            f"{self.dataset}: {name} {metrics[name]:.3f} < {goal:.2f}"
            for name, goal in TARGETS.get(self.dataset, {}).items()
            if self.cases and metrics[name] < goal
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "source": self.source,
            "logs": self.total,
            "note": self.note,
            "skipped": self.skipped,
            "metrics": self.metrics(),
            "targets": TARGETS.get(self.dataset, {}),
            "per_category": [asdict(s) for s in self.scores()],
            "misses": [
                {
                    "id": c.id,
                    "gold": c.gold,
                    "got": c.got,
                    "strategy": c.strategy,
                    "line": c.line,
                    "line_ok": c.line_ok,
                    "text": c.text,
                }
                for c in self.misses
            ],
        }


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _first_line(d: Diagnosis) -> tuple[int | None, str]:
    if not d.evidence:
        return None, ""
    return d.evidence[0].line, d.evidence[0].text


def parse_spans(text: str) -> list[tuple[int, int]]:
    """``"E 18-61 C 62 E 70"`` -> ``[(18, 61), (70, 70)]`` (context lines are not error lines)."""
    return [(int(a), int(b or a)) for a, b in _SPAN.findall(text)]


def run_fixtures(classifier: Classifier) -> Report:
    fixtures = all_fixtures()
    report = Report("fixtures", "tests/fixtures/logs")
    known = set(classifier.catalogue.ids())
    for fx in fixtures:
        if fx.category is None and (fx.strategy is None or fx.strategy not in known):
            report.skipped.append(f"{fx.id}: strategy {fx.strategy!r} is not in the catalogue")
            continue
        gold = fx.category or classifier.catalogue.get(fx.strategy or "").category
        start = time.perf_counter()
        d = classifier.diagnose(from_text(fx.text, fx.id))
        seconds = time.perf_counter() - start
        line, text = _first_line(d)
        report.cases.append(
            Case(
                fx.id,
                gold,
                d.category,
                d.strategy,
                line,
                text,
                fx.line is not None and line == fx.line,
                seconds=seconds,
            )
        )
    if not fixtures:
        report.note = "no fixture logs found"
    return report


def run_cidiff(classifier: Classifier, corpus: Path) -> Report:
    folder = corpus / "cidiff"
    report = Report("cidiff", str(folder))
    labels = folder / "labels.csv"
    if not labels.is_file():
        report.note = f"corpus not found at {folder} (no labels.csv); skipped"
        return report
    with labels.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        path = folder / row["fail_log"]
        if not path.is_file():
            report.skipped.append(f"{row['id']}: {path} is missing")
            continue
        spans = parse_spans(row.get("groundtruth_spans", ""))
        start = time.perf_counter()
        d = classifier.diagnose(expand(str(path))[0])
        seconds = time.perf_counter() - start
        line, text = _first_line(d)
        line_ok = line is not None and any(a <= line <= b for a, b in spans)
        report.cases.append(
            Case(
                row["id"],
                row["category"].strip() or "unknown",
                d.category,
                d.strategy,
                line,
                text,
                line_ok,
                secondary_gold=(row.get("secondary_category") or "").strip(),
                seconds=seconds,
            )
        )
    return report


def render(report: Report) -> str:
    out = [f"== {report.dataset}: {report.total} logs ({report.source})"]
    if report.note:
        out.append(f"   note: {report.note}")
    for skipped in report.skipped:
        out.append(f"   skipped {skipped}")
    if not report.cases:
        return "\n".join(out)
    out.append(f"   {'category':<22}{'support':>8}{'predicted':>10}{'precision':>11}{'recall':>8}{'F1':>7}")
    for s in report.scores():
        out.append(
            f"   {s.category:<22}{s.support:>8}{s.predicted:>10}{s.precision:>11.2f}{s.recall:>8.2f}{s.f1:>7.2f}"
        )
    m = report.metrics()
    lenient = f" (counting secondary labels: {m['lenient_accuracy']:.3f})" if report.dataset == "cidiff" else ""
    what = "equals the marked line" if report.dataset == "fixtures" else "inside a ground-truth E span"
    out += [
        f"   macro-F1 (gold categories): {m['macro_f1']:.3f}",
        f"   category accuracy: {m['accuracy']:.3f}{lenient}",
        f"   first evidence line {what}: {m['root_line_rate']:.1%}",
    ]
    slowest = max(report.cases, key=lambda c: c.seconds)
    out.append(f"   slowest log: {slowest.id} ({slowest.seconds * 1000:.0f} ms)")
    misses = report.misses
    out.append(f"   misses: {len(misses)}")
    for c in misses:
        flags = ("" if c.category_ok else "category") + (
            "" if c.line_ok else (" line" if not c.category_ok else "line")
        )
        text = c.text if len(c.text) <= _TEXT_WIDTH else c.text[: _TEXT_WIDTH - 1] + "…"
        out.append(f"   - {c.id}: gold={c.gold} got={c.got} ({c.strategy}) [{flags.strip()}]")
        out.append(f"       line {c.line}: {text}")
    for failed in report.failed_targets():
        out.append(f"   TARGET MISSED: {failed}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder that holds cidiff/")
    parser.add_argument(
        "--dataset",
        choices=("fixtures", "cidiff"),
        action="append",
        help="run only this dataset (repeatable; default: both)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when an accuracy target is missed")
    args = parser.parse_args(argv)
    datasets = args.dataset or ["fixtures", "cidiff"]

    classifier = Classifier(load_catalogue(ROOT / "strategies"))
    reports: list[Report] = []
    if "fixtures" in datasets:
        reports.append(run_fixtures(classifier))
    if "cidiff" in datasets:
        reports.append(run_cidiff(classifier, args.corpus))

    if args.json:
        print(json.dumps({"reports": [r.to_dict() for r in reports]}, indent=2))
    else:
        print("\n\n".join(render(r) for r in reports))
    failed = [f for r in reports for f in r.failed_targets()]
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
