"""Terminal tables: aligned under a header, and no cell can print an escape sequence or a line break."""

from __future__ import annotations

from healing_guard.history.tables import CELL_LIMIT, plain, table


def test_columns_line_up_and_numbers_align_right() -> None:
    out = table(("Name", "N"), [("a", 5), ("longer", 12)], right=(1,))
    assert out.splitlines() == ["Name     N", "------  --", "a        5", "longer  12"]


def test_hostile_cells_are_plain_one_line_text() -> None:
    cell = plain("x\x1b[31mred\x1b]0;title\x07\nnext\r::error::boom\x9b")
    assert "\x1b" not in cell and "\n" not in cell and "\r" not in cell and "\x07" not in cell and "\x9b" not in cell
    assert "::error::" not in cell


def test_long_cells_are_cut() -> None:
    cell = plain("y" * 500)
    assert len(cell) == CELL_LIMIT and cell.endswith("…")
