"""The demo's public map at street level, in a real browser: `otklik demo` places its cases at the
buildings of its (synthetic) address layer, so the map of the region shows clusters over the towns
that come apart into points along the streets as a resident zooms into a town; only the problems of a
whole town stay on the town's point, as rings. At 1440 and 390 px."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from otklik.directory.models import Territory
from tests.browser.session import fits
from tests.browser.test_public_map_streets import count_drawn, settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAWN_POSITIONS = """() => {
    const seen = new Set();
    document.querySelectorAll('.leaflet-overlay-pane path[data-problem]:not([data-town])').forEach(p => {
        const box = p.getBoundingClientRect();
        if (box.right > 0 && box.bottom > 0 && box.left < innerWidth && box.top < innerHeight)
            seen.add(Math.round(box.x) + ':' + Math.round(box.y));
    });
    return seen.size;
}"""


def zoom_to(page: Any, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(f"window.otklikProblemMap.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path[data-problem]').length > 0"
    )
    settled(page)


def test_the_demos_public_map_spreads_its_problems_along_the_streets(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    call_command("demo", messages=400, weeks=2, seed=7, stdout=StringIO())
    saratov = Territory.objects.get(name="Саратов", parent__parent=None)
    engels = Territory.objects.get(name="Энгельс")

    page.goto(f"{live_server.url}/public/map/")
    page.wait_for_selector(".pm-map.map-ready")
    total = int(page.get_attribute(".pm-map", "data-points") or 0)
    assert total > 100
    settled(page)
    region = count_drawn(page)
    # the whole region: the problems gather into clusters over the towns, every one counted
    assert region["clusters"] and sum(region["clusters"]) + region["points"] == total
    page.screenshot(path=str(screenshots / "map-demo-01-region.png"), full_page=True)

    # Inside the regional centre the problems stand apart, along its streets.
    zoom_to(page, saratov.lat, saratov.lon, 13)
    spread = page.evaluate(DRAWN_POSITIONS)
    assert spread >= 20, spread
    page.screenshot(path=str(screenshots / "map-demo-02-saratov-streets.png"), full_page=True)

    zoom_to(page, engels.lat, engels.lon, 13)
    assert page.evaluate(DRAWN_POSITIONS) >= 8
    page.screenshot(path=str(screenshots / "map-demo-03-engels-streets.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/map/")
    page.wait_for_selector(".pm-map.map-ready")
    settled(page)
    fits(page)
    page.screenshot(path=str(screenshots / "map-demo-04-phone-region.png"), full_page=True)
    zoom_to(page, saratov.lat, saratov.lon, 13)
    assert page.evaluate(DRAWN_POSITIONS) >= 8
    fits(page)
    page.screenshot(path=str(screenshots / "map-demo-05-phone-saratov.png"), full_page=True)
