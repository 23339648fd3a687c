"""One place that knows which regex engine runs on log text, and keeps every match linear.

Log text is hostile and patterns may come from users, so every pattern that runs on a log runs on
RE2 (``google-re2``, a dependency), whose time is linear in the input whatever the pattern:

- ``combine`` builds the one pattern that finds candidate lines in a whole block of the log. It is
  compiled with RE2's ``never_nl``, so no part of it can match a newline: a match never runs past
  its line, and a search never reads ahead beyond the line where it matches. The scanner's loop
  resumes after that line, so each byte of a block is read once.
- ``compile_line`` compiles the per-line patterns (named groups, ``exclude``) on RE2 too.
- ``LineSelector`` tells, in one RE2 pass over a line, which of many patterns match it.

Without RE2 (only when ``google-re2`` failed to install) the same work runs on Python's ``re``,
which backtracks: the block pattern is rewritten so it cannot cross a newline (``line_local``), the
built-in catalogue is vetted against nested quantifiers by its tests, and patterns from a user's
config are refused (``check_linear``), because nothing can bound ``re``'s time on them.

Patterns must stay in the common subset: no lookaround, no backreferences, no global inline flags
(use scoped ``(?i:...)``), no repetition count over 1000.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Protocol

try:  # pragma: no cover - exercised in whichever environment runs the tests
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

_UNPORTABLE = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|^\(\?[aiLmsux]+\)|[^\\]\(\?[aiLmsux]+\)")
_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_]\w*>")
_MAX_MEM = 256 << 20  # for the combined pattern and the set; one line pattern gets RE2's default (8 MiB)


class BytesSearcher(Protocol):
    """The part of a compiled pattern the scanner uses."""

    def search(self, string: bytes, pos: int = ...) -> Any: ...


class LineMatch(Protocol):
    def groupdict(self) -> dict[str, Any]: ...


class LinePattern(Protocol):
    """A pattern compiled for one line of text (``str``), on RE2 or, without it, on ``re``."""

    @property
    def pattern(self) -> Any: ...

    def match(self, string: str) -> LineMatch | None: ...

    def search(self, string: str) -> LineMatch | None: ...


def engine_name() -> str:
    return "re2" if _re2 is not None else "re"


def _options(max_mem: int | None = None, *, never_nl: bool = False) -> Any:
    assert _re2 is not None
    options = _re2.Options()
    if max_mem is not None:
        options.max_mem = max_mem
    options.log_errors = False
    options.never_nl = never_nl
    return options


def check_portable(pattern: str) -> None:
    """Raise ValueError for constructs RE2 and ``grep -E`` cannot run."""
    if _UNPORTABLE.search(pattern):
        raise ValueError(
            "uses lookaround, a backreference or a global inline flag; "
            "use 'exclude' patterns and scoped flags like (?i:...) instead"
        )


def check_linear(pattern: str, *, trusted: bool = False) -> None:
    """Raise ValueError (saying why) unless ``pattern`` will run in time linear in the line.

    With RE2 that means RE2 compiles it. Without RE2 only ``trusted`` patterns (the built-in
    catalogue, whose tests vet them) are accepted: Python's ``re`` cannot bound a user's pattern.
    """
    if _re2 is None:
        if trusted:
            return
        raise ValueError(
            "cannot be run safely: google-re2 (a dependency of healing-guard) is not installed, and "
            "without it a pattern from a config could take exponential time on one log line; "
            "install google-re2"
        )
    try:
        _re2.compile(pattern, _options())
    except _re2.error as exc:
        why = exc.args[0] if exc.args else exc
        why = why.decode("utf-8", "replace") if isinstance(why, bytes) else str(why)
        raise ValueError(
            f"cannot run in linear time: RE2 rejects it ({why}); avoid lookaround, backreferences, "
            "possessive quantifiers and repetition counts over 1000"
        ) from exc


def compile_line(pattern: str, *, use_re2: bool | None = None) -> LinePattern:
    """``pattern`` compiled for matching one line: RE2 when installed (and not turned off)."""
    if _re2 is not None and use_re2 is not False:
        return _re2.compile(pattern, _options())  # type: ignore[no-any-return]
    if use_re2:
        raise RuntimeError("google-re2 is not installed")
    return re.compile(pattern)


def is_linear(compiled: object) -> bool:
    """Whether a compiled pattern runs on RE2 (tests check every per-line pattern with this)."""
    return _re2 is not None and isinstance(compiled, _re2._Regexp)


def strip_named_groups(pattern: str) -> str:
    return _NAMED_GROUP.sub("(?:", pattern)


# What may match a newline, rewritten so it cannot (for Python's re; RE2 has never_nl).
_ESCAPE_OUTSIDE = {"s": r"[^\S\n]", "W": r"[^\w\n]", "D": r"[^\d\n]", "n": r"[^\s\S]"}


def line_local(pattern: str) -> str:
    """``pattern`` rewritten so that Python's ``re`` cannot match a newline with any part of it.

    ``\\s \\W \\D`` become classes without ``\\n``; ``.`` becomes ``[^\\n]`` (also under a scoped
    ``s`` flag); a negated class gets ``\\n`` added; a positive class that could hold a newline
    (one with an escape or a range) is guarded by ``(?!\\n)``; a literal newline never matches.
    """
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            out.append(_ESCAPE_OUTSIDE.get(nxt, c + nxt))
            i += 2
        elif c == "[":
            j = i + 1
            negated = j < n and pattern[j] == "^"
            if negated:
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            body = pattern[i + 1 : j]
            if negated:
                out.append("[^\\n" + body[1:] + "]")
            elif "\\" in body or "-" in body or "\n" in body:
                out.append("(?:(?!\\n)[" + body + "])")
            else:
                out.append("[" + body + "]")
            i = j + 1
        elif c == ".":
            out.append("[^\\n]")
            i += 1
        elif c == "\n":
            out.append(r"[^\s\S]")
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


class LineSelector:
    """Which of many patterns match one line, in one pass (RE2's Set): matched at the start of the
    line (``anchored``) or anywhere in it.

    ``select(text)`` returns the tags of the patterns that match; None when RE2 is missing, in
    which case the caller tests each pattern itself.
    """

    def __init__(
        self,
        tagged: Iterable[tuple[object, str]],
        *,
        use_re2: bool | None = None,
        anchored: bool = True,
        groups: int = 1,
    ) -> None:
        # ``groups`` > 1 splits the patterns (sorted, so that similar ones stay together) into that
        # many sets: RE2 builds a set's DFA states as it meets new text, and states of several
        # small sets cost less to build than those of one big one (see ``Scanner``)
        self._sets: list[tuple[Any, list[object]]] = []
        if _re2 is None or use_re2 is False:
            return
        options = _options(_MAX_MEM)
        items = [(strip_named_groups(pattern), tag) for tag, pattern in tagged]
        if groups > 1:
            items.sort(key=lambda item: item[0])
        size = -(-len(items) // max(groups, 1)) or 1
        for i in range(0, len(items), size):
            one = _re2.Set.MatchSet(options) if anchored else _re2.Set.SearchSet(options)
            tags: list[object] = []
            for pattern, tag in items[i : i + size]:
                one.Add(pattern)
                tags.append(tag)
            one.Compile()
            self._sets.append((one, tags))
        if not self._sets:  # no patterns: an empty set still answers
            one = _re2.Set.MatchSet(options) if anchored else _re2.Set.SearchSet(options)
            one.Compile()
            self._sets.append((one, []))

    @property
    def available(self) -> bool:
        return bool(self._sets)

    def select(self, text: str) -> set[object]:
        out: set[object] = set()
        for one, tags in self._sets:
            found = one.Match(text)
            if found:
                out.update(tags[i] for i in found)
        return out


def combine(patterns: Iterable[str], *, prefix: str = "", use_re2: bool | None = None) -> BytesSearcher:
    """One multiline bytes pattern that matches wherever any of ``patterns`` matches a line.

    Every pattern is anchored (starts with ``^``); ``prefix`` is an optional run allowed between
    the line start and the pattern (the runner's timestamp), so lines need no cleaning first.
    No part of the result matches a newline, so a match and the search for it stay in one line.
    """
    want_re2 = (_re2 is not None) if use_re2 is None else use_re2
    patterns = list(patterns)
    lead = f"(?:{prefix})?" if prefix else ""
    source = _alternation(patterns, lead, local=not want_re2)
    if not want_re2:
        return re.compile(source.encode())
    if _re2 is None:
        raise RuntimeError("google-re2 is not installed")
    return _re2.compile(source.encode(), _options(_MAX_MEM, never_nl=True))  # type: ignore[no-any-return]


def _alternation(patterns: Iterable[str], lead: str, *, local: bool) -> str:
    bodies = []
    for p in patterns:
        p = strip_named_groups(p)
        p = p[1:] if p.startswith("^") else p
        bodies.append(f"(?:{line_local(p) if local else p})")
    return f"(?m)^{lead}(?:{'|'.join(bodies)})"


Finder = Callable[[bytes, int], "tuple[int, int] | None"]


def finder(searcher: BytesSearcher) -> Finder:
    """``find(block, pos)``: the span of the next match at or after ``pos``, or None.

    The same as ``searcher.search`` but, on RE2, through the extension's ``Match`` call: the
    module's Python wrapper costs about twice what the search itself costs on a short line, and a
    dense log makes one search per line.
    """
    raw = _raw_match(searcher)
    if raw is not None:
        return raw

    def find(string: bytes, pos: int) -> tuple[int, int] | None:
        m = searcher.search(string, pos)
        return None if m is None else (m.start(), m.end())

    return find


def _raw_match(compiled: object) -> Finder | None:
    """The RE2 extension's unanchored match on ``compiled``, checked against the public API."""
    regexp = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(_re2, "_Anchor", None), "UNANCHORED", None)
    if _re2 is None or not isinstance(compiled, _re2._Regexp) or regexp is None or anchor is None:
        return None
    match = regexp.Match

    def find(string: bytes, pos: int) -> tuple[int, int] | None:
        spans = match(anchor, string, pos, len(string))
        if spans is None or spans[0][0] < 0:
            return None
        return spans[0]  # type: ignore[no-any-return]

    try:  # the extension is not a public API: use it only if it answers as the wrapper does
        probe = b"x\nab\n"
        public = compiled.search(probe, 0)
        if find(probe, 0) != (None if public is None else (public.start(), public.end())):
            return None
    except Exception:
        return None
    return find
