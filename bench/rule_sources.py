"""Which gha-real logs the general rules of ``rootline.py`` and ``rootvocab.py`` rely on.

Those two layers hold no catalogue strategy, so no ``derived_from:`` says which logs a rule was
written from, and they were written with all 127 labelled root lines in view. This module gives the
leave-one-repository-out run a bound for that, the way ``derived_from`` does for strategies:

* a **rule** is one top-level alternative of one of the layers' patterns (``rootline._STRONG``,
  ``_WEAK``, ``_SUMMARY``, ``_CASCADE``, ``_NOISE``, ``_SOFT_NOISE``, ``_RETRIED``, ``_EXHAUSTED``
  and every ``rootvocab.RULES`` pattern), e.g. ``\\bpanic:`` of ``_STRONG`` or ``\\bERESOLVE\\b`` of the
  dependency-conflict rule;
* a rule **is relied on** by a gha-real log when switching that rule off alone makes the log's
  diagnosis worse (the category, the lenient category or the root line in the top 3 goes from
  right to wrong), measured in-sample (every strategy on, the model trained on every log);
* the leave-one-repository-out run then switches off, for each held-out repository, every rule
  that only that repository's logs rely on (:func:`disabled_rules`).

What this does not catch: two rules that both rescue the same log (switching either off alone
changes nothing, so neither is counted), and the choice of the rules' order and weights. The
smaller patterns of ``rootline`` (Gradle's and Travis's shapes, the step's script lines) are not
split.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from healing_guard import rootline, rootvocab

#: the module-level patterns of rootline.py that hold its vocabulary
ROOTLINE_PATTERNS = ("_STRONG", "_WEAK", "_SUMMARY", "_CASCADE", "_NOISE", "_SOFT_NOISE", "_RETRIED", "_EXHAUSTED")
_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")
_NEVER = "(?!)"  # a pattern with every alternative switched off


@dataclass(frozen=True)
class Rule:
    """One top-level alternative: ``where`` names the pattern (``rootline._STRONG``,
    ``rootvocab[3]:dependency_missing``), ``index`` the alternative."""

    where: str
    index: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.where}#{self.index}"


def split_alternatives(pattern: str) -> tuple[str, list[str]]:
    """``pattern``'s leading global flags and its top-level alternatives (comments of a verbose
    pattern dropped, white space kept), such that ``flags + "|".join(alts)`` is the same pattern."""
    m = _FLAGS.match(pattern)
    flags = m.group(0) if m else ""
    verbose = "x" in flags
    body = pattern[len(flags) :]
    alts: list[str] = []
    cur: list[str] = []
    depth = 0
    in_class = False
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            cur.append(body[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]" or bool(cur and cur[-1] in ("[", "[^"))
            cur.append(c)
        elif c == "[":
            in_class = True
            cur.append(c)
            if body[i + 1 : i + 2] == "^":
                cur[-1] = "[^"
                i += 1
        elif verbose and c == "#":
            end = body.find("\n", i)
            i = len(body) if end < 0 else end
            continue
        elif c == "(":
            depth += 1
            cur.append(c)
        elif c == ")":
            depth -= 1
            cur.append(c)
        elif c == "|" and depth == 0:
            alts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    alts.append("".join(cur))
    return flags, alts


def _join(flags: str, alts: Sequence[str]) -> str:
    return flags + "|".join(alts) if alts else _NEVER


def rules() -> list[Rule]:
    """Every rule of the two layers, in a stable order."""
    out: list[Rule] = []
    for name in ROOTLINE_PATTERNS:
        flags, alts = split_alternatives(getattr(rootline, name).pattern)
        out.extend(Rule(f"rootline.{name}", i, flags + a) for i, a in enumerate(alts) if a.strip())
    for k, rule in enumerate(rootvocab.RULES):
        flags, alts = split_alternatives(rule.pattern.pattern)
        out.extend(Rule(f"rootvocab[{k}]:{rule.category}", i, flags + a) for i, a in enumerate(alts) if a.strip())
    return out


@contextmanager
def switched_off(off: Iterable[Rule]) -> Iterator[None]:
    """Rebuild the layers' patterns without the ``off`` rules for the duration of the block."""
    off_ids = {r.id for r in off}
    saved_rootline = {name: getattr(rootline, name) for name in ROOTLINE_PATTERNS}
    saved_vocab = rootvocab.RULES
    try:
        if off_ids:
            for name, compiled in saved_rootline.items():
                flags, alts = split_alternatives(compiled.pattern)
                kept = [a for i, a in enumerate(alts) if f"rootline.{name}#{i}" not in off_ids]
                if len(kept) != len(alts):
                    setattr(rootline, name, re.compile(_join(flags, kept)))
            new_rules = []
            for k, rule in enumerate(saved_vocab):
                flags, alts = split_alternatives(rule.pattern.pattern)
                where = f"rootvocab[{k}]:{rule.category}"
                kept = [a for i, a in enumerate(alts) if f"{where}#{i}" not in off_ids]
                if len(kept) != len(alts):
                    rule = replace(rule, pattern=re.compile(_join(flags, kept)))
                new_rules.append(rule)
            rootvocab.RULES = tuple(new_rules)
        yield
    finally:
        for name, compiled in saved_rootline.items():
            setattr(rootline, name, compiled)
        rootvocab.RULES = saved_vocab


#: what one diagnosis scored: category right, lenient category right, root line in the top 3
Outcome = tuple[bool, bool, bool]


def relied_on(
    logs: Sequence[str],
    lines_of: Callable[[str], Sequence[str]],
    outcome: Callable[[str], Outcome],
    candidates: Sequence[Rule] | None = None,
) -> dict[str, set[str]]:
    """Rule id -> the logs whose outcome gets worse when that rule alone is switched off.

    ``lines_of(log)`` gives the lines the layers can read (a rule that matches none of them cannot
    matter for that log, so the log is not re-diagnosed); ``outcome(log)`` diagnoses it."""
    base = {log: outcome(log) for log in logs}
    lines = {log: lines_of(log) for log in logs}
    out: dict[str, set[str]] = {}
    for rule in candidates if candidates is not None else rules():
        rx = re.compile(rule.text)
        touched = [log for log in logs if any(rx.search(t.strip()) or rx.search(t) for t in lines[log])]
        if not touched:
            continue
        worse: set[str] = set()
        with switched_off([rule]):
            for log in touched:
                now = outcome(log)
                if any(b and not n for b, n in zip(base[log], now, strict=True)):
                    worse.add(log)
        if worse:
            out[rule.id] = worse
    return out


def disabled_rules(relied: dict[str, set[str]], repo_of: dict[str, str], repo: str) -> list[Rule]:
    """The rules that only ``repo``'s logs rely on (switched off when ``repo`` is held out)."""
    by_id = {r.id: r for r in rules()}
    return [by_id[rid] for rid, logs in relied.items() if {repo_of[log] for log in logs} == {repo}]
