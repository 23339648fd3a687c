"""Several layers vote on a failure's category; one calibrated confidence comes out.

Layers (each optional, each a vote with a weight):

* ``strategy`` - a specific catalogue strategy matched a line (strong when the line is in the
  failing step and among the root-line candidates);
* ``rootline`` - the general error vocabulary of the ranked root lines (``rootvocab``);
* ``tool`` - the failing step's command and exit code (``toolsignal``);
* ``vocab`` - a learned vocabulary model over the candidate lines (any :class:`VocabLike`).

Cause, not noise: a transient-looking vote (network, timeout, ...) counts little when the failing
step runs a test runner, or when a deterministic error (compile, test, lint, ...) is among the
root lines; the failing step's tool and its first real error decide.

Confidence rises with the number of layers that agree and with the winner's share of all votes;
one weak layer alone stays low. See ``bench/accuracy.py`` for the reliability table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .models import CATEGORIES, TRANSIENT_CATEGORIES
from .rootline import Candidate
from .rootvocab import categorize
from .toolsignal import ToolSignal

#: weight of the n-th ranked root line's vocabulary
RANK_WEIGHTS = (1.0, 0.55, 0.35, 0.2, 0.12)
#: the learned model has read many logs but its probabilities are not calibrated: it adds, it rarely decides
VOCAB_WEIGHT = 0.4
DETERMINISTIC = frozenset({"compile_error", "test_failure", "lint"})
#: transient categories that a line printed by a test or beside a deterministic error cannot prove
#: (a test's own time limit is a timeout whoever prints it, so ``timeout`` is not among them)
DAMPENED = TRANSIENT_CATEGORIES - {"timeout"}
TRANSIENT_DAMPING = 0.3
#: a guess from the command alone (nothing in the output agrees) must be at least this strong
MIN_TOOL_ONLY = 0.3
#: the same for the learned model alone (0.4 x a probability of 0.9: naive Bayes is over-sure)
MIN_VOCAB_ONLY = 0.36


class VocabLike(Protocol):
    """A learned vocabulary model (helper module ``healing_guard.vocab``)."""

    def category_scores(self, texts: Sequence[str]) -> dict[str, float]:
        """Probabilities over ``models.CATEGORIES`` (summing to 1)."""
        ...

    def root_score(self, text: str) -> float:
        """0..1: how likely this line is a root-cause line."""
        ...


@dataclass(frozen=True)
class StrategyVote:
    """What the catalogue layer offers: a strategy's category and where its root hit lies."""

    category: str
    confidence: float
    strong: bool  # matched an error line, not only warnings
    in_step: bool  # the hit is inside the failing step
    near_root: bool  # the hit is one of the first root-line candidates
    transient_ok: bool = False  # the strategy names a runner/infrastructure event, not a line of output
    pick: bool = False  # the catalogue's own first choice (strength, failing step, priority)


@dataclass
class Verdict:
    """The combined reading: category, confidence and which layers supported it."""

    category: str
    confidence: float
    votes: dict[str, float] = field(default_factory=dict)
    support: dict[str, set[str]] = field(default_factory=dict)

    @property
    def layers(self) -> set[str]:
        return self.support.get(self.category, set())


