"""bench/rule_sources.py: the rootline/rootvocab rules split into alternatives, switched off and back."""

from __future__ import annotations

import re

from bench import rule_sources
from bench.rule_sources import Rule, disabled_rules, relied_on, rules, split_alternatives, switched_off
from healing_guard import rootline, rootvocab
from healing_guard.rootvocab import categorize

# real lines (gha-real and CiDiff root lines) that the layers read
LINES = (
    "error[E0425]: cannot find value `x` in this scope",
    "ModuleNotFoundError: No module named 'numpy'",
    "npm error code ERESOLVE",
    "##[error]Process completed with exit code 1.",
    "    at Object.<anonymous> (/home/runner/work/app/app/index.js:3:9)",
    "FAILED tests/test_api.py::test_login - AssertionError: assert 401 == 200",
    "warning: unused variable: `y`",
)


def test_alternatives_rebuild_every_pattern() -> None:
    patterns = [getattr(rootline, n) for n in rule_sources.ROOTLINE_PATTERNS]
    patterns += [r.pattern for r in rootvocab.RULES]
    for p in patterns:
        flags, alts = split_alternatives(p.pattern)
        rebuilt = re.compile(flags + "|".join(alts))
        assert len(alts) > 1
        for line in LINES:
            assert bool(p.search(line)) == bool(rebuilt.search(line)), (p.pattern[:40], line)
            assert bool(p.search(line)) == any(re.compile(flags + a).search(line) for a in alts)


def test_split_keeps_groups_classes_escapes_and_drops_verbose_comments() -> None:
    assert split_alternatives(r"(?i)a(?:b|c)|[|x]|\||d") == ("(?i)", ["a(?:b|c)", "[|x]", r"\|", "d"])
    assert split_alternatives("(?x)\n  a  # one | two\n| b\n") == ("(?x)", ["\n  a  \n", " b\n"])


def test_switched_off_changes_the_layers_and_puts_them_back() -> None:
    line = "ModuleNotFoundError: No module named 'numpy'"
    assert categorize(line) == ("dependency_missing", 1.0)
    off = [r for r in rules() if r.where.endswith(":dependency_missing") and re.search(r.text, line)]
    assert off
    strong = rootline._STRONG
    with switched_off(off):
        assert categorize(line) != ("dependency_missing", 1.0)
        assert rootline._STRONG is strong  # only the patterns that lose an alternative are rebuilt
    assert categorize(line) == ("dependency_missing", 1.0)


def test_a_rule_counts_for_the_logs_it_rescues_and_goes_off_with_their_repository() -> None:
    line = "Error: Cannot find module 'express'"  # one alternative of the rule names it
    twice = "ModuleNotFoundError: No module named 'numpy'"  # two do: neither alone rescues it
    lines = {"a1": [line], "a2": ["nothing here"], "b1": [line], "c1": [twice]}

    def outcome(log: str) -> tuple[bool, bool, bool]:
        found = categorize(lines[log][0])
        ok = found is not None and found[0] == "dependency_missing"
        return ok, ok, True

    relied = relied_on(list(lines), lambda log: lines[log], outcome)
    ids = {rid for rid, logs in relied.items() if logs == {"a1", "b1"}}
    assert ids and all(rid.startswith("rootvocab[") for rid in ids)
    assert not any("c1" in logs for logs in relied.values())  # the known blind spot: redundant rules
    repo_of = {"a1": "A", "a2": "A", "b1": "B", "c1": "C"}
    # used by two repositories: stays on whichever is held out
    assert disabled_rules(relied, repo_of, "A") == []
    only_a = {next(iter(ids)): {"a1"}}
    assert [r.id for r in disabled_rules(only_a, repo_of, "A")] == list(only_a)
    assert disabled_rules(only_a, repo_of, "B") == []
    assert isinstance(disabled_rules(only_a, repo_of, "A")[0], Rule)
