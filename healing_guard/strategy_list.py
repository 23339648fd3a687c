"""``healing-guard strategies``: the catalogue (with a config's changes) as rows, a table or JSON.

Each row is one strategy in catalogue order (a config's custom strategies first, as the classifier
sees them): its id, name, category, risk, remediation action, whether it is enabled, the number of
patterns, the advice template, what it recognises, and where it comes from (``built-in``, or
``config`` for a custom strategy of the ``--config`` file). The JSON is an array of these objects,
with keys in a fixed order; the text is a table with a header row and aligned columns.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from .catalogue import Catalogue
from .models import Strategy

BUILT_IN = "built-in"
CONFIG = "config"
#: The columns of the text table: header and the key of the row.
COLUMNS = (
    ("ID", "id"),
    ("CATEGORY", "category"),
    ("RISK", "risk"),
    ("ACTION", "action"),
    ("ENABLED", "enabled"),
    ("SOURCE", "source"),
)


def row(strategy: Strategy, *, source: str) -> dict[str, Any]:
    """One strategy as the JSON object ``strategies --format json`` prints."""
    return {
        "id": strategy.id,
        "name": strategy.name,
        "category": strategy.category,
        "risk": strategy.risk.value,
        "action": strategy.remediation.action,
        "enabled": strategy.enabled,
        "patterns": len(strategy.patterns),
        "description": " ".join(strategy.description.split()),
        "advice": " ".join(strategy.remediation.description.split()),
        "source": source,
    }


def rows(catalogue: Catalogue, custom: Collection[str] = ()) -> list[dict[str, Any]]:
    """Every strategy of ``catalogue``; the ids in ``custom`` came from the config file."""
    return [row(s, source=CONFIG if s.id in custom else BUILT_IN) for s in catalogue.strategies]


def to_json(items: list[dict[str, Any]]) -> str:
    return json.dumps(items, indent=2, ensure_ascii=False)


def _cell(value: Any) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def to_text(items: list[dict[str, Any]]) -> str:
    """A header row and aligned columns (one word per cell: ``cut``/``awk`` can read it)."""
    table = [[header for header, _ in COLUMNS]]
    for item in items:
        table.append([_cell(item[key]) for _, key in COLUMNS])
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in table]
    return "\n".join(lines) + "\n"
