"""The summary of problems as XLSX (openpyxl, with a native bar chart) and PDF (WeasyPrint, SVG charts)."""

from __future__ import annotations

from io import BytesIO

from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill

from otklik.security.spreadsheets import neutralize_sheet

from .charts import bar_chart
from .summary import Summary


def trend_text(trend: str) -> str:
    return {"up": _("growing"), "down": _("falling"), "flat": _("stable"), "new": _("new")}[trend]


def period_text(s: Summary) -> str:
    start = date_format(s.scope.date_from, "SHORT_DATE_FORMAT")
    return f"{start} — {date_format(s.scope.date_to, 'SHORT_DATE_FORMAT')}"


def summary_xlsx(s: Summary) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = _("Summary")[:31]
    bold = Font(bold=True)
    ws["A1"] = _("Summary of problems")
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"{_('Period')}: {period_text(s)}"
    ws["A3"] = f"{_('Territory')}: {s.territory_name or _('Whole region')}"
    ws["A4"] = (
        f"{_('Cases')}: {s.cases}; {_('Messages')}: {s.messages}; {_('Open')}: {s.open}; "
        f"{_('Overdue')}: {s.overdue}; {_('Resolved')}: {s.resolved}"
    )
    header = [
        _("Problem"),
        _("Cases"),
        _("Messages"),
        _("Open"),
        _("Overdue"),
        _("Resolved"),
        _("Previous period"),
        _("Change, %"),
        _("Trend"),
        _("Typical examples"),
    ]
    first_row = 6
    ws.append([])
    for col, title in enumerate(header, start=1):
        cell = ws.cell(row=first_row, column=col, value=title)
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDE7F7")
    for i, p in enumerate(s.problems, start=first_row + 1):
        values = [
            p.label,
            p.cases,
            p.messages,
            p.open,
            p.overdue,
            p.resolved,
            p.previous,
            p.change,
            trend_text(p.trend),
            "\n".join(p.examples),
        ]
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=i, column=col, value=value)
            if col == len(values):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [42, 9, 11, 9, 11, 11, 14, 11, 12, 90]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[ws.cell(row=first_row, column=col).column_letter].width = width
    if s.problems:
        last = first_row + len(s.problems)
        chart = BarChart()
        chart.type = "bar"
        chart.title = _("Top problems")
        chart.y_axis.title = _("Cases")
        chart.height = max(7.5, 0.8 * len(s.problems))
        chart.width = 22
        data = Reference(ws, min_col=2, min_row=first_row, max_row=last)
        cats = Reference(ws, min_col=1, min_row=first_row + 1, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        chart.legend = None
        ws.add_chart(chart, f"A{last + 3}")
    neutralize_sheet(ws)  # examples are residents' texts: never a formula
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def summary_pdf(s: Summary) -> bytes:
    from weasyprint import HTML

    chart = bar_chart([(p.label, p.cases) for p in s.problems], width=760, title=_("Top problems"))
    html = render_to_string(
        "analytics/summary_pdf.html",
        {
            "s": s,
            "chart": chart,
            "period": period_text(s),
            "trends": {p.label: trend_text(p.trend) for p in s.problems},
        },
    )
    return HTML(string=html).write_pdf()
