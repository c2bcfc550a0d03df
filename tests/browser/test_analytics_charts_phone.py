"""The analytics pages' server-drawn charts read on a phone (390 px) with the demo's real names: every
label, tick and legend of the chart shown is drawn at 11 px or more on the screen (its font size times
the SVG's scale), lies inside the chart and the screen, and the labels under the lines do not run into
each other. So at 720, 800 and 960 px (the phone's layout, scaled up to 440 px and centred in its card,
not left at its left edge) and at 961 and 1440 px (the wide chart, drawn as before, filling its card)."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.models import User
from otklik.analytics.rollups import refresh_rollups
from tests.browser.session import PHONE, WIDE, demo_directory, demo_messages, fits, log_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALLEST = 11  # px on the screen

# Each text of the charts shown (an SVG hidden by the page's CSS has an empty box): its rendered size
# (the computed font size times the SVG's scale from its viewBox to the screen) and its box.
CHART_TEXTS = """() => [...document.querySelectorAll('.an-chart svg')]
  .filter(svg => svg.getBoundingClientRect().width > 0)
  .map(svg => {
    const box = svg.getBoundingClientRect();
    const scale = svg.getScreenCTM().a;
    const card = svg.closest('.an-chart'), style = getComputedStyle(card);
    const outer = card.getBoundingClientRect();
    return {
      viewBox: svg.viewBox.baseVal.width,
      left: box.left, right: box.right,
      // the card's content box: where the chart may stand
      cardLeft: outer.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft),
      cardRight: outer.right - parseFloat(style.borderRightWidth) - parseFloat(style.paddingRight),
      texts: [...svg.querySelectorAll('text')].map(t => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, kind: t.getAttribute('class') || '',
                size: parseFloat(getComputedStyle(t).fontSize) * scale,
                height: r.height, left: r.left, right: r.right};
      }),
    };
  })"""


def _charts(page: Any) -> list[dict[str, Any]]:
    charts = page.evaluate(CHART_TEXTS)
    assert len(charts) == 1, [c["viewBox"] for c in charts]  # one chart a page, one layout shown
    return charts


def _pages() -> list[tuple[str, str]]:
    directory, _matcher = demo_directory()
    demo_messages(directory, seed=7021, count=90, days=28)
    refresh_rollups()
    water = User.objects.get(username="vodokanal").agency
    assert water is not None
    today = timezone.localdate()
    year = f"date_from={today - timedelta(days=364):%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    return [
        ("dynamics", "/analytics/dynamics/?by=category&step=day"),
        ("dynamics-weeks", "/analytics/dynamics/?by=territory&step=week"),
        ("dynamics-year", f"/analytics/dynamics/?by=territory&step=month&{year}"),
        ("summary", "/analytics/summary/"),
        ("agency", f"/analytics/agencies/{water.pk}/"),
    ]


def test_the_charts_text_reads_on_a_phone_and_stays_as_large_when_wide(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    pages = _pages()
    log_in(page, live_server.url, "supervisor")
    wrong: list[str] = []
    smallest: dict[tuple[str, int], float] = {}
    # a phone; a small tablet, a tablet standing and the widest screen with the phone's layout (scaled
    # up to 440 px, centred in its card); the narrowest screen with the wide layout; a desk
    screens = (
        (PHONE, 340),
        ({"width": 720, "height": 1000}, 340),
        ({"width": 800, "height": 1000}, 340),
        ({"width": 960, "height": 1000}, 340),
        ({"width": 961, "height": 900}, 860),
        (WIDE, 860),
    )
    for viewport, layout in screens:
        page.set_viewport_size(viewport)
        width = viewport["width"]
        for name, path in pages:
            page.goto(live_server.url + path)
            wait_ready(page)
            page.screenshot(path=str(screenshots / f"analytics-chart-{name}-{width}.png"), full_page=True)
            fits(page)
            (chart,) = _charts(page)
            assert chart["viewBox"] == layout, (name, width)
            texts = chart["texts"]
            assert texts, name
            smallest[name, width] = min(t["size"] for t in texts)
            small = [f"{t['text']} {t['size']:.1f}px" for t in texts if t["size"] < SMALLEST]
            if small:
                wrong.append(f"{name} at {width}: {small[:6]}")
            # The chart fills its card or stands in its middle: as much room on its left as on its right.
            room = (chart["left"] - chart["cardLeft"], chart["cardRight"] - chart["right"])
            if min(room) < -1 or abs(room[0] - room[1]) > 2:
                wrong.append(f"{name} at {width}: not centred in its card, room left/right {room}")
            left, right = chart["left"] - 1, chart["right"] + 1
            outside = [t["text"] for t in texts if t["left"] < left or t["right"] > right]
            if outside:
                wrong.append(f"{name} at {width}: outside the chart {outside[:6]}")
            ticks = sorted((t for t in texts if t["kind"] == "x-tick"), key=lambda t: t["left"])
            crowded = [(a["text"], b["text"]) for a, b in pairwise(ticks) if a["right"] > b["left"] - 2]
            if crowded:
                wrong.append(f"{name} at {width}: the axis' labels run into each other {crowded[:4]}")
    print("smallest chart text, px:", {f"{n}@{w}": round(v, 1) for (n, w), v in smallest.items()})
    assert wrong == []
