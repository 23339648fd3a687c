"""The well-known distributions a fix may add, read from the data files in ``data/known``.

A log names a module, and log text is hostile: it never chooses what is added. A name is only
added when it is on one of these lists (or on the config's extension of it); anything else is
advice. The lists are plain text (one name a line, ``#`` comments) so that a reviewer reads them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from importlib import resources


def _lines(name: str) -> tuple[str, ...]:
    text = resources.files("healing_guard").joinpath(f"data/known/{name}").read_text(encoding="utf-8")
    return tuple(s for s in (line.split("#", 1)[0].strip() for line in text.splitlines()) if s)


@cache
def python_imports() -> Mapping[str, str]:
    """Import names whose PyPI distribution has another name (``yaml`` → ``PyYAML``)."""
    data = json.loads(
        resources.files("healing_guard").joinpath("data/known/python-imports.json").read_text(encoding="utf-8")
    )
    return {str(k): str(v) for k, v in data.items()}


@cache
def python_distributions() -> frozenset[str]:
    """Distributions imported under their own name."""
    return frozenset(_lines("python.txt"))


@cache
def npm_packages() -> frozenset[str]:
    return frozenset(_lines("npm.txt"))


@cache
def gems() -> frozenset[str]:
    return frozenset(_lines("gems.txt"))


@cache
def go_modules() -> frozenset[str]:
    return frozenset(_lines("go.txt"))


def normalise(name: str) -> str:
    """A Python distribution or project name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()
