"""One place that knows which regex engine scans whole logs.

The per-line work (named groups, ``exclude``) uses Python's ``re``. Scanning a whole log for
candidate lines uses one combined pattern run by RE2 when ``google-re2`` is installed: RE2 runs in
time linear in the input, whatever the patterns, so a 500 MB log with 200 patterns stays cheap.
Without RE2 the same combined pattern runs on ``re``.

Patterns must therefore stay in the common subset: no lookaround, no backreferences, no global
inline flags (use scoped ``(?i:...)``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

try:  # pragma: no cover - exercised in whichever environment runs the tests
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None

_UNPORTABLE = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=|^\(\?[aiLmsux]+\)|[^\\]\(\?[aiLmsux]+\)")
_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_]\w*>")


class BytesSearcher(Protocol):
    """The part of a compiled pattern the scanner uses."""

    def search(self, string: bytes, pos: int = ...) -> Any: ...


def engine_name() -> str:
    return "re2" if _re2 is not None else "re"


def check_portable(pattern: str) -> None:
    """Raise ValueError for constructs RE2 and ``grep -E`` cannot run."""
    if _UNPORTABLE.search(pattern):
        raise ValueError(
            "uses lookaround, a backreference or a global inline flag; "
            "use 'exclude' patterns and scoped flags like (?i:...) instead"
        )


def strip_named_groups(pattern: str) -> str:
    return _NAMED_GROUP.sub("(?:", pattern)


class LineSelector:
    """Which of many anchored patterns match one line, in one pass (RE2's Set).

    ``select(text)`` returns the tags of the patterns that match; None when RE2 is missing, in
    which case the caller tests each pattern itself.
    """

    def __init__(self, tagged: Iterable[tuple[object, str]], *, use_re2: bool | None = None) -> None:
        self._tags: list[object] = []
        self._set: Any = None
        if _re2 is None or use_re2 is False:
            return
        options = _re2.Options()
        options.max_mem = 256 << 20
        options.log_errors = False
        self._set = _re2.Set.MatchSet(options)
        for tag, pattern in tagged:
            self._set.Add(strip_named_groups(pattern))
            self._tags.append(tag)
        self._set.Compile()

    @property
    def available(self) -> bool:
        return self._set is not None

    def select(self, text: str) -> set[object]:
        found = self._set.Match(text) if self._set is not None else None
        return {self._tags[i] for i in found} if found else set()


def combine(patterns: Iterable[str], *, prefix: str = "", use_re2: bool | None = None) -> BytesSearcher:
    """One multiline bytes pattern that matches wherever any of ``patterns`` matches a line.

    Every pattern is anchored (starts with ``^``); ``prefix`` is an optional run allowed between
    the line start and the pattern (the runner's timestamp), so lines need no cleaning first.
    """
    bodies = []
    for p in patterns:
        p = strip_named_groups(p)
        bodies.append(f"(?:{p[1:] if p.startswith('^') else p})")
    lead = f"(?:{prefix})?" if prefix else ""
    source = f"(?m)^{lead}(?:{'|'.join(bodies)})"
    want_re2 = (_re2 is not None) if use_re2 is None else use_re2
    if want_re2:
        if _re2 is None:
            raise RuntimeError("google-re2 is not installed")
        options = _re2.Options()
        options.max_mem = 256 << 20
        options.log_errors = False
        return _re2.compile(source.encode(), options)  # type: ignore[no-any-return]
    return re.compile(source.encode())
