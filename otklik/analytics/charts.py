"""Small server-side SVG charts: no chart library, no CDN; the same SVG goes into pages and the PDF."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563")
FONT = "font-family='DejaVu Sans, Arial, sans-serif'"


def _nice_max(value: float) -> float:
    """A round top for the axis; small counts get a multiple of 4 so the quarter ticks are whole."""
    if value <= 0:
        return 1.0
    if value <= 20:
        return float(4 * -(-int(value) // 4) if value == int(value) else 4 * (int(value) // 4 + 1))
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = step * magnitude
        if top >= value:
            return float(top)
    return float(value)


@dataclass(frozen=True)
class Layout:
    """How large a chart is drawn in its own units. The page scales an SVG to its box, text included:
    the wide layout is drawn for a desk's screen (and the PDF); the phone's is drawn about as wide as a
    phone's column, so that its text stays about its size (13 units ≈ 12 px at 390 px) instead of
    shrinking with an 860-unit chart to 5 px."""

    name: str  # the SVG's class: chart-wide or chart-phone (the page's CSS shows one of the two)
    width: int
    font: int
    plot_height: int  # a line chart's plot with its axes, legend below
    legend_columns: int
    y_ticks: int  # horizontal grid lines, 0 and the top included
    most_x_labels: int  # the day labels under a line chart at most, however many days
    bar_label_width: int  # a bar chart's labels: left of the bars (> 0) or on their own lines above (0)
    left: int  # a line chart's margins at the least (wider for long tick labels)
    right: int


WIDE = Layout(
    "chart-wide",
    width=860,
    font=11,
    plot_height=280,
    legend_columns=3,
    y_ticks=5,
    most_x_labels=10,
    bar_label_width=330,
    left=48,
    right=28,
)
PHONE = Layout(
    "chart-phone",
    width=340,
    font=13,
    plot_height=200,
    legend_columns=1,
    y_ticks=3,
    most_x_labels=6,
    bar_label_width=0,
    left=24,
    right=10,
)


def _chars(layout: Layout, room: float) -> int:
    """How many characters of text fit in ``room`` units (DejaVu Sans: about 0.62 em a character)."""
    return max(1, int(room / (0.62 * layout.font)))


def _text_width(layout: Layout, text: str) -> float:
    return len(text) * 0.62 * layout.font


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


def _open(layout: Layout, width: int, height: int) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
        f"height='{height}' role='img' class='chart {layout.name}' {FONT} font-size='{layout.font}'>"
    )


def _title(layout: Layout, x: float, title: str) -> str:
    size = layout.font + 1
    return f"<text class='title' x='{x}' y='14' font-weight='bold' font-size='{size}'>{escape(title)}</text>"


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    layout: Layout = WIDE,
    title: str = "",
) -> str:
    """Lines over a shared axis; the legend sits under the plot. Day labels are thinned to the ones
    that fit side by side, and at most ``layout.most_x_labels`` of them."""
    width, height, font = layout.width, layout.plot_height, layout.font
    widest = max((_text_width(layout, label) for label in labels), default=0.0)
    digits = _text_width(layout, f"{_nice_max(_peak(series)):g}")
    left, right = max(layout.left, int(digits) + 12), max(layout.right, int(widest / 2) + 4)
    top, bottom = 24 if title else 10, font + 17
    columns = layout.legend_columns
    row = font + 7
    legend_rows = -(-len(series) // columns)
    total_h = height + legend_rows * row
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(_peak(series))
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    out = [_open(layout, width, total_h)]
    if title:
        out.append(_title(layout, left, title))
    for k in range(layout.y_ticks):
        v = peak * k / (layout.y_ticks - 1)
        yy = y(v)
        out.append(f"<line x1='{left}' x2='{width - right}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#e5e7eb'/>")
        out.append(
            f"<text class='y-tick' x='{left - 6}' y='{yy + font * 0.36:.1f}' text-anchor='end' "
            f"fill='#6b7280'>{v:g}</text>"
        )
    # every k-th label: no more than most_x_labels, and each clear of the next by a gap of 8 units
    side_by_side = -(-(widest + 8) * (n - 1) // plot_w) if n > 1 and plot_w > 0 else 1
    every = max(1, n // layout.most_x_labels, int(side_by_side))
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(
                f"<text class='x-tick' x='{x(i):.1f}' y='{height - 8}' text-anchor='middle' fill='#6b7280'>"
                f"{escape(label)}</text>"
            )
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(
            f"<polyline fill='none' stroke='{color}' stroke-width='{2.5 if s == 0 else 1.8}' "
            f"points='{points}'><title>{escape(name)}</title></polyline>"
        )
        # several columns under the plot, or one from the left edge with the whole width for the name
        lx = left + (s % columns) * (plot_w / columns) if columns > 1 else 0
        ly = height + 6 + (s // columns) * row
        chars = 48 if columns > 1 else _chars(layout, width - 18)
        out.append(f"<rect x='{lx:.1f}' y='{ly:.1f}' width='12' height='4' fill='{color}'/>")
        out.append(
            f"<text class='legend' x='{lx + 18:.1f}' y='{ly + font - 5:.1f}' fill='#111827'>"
            f"{escape(_short(name, chars))}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _peak(series: Sequence[tuple[str, Sequence[float]]]) -> float:
    return max((max(v) if len(v) else 0) for _n, v in series) if series else 0


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    layout: Layout = WIDE,
    width: int | None = None,
    bar: int = 20,
    title: str = "",
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars with their labels and values: the labels left of the bars, or (a layout
    without room for them there) on one or two lines above each bar."""
    width = width or layout.width
    font = layout.font
    top = 24 if title else 6
    peak = max((v for _l, v in items), default=0) or 1
    beside = layout.bar_label_width > 0
    plot_w: float
    if beside:
        label_w, line, bar_h, gap = layout.bar_label_width, 0, bar, 6
        plot_w = width - label_w - 60
        wrapped = [[_short(label, 46)] for label, _v in items]
    else:
        label_w, line, bar_h, gap = 0, font + 3, font + 1, 9
        plot_w = width - _text_width(layout, f"{peak:g}") - 10
        chars = _chars(layout, width)
        wrapped = [textwrap.wrap(label, chars, max_lines=2, placeholder="…") or [""] for label, _v in items]
    rows = [len(lines) * line + bar_h + gap for lines in wrapped]
    height = top + sum(rows) + 6
    out = [_open(layout, width, height)]
    if title:
        out.append(_title(layout, 0, title))
    yy = top
    for (_label, value), lines, row in zip(items, wrapped, rows, strict=True):
        w = plot_w * value / peak
        if beside:
            out.append(
                f"<text class='label' x='{label_w - 8}' y='{yy + bar_h * 0.7:.1f}' text-anchor='end'>"
                f"{escape(lines[0])}</text>"
            )
        else:
            for k, text in enumerate(lines):
                out.append(
                    f"<text class='label' x='0' y='{yy + (k + 1) * line - 3:.1f}'>{escape(text)}</text>"
                )
        bar_y = yy + len(lines) * line
        out.append(
            f"<rect x='{label_w}' y='{bar_y}' width='{w:.1f}' height='{bar_h}' fill='{color}' rx='2'/>"
        )
        out.append(
            f"<text class='value' x='{label_w + w + 6:.1f}' y='{bar_y + bar_h * 0.5 + font * 0.36:.1f}'>"
            f"{value:g}</text>"
        )
        yy += row
    out.append("</svg>")
    return "".join(out)


def for_page(draw: Callable[..., str], *args: Any, **kwargs: Any) -> str:
    """The chart in both layouts, wide and phone, one after the other: the page's CSS
    (analytics.css) shows the one that fits the screen, so no script measures anything."""
    return draw(*args, layout=WIDE, **kwargs) + draw(*args, layout=PHONE, **kwargs)
