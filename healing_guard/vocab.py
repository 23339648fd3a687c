"""A learned vocabulary model: which category a failure's lines speak of, and which line is the cause.

Two small naive Bayes models over the same tokens, trained from labelled real log lines by
``tools/train_vocab.py`` and shipped as ``healing_guard/data/vocab.json``:

* a multinomial model over categories: ``category_scores(texts)`` gives probabilities over
  :data:`~healing_guard.models.CATEGORIES` for the candidate root lines of a failure (plus the
  failing step's command line);
* a two-class model, root-cause line against the other lines of a failing step:
  ``root_score(text)`` gives 0..1.

Tokens generalise across repositories: words are lower-cased; numbers, paths, URLs, hex ids and
quoted identifiers become shape tokens (``<num>``, ``<path>``, ``<url>``, ``<hex>``, ``<q>``);
tool vocabulary stays (``npm``, ``err!``, ``error[e0425]``, ``ts2322``, ``##[error]``), and
adjacent tokens also give bigrams. Training keeps only tokens seen in at least
``min_groups`` different repositories, so nothing specific to one project is learned.
Pure Python, no dependencies; training is deterministic (counting, sorted output).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .models import CATEGORIES

FORMAT = "healing-guard-vocab/1"
DEFAULT_FILE = "vocab.json"
#: Evidence beyond this many tokens does not make the category model more certain.
EVIDENCE_CAP = 6.0
#: The root model's log-odds are divided by this before the sigmoid.
ROOT_TEMPERATURE = 4.0
#: The root model's log-odds are divided by (number of known tokens) ** (1 - this): 1 sums the
#: evidence of every token (naive Bayes), 0.5 keeps long lines from winning by length alone.
ROOT_LENGTH_POWER = 0.5
#: Additive smoothing of the category model, and of the root model.
ALPHA = 0.5
ROOT_ALPHA = 0.1
#: How much the categories' training frequencies count (0: every category equally likely a priori).
PRIOR_WEIGHT = 1.0
MAX_LINE = 600

_TS = r"\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?"
_PREFIX = re.compile(r"^\ufeff?(?:[^\t\n]*\t[^\t\n]*\t(?=" + _TS + r"))?(?:" + _TS + r")?")
# ESC sequences, and the same written out as caret notation (``^[[31m``) or with the ESC lost
_ANSI = re.compile(r"(?:\x1b|\^\[)(?:\[[0-9;?]*[ -/]*[@-~]|[()][A-Za-z0-9]|[=>78])?|\[\d{1,3}(?:;\d{1,3})*m")
_STEP_START = re.compile(r"^##\[group\]Run ")
_EXIT = re.compile(r"^##\[error\]Process completed with exit code (-?\d+)")
_STEP_END = re.compile(r"^(?:Post job cleanup\.|##\[group\]Run |Cleaning up orphan processes)")

_TOKEN = re.compile(
    r"""
    (?P<url>\b(?:https?|ftp|git|ssh|file)://\S+)
  | (?P<rust>\b(?:error|warning)\[[A-Za-z]+\d+\])
  | (?P<mark>\#\#\[[a-z]+\]|\[(?:[A-Za-z]+(?:\s[A-Za-z]+)?)\])
  | (?P<path>(?:[A-Za-z]:)?[\w.@~+-]*(?:[/\\][\w.@~+-]+)+[/\\]?)
  | (?P<quoted>'[^'\n]{1,120}'|"[^"\n]{1,120}"|`[^`\n]{1,120}`|‘[^’\n]{1,120}’|“[^”\n]{1,120}”)
  | (?P<code>\b[A-Z]{1,4}\d{3,5}\b)
  | (?P<hex>\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,}\b)
  | (?P<num>\d+(?:[.,:]\d+)*)
  | (?P<file>\b[\w-]+\.(?:py|js|ts|tsx|jsx|java|kt|kts|dart|go|rs|rb|php|c|cc|cpp|h|hpp|cs|swift|m|mm
        |gradle|xml|json|ya?ml|toml|lock|sh|cmake|txt)\b)
  | (?P<word>[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z]+)*!?)
    """,
    re.VERBOSE,
)
_EXT = re.compile(r"\.([A-Za-z]{1,6})$")


def clean_line(raw: str) -> str:
    """A log line without GitHub's timestamp, the ``gh run view --log`` job/step prefix, ANSI
    codes and carriage-return overwrites (the last non-empty segment is what a terminal shows)."""
    line = raw.rstrip("\r\n")
    if "\r" in line:
        parts = [p for p in line.split("\r") if p.strip()]
        line = parts[-1] if parts else ""
    line = _ANSI.sub("", line)
    line = _PREFIX.sub("", line, count=1)
    return line.replace("\ufeff", "")


def _word_token(word: str) -> str:
    return "<id>" if len(word) > 30 else word.lower()


@lru_cache(maxsize=1 << 16)
def tokens(text: str) -> tuple[str, ...]:
    """The features of one line: unigrams, bigrams of adjacent tokens, and the first token."""
    text = text[:MAX_LINE]
    out: list[str] = []
    if text[:1] in (" ", "\t") and len(text) - len(text.lstrip()) >= 4:
        out.append("<indent>")
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        value = m.group()
        if kind == "word":
            out.append(_word_token(value))
        elif kind == "rust":
            out.append(value.lower())
            out.append(value.split("[")[0].lower() + "[code]")
        elif kind == "mark":
            out.append(value.lower() if len(value) <= 20 else "[…]")
        elif kind == "path":
            out.append("<path>")
            ext = _EXT.search(value)
            if ext:
                out.append("<path." + ext.group(1).lower() + ">")
        elif kind == "file":
            out.append("<file." + value.rsplit(".", 1)[1].lower() + ">")
        elif kind == "code":
            out.append(value.lower())
            out.append(re.sub(r"\d", "#", value.lower()))
        elif kind == "quoted":
            out.append("<q>")
        elif kind == "url":
            out.append("<url>")
        elif kind == "hex":
            out.append("<hex>")
        else:
            out.append("<num>")
    if not out:
        return ("<empty>",)
    grams = [f"{a} {b}" for a, b in itertools.pairwise(out)]
    return (*out, *grams, "^" + out[0])


@dataclass(frozen=True)
class Example:
    """One labelled line.

    ``root``: the line shows the failure's cause (``False``: another line of a failing step).
    ``category``: the failure's category, for lines that speak of it (root lines, the failing
    step's command line); ``None`` for lines that do not train the category model.
    ``group``: where the line comes from (a repository): a token must be seen in several groups
    to be learned, and leave-one-repository-out scores drop a whole group.
    """

    text: str
    root: bool
    category: str | None = None
    group: str = ""


@lru_cache(maxsize=1 << 16)
def features(text: str) -> tuple[str, ...]:
    """The tokens of one raw or cleaned log line."""
    return tokens(clean_line(text))


class Counts:
    """What training counts. Counts can be merged and taken away again, so a leave-one-out loop
    subtracts one repository's counts instead of recounting everything (``update(part, -1)``)."""

    def __init__(self) -> None:
        self.category: dict[str, Counter[str]] = {c: Counter() for c in CATEGORIES}
        self.category_lines: Counter[str] = Counter()
        self.root: dict[str, list[int]] = {}
        self.root_lines = [0, 0]
        #: token -> group -> number of examples of that group that have it
        self.groups: dict[str, Counter[str]] = {}

    def add(self, examples: Iterable[Example]) -> Counts:
        for ex in examples:
            feats = features(ex.text)
            side = 0 if ex.root else 1
            self.root_lines[side] += 1
            for t in set(feats):
                self.root.setdefault(t, [0, 0])[side] += 1
                self.groups.setdefault(t, Counter())[ex.group] += 1
            if ex.category is not None and ex.category in self.category:
                self.category_lines[ex.category] += 1
                self.category[ex.category].update(feats)
        return self

    def update(self, other: Counts, sign: int = 1) -> Counts:
        """Add (``sign=1``) or take away (``sign=-1``) another set of counts."""
        for c, counter in other.category.items():
            mine = self.category[c]
            for t, n in counter.items():
                mine[t] += sign * n
        for c, n in other.category_lines.items():
            self.category_lines[c] += sign * n
        for t, (r, o) in other.root.items():
            pair = self.root.setdefault(t, [0, 0])
            pair[0] += sign * r
            pair[1] += sign * o
        self.root_lines[0] += sign * other.root_lines[0]
        self.root_lines[1] += sign * other.root_lines[1]
        for t, groups in other.groups.items():
            mine_g = self.groups.setdefault(t, Counter())
            for g, n in groups.items():
                mine_g[g] += sign * n
                if mine_g[g] == 0:
                    del mine_g[g]
        return self

    def model(self, *, min_groups: int = 2) -> VocabModel:
        kept = {t for t, g in self.groups.items() if len(g) >= min_groups}
        categories = [c for c in CATEGORIES if self.category_lines[c] > 0]
        sparse: dict[str, list[int]] = {}
        totals = [0] * len(categories)
        for i, c in enumerate(categories):
            for t, n in self.category[c].items():
                if n > 0 and t in kept:
                    sparse.setdefault(t, []).extend((i, n))
                    totals[i] += n
        data: dict[str, Any] = {
            "format": FORMAT,
            "categories": categories,
            "category_lines": [self.category_lines[c] for c in categories],
            "category_tokens": totals,
            "category_counts": sparse,
            "root_lines": list(self.root_lines),
            "root_counts": {t: list(c) for t, c in self.root.items() if t in kept and max(c) > 0},
            "min_groups": min_groups,
        }
        return VocabModel(data)


