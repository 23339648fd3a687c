"""Tables for a terminal: aligned columns under a header, every cell made safe to print.

Cells can come from the trail (test ids, strategies, categories): log-derived, hence hostile. Each
is cleaned (``sanitize.clean``: redacted, no workflow commands) and loses every control character
(no terminal escape sequence, no line break), then is cut to a width.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..sanitize import clean

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: the widest a cell may be before it is cut with an ellipsis
CELL_LIMIT = 60


def plain(value: object, limit: int = CELL_LIMIT) -> str:
    """A value as one safe line of terminal text, at most ``limit`` characters."""
    text = _CONTROL.sub("?", clean(str(value)).replace("\n", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, right: Sequence[int] = ()) -> str:
    """Rows under a header and a rule, columns padded to their widest cell; ``right`` columns are
    right-aligned (numbers). Ends with a newline."""
    cells = [[plain(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(row: Sequence[str]) -> str:
        out = [c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)]
        return "  ".join(out).rstrip()

    lines = [line(list(headers)), "  ".join("-" * w for w in widths)]
    lines.extend(line(row) for row in cells)
    return "\n".join(lines) + "\n"
