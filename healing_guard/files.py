"""Files the guard is pointed at (config, event payload, log paths): regular files only, read with a bound.

A FIFO blocks the reader until someone writes to it, and ``/dev/zero`` never ends; neither is a
file a person meant to give. :func:`special_kind` says what such a path is so that each caller can
refuse it in its own words before opening it, and :func:`read_at_most` never holds more than its
limit in memory, whatever the file turns into after the check.
"""

from __future__ import annotations

import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_kind(path: Path) -> str | None:
    """``None`` for a regular file (symbolic links followed), else what the path is, in words.

    Raises ``OSError`` (``FileNotFoundError`` for a missing path) when it cannot be examined.
    """
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_at_most(path: Path, limit: int) -> bytes | None:
    """The bytes of the regular file at ``path``, or ``None`` when it holds more than ``limit`` bytes.

    Raises ``OSError``; the caller checks :func:`special_kind` first (opening a FIFO blocks).
    """
    with path.open("rb") as fh:
        data = fh.read(limit + 1)
    return None if len(data) > limit else data
