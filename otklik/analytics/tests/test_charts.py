"""The server-drawn SVG charts in their two layouts: the wide one as it always was, the phone's narrow
one with text that keeps its size, fewer axis labels, the legend in one column and the bars' labels on
their own lines."""

from __future__ import annotations

import re
from itertools import pairwise
from xml.etree import ElementTree

from otklik.analytics import charts

SVG = "{http://www.w3.org/2000/svg}"
DAYS = [f"{d:02d}.11" for d in range(1, 31)]
SERIES = [
    ("Всего", [float(d % 7) for d in range(30)]),
    ("Жилищно-коммунальное хозяйство / Отопление многоквартирных домов", [1.0] * 30),
    ("Дороги", [2.0] * 30),
    ("ТКО и экология", [0.0] * 30),
]
PROBLEMS = [
    ("Газ и энергетика / Отключение электричества в частном секторе и многоквартирных домах", 12.0),
    ("Дороги / Ямы и ремонт дорог", 9.0),
]


def _svg(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text)


def _texts(svg: ElementTree.Element, kind: str) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text") if t.get("class") == kind]


def test_the_wide_line_chart_is_drawn_as_before() -> None:
    svg = _svg(charts.line_chart(DAYS, SERIES))
    assert svg.get("viewBox") == "0 0 860 316"  # 280 and two legend rows of three columns
    assert svg.get("font-size") == "11" and svg.get("class") == "chart chart-wide"
    assert _texts(svg, "x-tick") == DAYS[::3]  # every third day of 30, as before
    assert _texts(svg, "y-tick") == ["0", "2", "4", "6", "8"]
    assert _texts(svg, "legend")[1] == SERIES[1][0][:47] + "…"  # cut at 48 characters, now said so


def test_the_phones_line_chart_keeps_its_text_large_and_its_labels_apart() -> None:
    svg = _svg(charts.line_chart(DAYS, SERIES, layout=charts.PHONE))
    width = float(svg.get("viewBox", "").split()[2])
    assert width == 340 and svg.get("font-size") == "13" and svg.get("class") == "chart chart-phone"
    ticks = [t for t in svg.iter(f"{SVG}text") if t.get("class") == "x-tick"]
    xs = [float(t.get("x", 0)) for t in ticks]
    label = 5 * 0.62 * 13  # "dd.mm" in 13-unit DejaVu Sans
    assert 3 <= len(ticks) <= 6
    assert all(b - a >= label + 8 for a, b in pairwise(xs))
    assert xs[0] - label / 2 >= 0 and xs[-1] + label / 2 <= width
    assert _texts(svg, "y-tick") == ["0", "4", "8"]
    legend = _texts(svg, "legend")
    assert len(legend) == 4 and legend[0] == "Всего"  # one column: a row each
    assert all(len(name) * 0.62 * 13 + 18 <= width for name in legend)
    assert legend[1].endswith("…")


def test_the_phones_bar_chart_puts_each_label_over_its_bar() -> None:
    svg = _svg(charts.bar_chart(PROBLEMS, layout=charts.PHONE))
    labels = _texts(svg, "label")
    assert labels[0] == "Газ и энергетика / Отключение"  # wrapped onto two lines, the second cut short
    assert labels[1].endswith("…") and len(labels) == 3
    assert labels[2] == PROBLEMS[1][0]
    assert _texts(svg, "value") == ["12", "9"]
    bars = [float(r.get("width", 0)) for r in svg.iter(f"{SVG}rect")]
    assert bars[0] > bars[1] and max(bars) + 6 + 2 * 0.62 * 13 <= 340


def test_a_page_gets_both_layouts_and_the_pdf_the_wide_one() -> None:
    both = charts.for_page(charts.bar_chart, PROBLEMS)
    assert re.findall(r"class='chart (chart-\w+)'", both) == ["chart-wide", "chart-phone"]
    pdf = charts.bar_chart(PROBLEMS, width=760, title="Топ проблем")
    assert "viewBox='0 0 760 " in pdf and "chart-phone" not in pdf