class VocabModel:
    """Category and root-line scores learned from labelled real log lines (see the module doc)."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a vocabulary model of format {FORMAT!r}")
        self.data = data
        self.categories: list[str] = list(data["categories"])
        self._cat_index = {c: i for i, c in enumerate(self.categories)}
        self._cat_docs: list[float] = [float(n) for n in data["category_lines"]]
        self._cat_totals: list[float] = [float(n) for n in data["category_tokens"]]
        self._cat_counts: dict[str, list[int]] = data["category_counts"]
        self._root_lines: tuple[float, float] = (float(data["root_lines"][0]), float(data["root_lines"][1]))
        self._root_counts: dict[str, list[int]] = data["root_counts"]
        self._root_weights: dict[str, float] = {}
        vocab = max(1, len(self._cat_counts))
        self._cat_log_denominators = [math.log(t + ALPHA * vocab) for t in self._cat_totals]
        total_docs = sum(self._cat_docs)
        self._cat_log_prior = [math.log((n + 1.0) / (total_docs + len(self.categories))) for n in self._cat_docs]

    # --- files ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> VocabModel:
        with open(path, encoding="utf-8") as fh:
            return cls(json.load(fh))

    @classmethod
    def load_default(cls) -> VocabModel | None:
        """The model shipped in the package (``healing_guard/data/vocab.json``); None if missing."""
        resource = resources.files("healing_guard").joinpath("data").joinpath(DEFAULT_FILE)
        if not resource.is_file():
            return None
        return cls(json.loads(resource.read_text("utf-8")))

    def save(self, path: str | Path) -> None:
        text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
        Path(path).write_text(text + "\n", encoding="utf-8")

    # --- training ---------------------------------------------------------------------------
    @classmethod
    def train(cls, examples: Iterable[Example], *, min_groups: int = 2) -> VocabModel:
        """Count tokens; keep those seen in at least ``min_groups`` groups. Deterministic: the
        result depends only on the multiset of examples, not on their order."""
        return Counts().add(examples).model(min_groups=min_groups)

    # --- scoring ----------------------------------------------------------------------------
    def category_scores(self, texts: Sequence[str]) -> dict[str, float]:
        """Probabilities over every category (they sum to 1; categories never seen in training
        get 0). With no known token, the training prior."""
        feats = [t for text in texts for t in features(text) if t in self._cat_counts]
        k = len(self.categories)
        if not k:
            return {c: (1.0 if c == "unknown" else 0.0) for c in CATEGORIES}
        log_alpha = math.log(ALPHA)
        sums = [0.0] * k
        for t in feats:
            row = self._cat_counts[t]
            present = dict(zip(row[0::2], row[1::2], strict=True))
            for i in range(k):
                n = present.get(i)
                sums[i] += (math.log(n + ALPHA) if n else log_alpha) - self._cat_log_denominators[i]
        scale = min(1.0, EVIDENCE_CAP / len(feats)) if feats else 1.0
        scores = [PRIOR_WEIGHT * self._cat_log_prior[i] + scale * sums[i] for i in range(k)]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        out = dict.fromkeys(CATEGORIES, 0.0)
        for i, c in enumerate(self.categories):
            out[c] = weights[i] / total
        return out

    def root_score(self, text: str) -> float:
        """0..1: how much a line reads like the cause of a failure rather than other step output."""
        n_root, n_other = self._root_lines
        if not n_root or not n_other:
            return 0.5
        log_odds = 0.0
        known = 0
        weights = self._root_weights
        for t in set(features(text)):
            w = weights.get(t)
            if w is None:
                counts = self._root_counts.get(t)
                if counts is None:
                    continue
                p_root = (counts[0] + ROOT_ALPHA) / (n_root + 2 * ROOT_ALPHA)
                p_other = (counts[1] + ROOT_ALPHA) / (n_other + 2 * ROOT_ALPHA)
                w = weights[t] = math.log(p_root / p_other)
            log_odds += w
            known += 1
        if known > 1 and ROOT_LENGTH_POWER != 1.0:
            log_odds /= known ** (1.0 - ROOT_LENGTH_POWER)
        z = max(-50.0, min(50.0, log_odds / ROOT_TEMPERATURE))
        return 1.0 / (1.0 + math.exp(-z))


def step_span(lines: Sequence[str], index: int) -> tuple[int, int]:
    """The 0-based ``[start, end)`` of the step whose output holds cleaned line ``index``: from its
    ``##[group]Run`` line to the next step, the runner's exit-code error or ``Post job cleanup.``"""
    start = index
    while start > 0 and not _STEP_START.match(lines[start]):
        start -= 1
    end = index + 1
    while end < len(lines) and not _STEP_END.match(lines[end]):
        if _EXIT.match(lines[end]):
            end += 1
            break
        end += 1
    return start, end


def failing_step(lines: Sequence[str], *, fallback: int = 300) -> tuple[int, int]:
    """The 0-based ``[start, end)`` of the first step that ended in ``##[error]Process completed
    with exit code N`` (cleaned lines), outside post-job steps; else the last ``fallback`` lines."""
    for i, line in enumerate(lines):
        if _EXIT.match(line):
            start, _ = step_span(lines, i)
            if lines[start].startswith("##[group]Run ") or start == 0:
                return start, i + 1
    return max(0, len(lines) - fallback), len(lines)
