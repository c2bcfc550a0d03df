"""One neutralizer for every spreadsheet the project writes (otklik.security.spreadsheets)."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

import pytest
from openpyxl import Workbook, load_workbook

from otklik.security import spreadsheets

FORMULAS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    '=HYPERLINK("http://x","y")',
    "-cmd|' /C calc'!A0",
]
HARMLESS = ["", "-", "-5", "+7", "12,5", "текст", "a=b", " =1", 5, None, 2.5]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_texts_are_marked(value):
    assert spreadsheets.is_formula_like(value)
    assert spreadsheets.csv_value(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_other_values_are_left_alone(value):
    assert not spreadsheets.is_formula_like(value)
    assert spreadsheets.csv_value(value) == value


def test_a_csv_row_read_back_has_no_formula():
    out = StringIO()
    csv.writer(out).writerow(spreadsheets.csv_row([*FORMULAS, *HARMLESS]))
    row = next(csv.reader(StringIO(out.getvalue())))
    assert all(not spreadsheets.is_formula_like(v) for v in row)


def test_sheets_normal_and_write_only_keep_the_text_and_drop_the_formula():
    wb = Workbook()
    ws = wb.active
    ws.append(FORMULAS)
    assert ws["A1"].data_type == "f"  # what openpyxl does by itself
    assert spreadsheets.neutralize_sheet(ws) == len(FORMULAS)
    streaming = Workbook(write_only=True)
    sheet = streaming.create_sheet("x")
    sheet.append(spreadsheets.xlsx_cells(sheet, [*FORMULAS, "ok", 5]))
    for book, name in ((wb, ws.title), (streaming, "x")):
        buffer = BytesIO()
        book.save(buffer)
        read = load_workbook(BytesIO(buffer.getvalue()))[name]
        cells = next(iter(read.iter_rows()))
        assert [c.value for c in cells[: len(FORMULAS)]] == [f.replace("\r", "\n") for f in FORMULAS]
        assert all(c.data_type == "s" and c.quotePrefix for c in cells[: len(FORMULAS)])
