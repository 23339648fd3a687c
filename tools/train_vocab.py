"""Rebuild the vocabulary model (``healing_guard/data/vocab.json``) from labelled real log lines.

Sources (all labelled by people, never by this project's classifier):

* ``<corpus>/gha-real``: real failed GitHub Actions job logs; the ``root_line`` and
  ``also_ok_lines`` are root lines of the label's category, the other lines of the root line's
  step (and the lines just before it) are negatives, the step's ``##[group]Run`` line speaks of
  the category;
* ``<corpus>/cidiff``: the first line of each ground-truth error span (``E a-b``) is a root line
  of the row's ``category``; the lines before the first span and after the last are negatives;
* ``tests/fixtures/logs``: the line marked ``#=MATCH=#`` is a root line of the fixture's category,
  the other lines are negatives.

Lines are cleaned the way the scanner cleans them (timestamps, ANSI codes, the ``gh run view
--log`` job/step prefix). The output is deterministic: the same inputs give the same bytes.

Usage::

    python tools/train_vocab.py [--corpus ../shared/corpus] [--out healing_guard/data/vocab.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from healing_guard.vocab import Example, VocabModel, clean_line, step_span, tokens  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DEFAULT_OUT = ROOT / "healing_guard" / "data" / "vocab.json"
#: Negatives taken per log: the lines of the root line's step nearest to it.
MAX_NEGATIVES = 200
#: Lines before the root line taken as negatives when its step is shorter than that.
BEFORE_ROOT = 60
MAX_ALSO_OK = 5
#: Lines shorter than this (cleaned) do not count when looking for shared content.
_OVERLAP_MIN_CHARS = 25
#: A line printed in more gha-real repositories than this is boilerplate, not shared content.
_OVERLAP_MAX_REPOS = 2
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SOURCE_REPO = re.compile(r"^([\w.-]+/[\w.-]+)[:#@]")


@dataclass
class LabelledLog:
    """The examples one labelled log gives, and which gha-real repositories it shares text with."""

    id: str
    group: str
    examples: list[Example] = field(default_factory=list)
    repos: set[str] = field(default_factory=set)


def repository_of(source: str) -> str:
    """``owner/repo`` of a gha-real ``source`` (issue threads and the data set included)."""
    m = _SOURCE_REPO.match(source.strip())
    return m.group(1) if m else source.strip()


def split_n(data: bytes) -> list[str]:
    """Lines split on ``\\n`` only, as gha-real numbers them (a ``\\r`` before it is dropped)."""
    return [b.decode("utf-8", "replace") for b in data.split(b"\n")]


def split_universal(data: bytes) -> list[str]:
    """Lines split the way Python's universal newlines (and CiDiff's spans) count them."""
    return _NEWLINE.split(data.decode("utf-8", "replace"))


def _similar(a: Sequence[str], b: Sequence[str]) -> bool:
    sa = {t for t in a if " " not in t}
    sb = {t for t in b if " " not in t}
    return bool(sa and sb) and len(sa & sb) / len(sa | sb) >= 0.6


def _log_examples(
    cleaned: Sequence[str],
    roots: Sequence[int],
    category: str | None,
    group: str,
    *,
    also_ok: Iterable[int] = (),
) -> list[Example]:
    """Examples of one log: 0-based ``roots`` (the first one is the main root line)."""
    positives = [i for i in dict.fromkeys(roots) if 0 <= i < len(cleaned)]
    if not positives:
        return []
    cat = category if category and category != "unknown" else None
    out = [Example(cleaned[i], True, cat, group) for i in positives]
    main = positives[0]
    start, end = step_span(cleaned, main)
    if cleaned[start].startswith("##[group]Run ") and cat is not None:
        out.append(Example(cleaned[start], False, cat, group))
    start = min(start, max(0, main - BEFORE_ROOT))
    skip = set(positives) | {i for i in also_ok if 0 <= i < len(cleaned)}
    root_tokens = [tokens(cleaned[i]) for i in positives]
    candidates = [i for i in range(start, end) if i not in skip]
    candidates.sort(key=lambda i: (abs(i - main), i))
    kept = 0
    for i in candidates:
        if kept >= MAX_NEGATIVES:
            break
        toks = tokens(cleaned[i])
        if any(_similar(toks, r) for r in root_tokens):
            continue
        out.append(Example(cleaned[i], False, None, group))
        kept += 1
    return out


def gha_real_logs(corpus: Path) -> list[LabelledLog]:
    folder = corpus / "gha-real"
    labels = folder / "labels.json"
    if not labels.is_file():
        return []
    out = []
    for entry in json.loads(labels.read_text("utf-8")):
        path = folder / entry["file"]
        if not path.is_file():
            continue
        cleaned = [clean_line(line) for line in split_n(path.read_bytes())]
        also_ok = [n - 1 for n in entry.get("also_ok_lines", [])]
        roots = [entry["root_line"] - 1, *also_ok[:MAX_ALSO_OK]]
        repo = repository_of(entry["source"])
        log = LabelledLog(entry["id"], repo, repos={repo})
        log.examples = _log_examples(cleaned, roots, entry["category"], repo, also_ok=also_ok)
        out.append(log)
    return out


def _spans(text: str) -> list[tuple[int, int]]:
    return [(int(a), int(b or a)) for a, b in re.findall(r"\bE\s+(\d+)(?:\s*-\s*(\d+))?", text)]


def cidiff_logs(corpus: Path) -> list[LabelledLog]:
    folder = corpus / "cidiff"
    labels = folder / "labels.csv"
    if not labels.is_file():
        return []
    out = []
    with labels.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        path = folder / row["fail_log"]
        spans = _spans(row.get("groundtruth_spans", ""))
        if not path.is_file() or not spans:
            continue
        cleaned = [clean_line(line) for line in split_universal(path.read_bytes())]
        project = re.sub(r"_\d+$", "", row["id"].split("/")[-1])
        group = f"cidiff/{project}"
        roots = [a - 1 for a, _ in spans[:MAX_ALSO_OK]]
        inside = {i - 1 for a, b in spans for i in range(a, b + 1)}
        log = LabelledLog(row["id"], group, repos=set())
        examples = [
            Example(cleaned[i], True, None if row["category"] in ("", "unknown") else row["category"], group)
            for i in roots
            if 0 <= i < len(cleaned)
        ]
        first, last = spans[0][0] - 1, spans[-1][1]
        negatives = [i for i in range(max(0, first - 150), first) if i not in inside]
        negatives += [i for i in range(last, min(len(cleaned), last + 30)) if i not in inside]
        examples += [Example(cleaned[i], False, None, group) for i in negatives]
        log.examples = examples
        out.append(log)
    return out


def fixture_logs() -> list[LabelledLog]:
    from healing_guard.catalogue import load_catalogue
    from tests.fixturelogs import all_fixtures

    catalogue = load_catalogue(ROOT / "strategies")
    known = {s.id: s.category for s in catalogue.strategies}
    out = []
    for fx in all_fixtures():
        category = fx.category or known.get(fx.strategy or "")
        if fx.line is None or category is None:
            continue
        cleaned = [clean_line(line) for line in _NEWLINE.split(fx.text)]
        group = f"fixture/{fx.strategy}"
        log = LabelledLog(fx.id, group, repos=set())
        log.examples = _log_examples(cleaned, [fx.line - 1], category, group)
        out.append(log)
    return out


def mark_overlaps(logs: Sequence[LabelledLog], corpus: Path) -> None:
    """Add to each non-gha-real log the gha-real repositories it shares text with (a fixture cut
    from a gha-real log), so that leave-one-repository-out drops it with that repository. Shared
    text: its root line, or three other lines, none of them boilerplate that many jobs print."""
    folder = corpus / "gha-real"
    labels = folder / "labels.json"
    if not labels.is_file():
        return
    owners: dict[str, set[str]] = {}
    for entry in json.loads(labels.read_text("utf-8")):
        path = folder / entry["file"]
        if not path.is_file():
            continue
        repo = repository_of(entry["source"])
        for line in split_n(path.read_bytes()):
            text = clean_line(line).strip()
            if len(text) >= _OVERLAP_MIN_CHARS:
                owners.setdefault(text, set()).add(repo)
    elsewhere: dict[str, set[str]] = {}
    for log in logs:
        for ex in log.examples:
            elsewhere.setdefault(ex.text.strip(), set()).add(log.group)
    for log in logs:
        shared: dict[str, int] = {}
        for ex in log.examples:
            text = ex.text.strip()
            repos = owners.get(text, set())
            if len(repos) > _OVERLAP_MAX_REPOS or len(elsewhere[text]) > _OVERLAP_MAX_REPOS:
                continue  # boilerplate many jobs print (runner preamble, Maven's banners, git clean-up)
            for repo in repos:
                shared[repo] = shared.get(repo, 0) + (3 if ex.root else 1)
        log.repos |= {repo for repo, n in shared.items() if n >= 3}


def all_logs(corpus: Path, *, fixtures: bool = True, cidiff: bool = True) -> list[LabelledLog]:
    gha = gha_real_logs(corpus)
    others = (cidiff_logs(corpus) if cidiff else []) + (fixture_logs() if fixtures else [])
    mark_overlaps(others, corpus)
    return gha + others


def train(logs: Iterable[LabelledLog]) -> VocabModel:
    return VocabModel.train(ex for log in logs for ex in log.examples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder that holds gha-real/ and cidiff/")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    args = parser.parse_args(argv)
    logs = all_logs(args.corpus)
    if not any(log.group and not log.group.startswith(("cidiff/", "fixture/")) for log in logs):
        print(f"gha-real not found under {args.corpus}; refusing to build a model without it", file=sys.stderr)
        return 1
    model = train(logs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    summary: dict[str, Any] = {
        "logs": len(logs),
        "examples": sum(len(log.examples) for log in logs),
        "root_lines": model.data["root_lines"],
        "categories": dict(zip(model.categories, model.data["category_lines"], strict=True)),
        "tokens": len(model.data["root_counts"]),
        "bytes": args.out.stat().st_size,
    }
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
