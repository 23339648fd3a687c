"""regex_engine: the block prefilter stays inside one line; every pattern runs on RE2 or is refused."""

from __future__ import annotations

import re

import pytest

from healing_guard import regex_engine
from healing_guard.catalogue import load_catalogue
from healing_guard.scanner import Scanner

re2 = pytest.importorskip("re2")

# (pattern, text where a match would have to cross a newline, a one-line text it matches)
CROSSING = [
    (r"^error: [^(]*?\(", b"error: x\nerror: y\n(", b"error: z ("),
    (r"^a\s+b", b"a\nb", b"a \tb"),
    (r"^a[\s,]+b", b"a,\nb", b"a, b"),
    (r"^x\W+y", b"x\ny", b"x--y"),
    (r"^p\D+q", b"p\nq", b"p-q"),
    (r"^(?s:a.b)", b"a\nb", b"a-b"),
    (r"^a.*b", b"a\nb", b"a--b"),
    (r"^a[\x00-\x7f]b", b"a\nb", b"a-b"),
    (r"^a\nb", b"a\nb", None),
    (r"^.*(?i:\bno space left on device)", b"x\nNo space\nleft on device", b"x: No Space Left On Device"),
]


@pytest.mark.parametrize("use_re2", [True, False], ids=["re2", "re"])
@pytest.mark.parametrize(("pattern", "crossing", "one_line"), CROSSING, ids=[c[0] for c in CROSSING])
def test_combined_prefilter_never_matches_across_a_newline(
    pattern: str, crossing: bytes, one_line: bytes | None, use_re2: bool
) -> None:
    combined = regex_engine.combine([pattern], use_re2=use_re2)
    m = combined.search(crossing, 0)
    assert m is None or b"\n" not in crossing[m.start() : m.end()]
    if one_line is not None:
        assert combined.search(b"before\n" + one_line + b"\nafter", 0) is not None


def test_line_local_rewrites_what_can_match_a_newline() -> None:
    assert regex_engine.line_local(r"^a\sb") == r"^a[^\S\n]b"
    assert regex_engine.line_local(r"[^(]*?x") == r"[^\n(]*?x"
    assert regex_engine.line_local(r"a.b") == r"a[^\n]b"
    assert regex_engine.line_local(r"[abc]\d\w\S") == r"[abc]\d\w\S"  # nothing there can match \n
    assert regex_engine.line_local(r"[\s,]") == r"(?:(?!\n)[\s,])"
    assert regex_engine.line_local(r"[]x]") == r"[]x]"
    assert regex_engine.line_local(r"\.\(") == r"\.\("
    # the rewrite keeps the meaning on one line
    for p in (r"^(?:\s*E\s+)?\W?(?P<x>\w+)\D{2}[^:]+:\s*$", r"^[\s\S]+?x$"):
        for text in ("  E   !word--a b c:  ", "ab x", "x"):
            assert bool(re.match(p, text)) == bool(re.match(regex_engine.line_local(p), text)), (p, text)


@pytest.mark.parametrize("pattern", [r"^(\w+\s?)+:$", r"(a+)+$", r"^(.*)*z", r"^(?:a|a)*b", r"^(?P<x>(x+x+)+y)"])
def test_patterns_that_backtrack_on_re_are_accepted_and_run_on_re2(pattern: str) -> None:
    regex_engine.check_linear(pattern)
    compiled = regex_engine.compile_line(pattern)
    assert regex_engine.is_linear(compiled)
    assert compiled.search("a" * 5000 + "!") is None or pattern == r"^(.*)*z"


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"^a++b", "bad repetition operator"),  # possessive: Python takes it, RE2 does not
        (r"^x{1001}", "invalid repetition size"),
        (r"^(?>abc)", "invalid perl operator"),  # atomic group
    ],
)
def test_patterns_re2_cannot_run_are_refused_with_the_reason(pattern: str, why: str) -> None:
    re.compile(pattern)  # Python accepts all of these
    with pytest.raises(ValueError, match="cannot run in linear time: RE2 rejects it") as excinfo:
        regex_engine.check_linear(pattern)
    assert why in str(excinfo.value)


def test_without_re2_only_trusted_patterns_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(regex_engine, "_re2", None)
    regex_engine.check_linear(r"^(a+)+$", trusted=True)
    with pytest.raises(ValueError, match=r"google-re2 .* is not installed"):
        regex_engine.check_linear(r"^ERROR")
    assert not regex_engine.is_linear(regex_engine.compile_line(r"^ERROR"))
    assert regex_engine.engine_name() == "re"


def test_named_groups_work_on_re2() -> None:
    p = regex_engine.compile_line(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+)(?::(?P<col>\d+))?")
    m = p.match("src/app.py:12 oops")
    assert m is not None
    assert m.groupdict() == {"file": "src/app.py", "line": "12", "col": None}
    assert p.search("x src/app.py:1") is None  # match is anchored at the start
    assert regex_engine.compile_line(r"dry run").search("a dry run here") is not None


def test_the_builtin_catalogue_runs_entirely_on_re2() -> None:
    catalogue = load_catalogue()
    count = 0
    for s in catalogue.strategies:
        for p in (*s.patterns, *s.indicators, *s.exclude):
            regex_engine.check_linear(p.pattern)  # RE2 compiles it
            count += 1
    assert count > 400
    scanner = Scanner(catalogue.enabled)
    compiled = scanner._rx.compiled()
    assert len(compiled) >= count - sum(
        len(s.patterns) + len(s.indicators) + len(s.exclude) for s in catalogue.strategies if not s.enabled
    )
    assert all(regex_engine.is_linear(c) for c in compiled)


@pytest.mark.parametrize("use_re2", [True, False], ids=["re2", "re"])
def test_finder_gives_the_spans_search_gives(use_re2: bool) -> None:
    combined = regex_engine.combine([r"^error: \w+", r"^.*\bFAILED\b"], use_re2=use_re2)
    find = regex_engine.finder(combined)
    text = b"ok\nerror: x y\nall FAILED here\nerror:\n"
    for pos in range(len(text) + 1):
        m = combined.search(text, pos)
        assert find(text, pos) == (None if m is None else (m.start(), m.end())), pos


def test_exclusions_of_every_strategy_are_one_pass_and_agree_with_each_pattern() -> None:
    catalogue = load_catalogue()
    scanner = Scanner(catalogue.enabled)
    rx = scanner._rx
    lines = [
        "ERROR: pip's dependency resolver does not currently take into account all the packages",
        "[ERROR] ",
        "[ERROR] -> [Help 1]",
        "error: something else",
        "npm ERR! dry run",
    ]
    for text in lines:
        found = rx.exclusions(text)
        for i in range(len(scanner.strategies)):
            one_by_one = any(x.search(text) is not None for x in rx.exclude[i])
            assert rx.excluded(i, text, found) == one_by_one == rx.excluded(i, text, None), (
                scanner.strategies[i].id,
                text,
            )
