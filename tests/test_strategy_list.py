"""``strategy_list``: the rows of ``healing-guard strategies`` and their table."""

from __future__ import annotations

from healing_guard import load_catalogue
from healing_guard.strategy_list import BUILT_IN, COLUMNS, CONFIG, rows, to_text


def test_rows_follow_the_catalogue_and_mark_the_config_ones() -> None:
    catalogue = load_catalogue()
    first = catalogue.ids()[0]
    items = rows(catalogue, custom=[first])
    assert [r["id"] for r in items] == catalogue.ids()
    assert [r["source"] for r in items[:2]] == [CONFIG, BUILT_IN]


def test_text_table_has_a_header_and_aligned_one_word_cells() -> None:
    items = [
        {"id": "a", "category": "network", "risk": "low", "action": "rerun", "enabled": True, "source": BUILT_IN},
        {
            "id": "a-much-longer-id",
            "category": "x",
            "risk": "high",
            "action": "none",
            "enabled": False,
            "source": CONFIG,
        },
    ]
    lines = to_text(items).splitlines()
    assert lines[0].split() == [h for h, _ in COLUMNS]
    assert lines[1].split() == ["a", "network", "low", "rerun", "yes", "built-in"]
    assert lines[2].split() == ["a-much-longer-id", "x", "high", "none", "no", "config"]
    starts = [lines[0].index(h) for h, _ in COLUMNS]
    for line in lines[1:]:
        assert [line.index(cell, start) for cell, start in zip(line.split(), starts, strict=True)] == starts
    assert all(line == line.rstrip() for line in lines)