def combine(
    candidates: Sequence[Candidate],
    tools: Sequence[ToolSignal],
    strategies: Sequence[StrategyVote],
    vocab_scores: dict[str, float] | None = None,
) -> Verdict:
    votes: dict[str, float] = defaultdict(float)
    support: dict[str, set[str]] = defaultdict(set)
    line_cats: list[str] = []
    line_votes: dict[str, list[float]] = defaultdict(list)
    for i, cand in enumerate(candidates[: len(RANK_WEIGHTS)]):
        found = categorize(cand.line.text)
        if found is None:
            continue
        cat, w = found
        line_cats.append(cat)
        scale = 1.0 if cand.reason in ("error", "cause", "finding") else 0.6
        line_votes[cat].append(w * RANK_WEIGHTS[i] * scale)
    for cat, ws in line_votes.items():
        # the best line counts; more lines saying the same add a little (they are often one error
        # printed twice: the line and its annotation, the test and its summary)
        ws.sort(reverse=True)
        votes[cat] += ws[0] + 0.1 * sum(ws[1:])
        support[cat].add("rootline")
    for t in tools:
        votes[t.category] += t.weight
        support[t.category].add("tool")
    best_strategy: dict[str, StrategyVote] = {}
    for s in strategies:
        if s.category not in best_strategy or _strategy_weight(s) > _strategy_weight(best_strategy[s.category]):
            best_strategy[s.category] = s
    for cat, s in best_strategy.items():
        votes[cat] += _strategy_weight(s)
        support[cat].add("strategy")
    if vocab_scores:
        # a learned model has read many logs but not this catalogue's priorities: beside the
        # catalogue's own pick in the failing step it counts half
        firm = any(s.pick and s.in_step for s in strategies)
        weight = VOCAB_WEIGHT * (0.25 if firm else 1.0)
        for cat, p in vocab_scores.items():
            if cat in CATEGORIES and cat != "unknown" and p > 0.05:
                votes[cat] += weight * p
                support[cat].add("vocab")
    _dampen_transient(votes, tools, line_cats, best_strategy)
    if not votes or max(votes.values()) <= 0.05:
        return Verdict("unknown", 0.1, dict(votes), dict(support))
    ranked = sorted(votes.items(), key=lambda kv: -kv[1])
    cat, top = ranked[0]
    alone = (support[cat] == {"tool"} and top < MIN_TOOL_ONLY) or (support[cat] == {"vocab"} and top < MIN_VOCAB_ONLY)
    if alone:
        return Verdict("unknown", 0.1, dict(votes), dict(support))
    total = sum(v for _, v in ranked)
    return Verdict(cat, _confidence(cat, top, total, support[cat], best_strategy.get(cat)), dict(votes), dict(support))


def _strategy_weight(s: StrategyVote) -> float:
    # the catalogue ranks its own strategies (priority says which failure wins against which): its
    # first choice carries the layer's vote, the others only add a little
    w = s.confidence * (1.0 if s.strong else 0.5) * (1.0 if s.in_step else 0.4)
    if not s.pick:
        return 0.3 * w
    return w + (0.4 if s.near_root else 0.0) + (0.3 if s.strong else 0.0)


def _dampen_transient(
    votes: dict[str, float],
    tools: Sequence[ToolSignal],
    line_cats: Sequence[str],
    strategies: dict[str, StrategyVote],
) -> None:
    """A transient-looking line inside test output or beside a deterministic error is not the cause."""
    test_step = any(t.category == "test_failure" and t.weight >= 0.3 for t in tools)
    deterministic_line = any(c in DETERMINISTIC for c in line_cats)
    if not (test_step or deterministic_line):
        return
    for cat in list(votes):
        if cat not in DAMPENED:
            continue
        s = strategies.get(cat)
        if s is not None and s.transient_ok:
            continue
        votes[cat] *= TRANSIENT_DAMPING
    if test_step and not deterministic_line and not any(votes.get(c, 0.0) > 0.3 for c in DETERMINISTIC):
        votes["test_failure"] += 0.2


def _confidence(cat: str, top: float, total: float, layers: set[str], strategy: StrategyVote | None) -> float:
    share = top / total if total else 0.0
    conf = 0.25 + 0.12 * len(layers) + 0.3 * share + 0.1 * min(top, 2.0)
    if strategy is not None and strategy.strong and strategy.in_step:
        conf = max(conf, strategy.confidence * (0.9 if len(layers) > 1 else 0.8))
    if layers == {"tool"}:
        conf = min(conf, 0.5)
    if len(layers) == 1 and "strategy" not in layers:
        conf = min(conf, 0.7)
    return round(min(conf, 0.97), 2)
