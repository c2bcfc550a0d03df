"""Spreadsheets of the situational center (openpyxl): the election's incidents for the lawyers'
complaints (station, commission, address, report, photo link, status, lawyer, resolution) and the
hotline's requests to vote at home by station, to pass to the commissions; times in the region's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from otklik.security.spreadsheets import neutralize_sheet

from . import questions
from .hotline import home_voting_requests
from .models import Election, Incident
from .questions import Analysis, Tally


def incidents_xlsx(
    election: Election, incidents: Iterable[Incident], *, photo_url: Callable[[int], str]
) -> bytes:
    """The incidents given (of ``election``, filtered as the lawyer chose, in time order);
    ``photo_url(report_id)`` gives the absolute link of a report's photo."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("Incidents")[:31]
    ws["A1"] = f"{_('Incidents')}: {election}"
    ws["A1"].font = Font(bold=True, size=14)
    header = [
        _("No."),
        _("Polling station"),
        _("Territorial commission"),
        _("Address"),
        _("Reported"),
        _("Observer"),
        _("Type of violation"),
        _("What happened"),
        _("Photo"),
        _("Status"),
        _("Lawyer"),
        _("Resolution"),
        _("Updated"),
    ]
    ws.append([])
    ws.append(header)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F7")
    for incident in incidents:
        report = incident.report
        author = report.author
        lawyer = incident.lawyer
        ws.append(
            [
                incident.pk,
                report.station.number,
                report.station.commission.name,
                report.station.address,
                timezone.localtime(report.created_at).replace(tzinfo=None),
                (author.get_full_name() or author.username) if author else "",
                report.violation_type.name if report.violation_type else "",
                report.text,
                photo_url(report.pk) if report.photo else "",
                incident.get_status_display(),
                (lawyer.get_full_name() or lawyer.username) if lawyer else "",
                incident.resolution,
                timezone.localtime(incident.updated_at).replace(tzinfo=None),
            ]
        )
    widths = (6, 10, 26, 30, 17, 22, 28, 60, 30, 18, 22, 50, 17)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column_letter in "CDGHL")
        row[4].number_format = row[12].number_format = "DD.MM.YYYY HH:MM"
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:M{ws.max_row}"
    neutralize_sheet(ws)  # observers' and callers' texts never become formulas
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def home_voting_xlsx(election: Election) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Home voting")[:31]
    ws["A1"] = f"{_('Requests to vote at home')}: {election}"
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([])
    header = [_("Polling station"), _("Territorial commission"), _("Received"), _("Voter"), _("Phone")]
    ws.append([*header, _("Address and details")])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F7")
    for call in home_voting_requests(election):
        station = call.station
        ws.append(
            [
                station.number if station else "",
                station.commission.name if station else "",
                timezone.localtime(call.created_at).replace(tzinfo=None),
                call.caller_name,
                call.phone,
                call.text,
            ]
        )
    for column, width in zip("ABCDEF", (10, 26, 17, 28, 18, 70), strict=True):
        ws.column_dimensions[column].width = width
    for row in ws.iter_rows(min_row=4):
        row[2].number_format = "DD.MM.YYYY HH:MM"
        row[5].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A4"
    neutralize_sheet(ws)  # observers' and callers' texts never become formulas
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet(
    wb: Workbook, title: str, header: list[str], rows: Iterable[list[Any]], widths: Iterable[int]
) -> Any:
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F7")
    for row in rows:
        ws.append(row)  # texts neutralized once the book is filled (security.spreadsheets)
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 1)}"
    return ws


def _tallies(tallies: Iterable[Tally]) -> list[list[Any]]:
    return [
        [
            t.label,
            t.questions,
            t.urgent,
            t.at_meeting,
            t.later,
            t.answered,
            t.answered_pct,
            t.appeals,
            t.appeals_answered,
        ]
        for t in tallies
    ]


def questions_xlsx(analysis: Analysis) -> bytes:
    """The questions asked at the meetings for the headquarters: every question with its topic,
    district, answer and appeal, and the counts by topic, district and week."""
    wb = Workbook()
    wb.remove(wb.active)
    states = {
        questions.AT_MEETING: _("at the meeting"),
        questions.LATER: _("later"),
        questions.BY_APPEAL: _("by the appeal"),
        "": _("not answered"),
    }
    ws = _sheet(
        wb,
        _("Questions"),
        [
            _("Meeting"),
            _("Candidate"),
            _("Place"),
            _("District"),
            _("Topic"),
            _("Urgent"),
            _("Question"),
            _("Answered"),
            _("Answer"),
            _("Appeal"),
            _("Appeal status"),
            _("Final answer"),
        ],
        (
            [
                r.asked_on,
                r.candidate,
                r.place,
                r.district,
                r.topic,
                _("yes") if r.urgent else "",
                r.text,
                str(states[r.state]),
                r.answer,
                r.case_number,
                r.case_status,
                timezone.localtime(r.case_answered_at).replace(tzinfo=None) if r.case_answered_at else None,
            ]
            for r in analysis.rows
        ),
        (11, 24, 28, 22, 24, 8, 60, 14, 50, 14, 16, 16),
    )
    for row in ws.iter_rows(min_row=2):
        row[0].number_format = "DD.MM.YYYY"
        row[11].number_format = "DD.MM.YYYY HH:MM"
        for cell in (row[6], row[8]):
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    header = [
        "",
        _("Questions"),
        _("Urgent"),
        _("At the meeting"),
        _("Later"),
        _("Answered"),
        _("Answered, %"),
        _("Appeals"),
        _("Appeals answered"),
    ]
    widths = (34, 11, 9, 12, 9, 10, 12, 9, 12)
    for title, tallies, first in (
        (_("By topic"), analysis.topics, _("Topic")),
        (_("By district"), analysis.districts, _("District")),
        (_("By week"), analysis.weeks, _("Week from")),
    ):
        _sheet(wb, title, [first, *header[1:]], _tallies(tallies), widths)
    for sheet in wb.worksheets:  # voters' questions and answers never become formulas
        neutralize_sheet(sheet)
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(body: bytes, filename: str) -> HttpResponse:
    """A spreadsheet to download as ``filename``."""
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
