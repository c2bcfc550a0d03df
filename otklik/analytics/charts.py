"""Small server-side SVG charts: no chart library, no CDN; the same SVG goes into pages and the PDF."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

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


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = 860,
    height: int = 280,
    title: str = "",
) -> str:
    """Lines over a shared axis; the legend sits under the plot."""
    left, right, top, bottom = 48, 28, 24 if title else 10, 28
    legend_rows = (len(series) + 2) // 3
    total_h = height + legend_rows * 18
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((max(v) if len(v) else 0) for _n, v in series) if series else 0)
    n = max(len(labels), 1)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {total_h}' width='{width}' "
        f"height='{total_h}' role='img' class='chart' {FONT} font-size='11'>"
    ]
    if title:
        out.append(f"<text x='{left}' y='14' font-weight='bold' font-size='12'>{escape(title)}</text>")
    for k in range(5):
        v = peak * k / 4
        yy = y(v)
        out.append(f"<line x1='{left}' x2='{width - right}' y1='{yy:.1f}' y2='{yy:.1f}' stroke='#e5e7eb'/>")
        out.append(f"<text x='{left - 6}' y='{yy + 4:.1f}' text-anchor='end' fill='#6b7280'>{v:g}</text>")
    every = max(1, n // 10)
    for i, label in enumerate(labels):
        if i % every == 0:
            out.append(
                f"<text x='{x(i):.1f}' y='{height - 8}' text-anchor='middle' fill='#6b7280'>"
                f"{escape(label)}</text>"
            )
    for s, (name, values) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(
            f"<polyline fill='none' stroke='{color}' stroke-width='{2.5 if s == 0 else 1.8}' "
            f"points='{points}'><title>{escape(name)}</title></polyline>"
        )
        lx = left + (s % 3) * (plot_w / 3)
        ly = height + 6 + (s // 3) * 18
        out.append(f"<rect x='{lx:.1f}' y='{ly:.1f}' width='12' height='4' fill='{color}'/>")
        out.append(f"<text x='{lx + 18:.1f}' y='{ly + 6:.1f}' fill='#111827'>{escape(name[:48])}</text>")
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    width: int = 860,
    bar: int = 20,
    title: str = "",
    color: str = PALETTE[0],
) -> str:
    """Horizontal bars with their labels and values."""
    label_w, top = 330, 24 if title else 6
    height = top + len(items) * (bar + 6) + 6
    peak = max((v for _l, v in items), default=0) or 1
    plot_w = width - label_w - 60
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}' width='{width}' "
        f"height='{height}' role='img' class='chart' {FONT} font-size='11'>"
    ]
    if title:
        out.append(f"<text x='0' y='14' font-weight='bold' font-size='12'>{escape(title)}</text>")
    for i, (label, value) in enumerate(items):
        yy = top + i * (bar + 6)
        w = plot_w * value / peak
        short = label if len(label) <= 46 else label[:45] + "…"
        out.append(
            f"<text x='{label_w - 8}' y='{yy + bar * 0.7:.1f}' text-anchor='end'>{escape(short)}</text>"
        )
        out.append(f"<rect x='{label_w}' y='{yy}' width='{w:.1f}' height='{bar}' fill='{color}' rx='2'/>")
        out.append(f"<text x='{label_w + w + 6:.1f}' y='{yy + bar * 0.7:.1f}'>{value:g}</text>")
    out.append("</svg>")
    return "".join(out)
