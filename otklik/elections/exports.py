"""Spreadsheets of the situational center (openpyxl): the election's incidents for the lawyers'
complaints (station, commission, address, report, photo link, status, lawyer, resolution) and the
hotline's requests to vote at home by station, to pass to the commissions; times in the region's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .hotline import home_voting_requests
from .models import Election, Incident


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
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
