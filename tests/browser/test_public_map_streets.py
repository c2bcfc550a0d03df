"""The public map at street level, in a real browser: cases placed at a building, a street or a pin
have their own points, which gather into one cluster at the region's zoom and come apart when a
resident zooms into the town; cases known only to the town stay on the town's point, drawn as rings.
A pin is shown snapped to the block (docs/decisions/0008-public-points.md). At 1440 and 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.cases.choices import CaseStatus
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_case, make_category, make_territory, square
from tests.browser.session import fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOWN = (51.4850, 46.1180)  # Энгельс: the settlement's point, where town-level cases sit
STREETS = {  # precision → a point of the address registry
    "building": (51.4832, 46.1050),
    "street": (51.4901, 46.1301),
    "house": (51.4790, 46.1221),
    "institution": (51.4930, 46.1102),
}
PIN = (51.476543, 46.132109)  # the resident's own pin: shown to the block


def settled(page: Any) -> None:
    """Wait until the clusters stopped animating (they fade in and out as the map zooms)."""
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-cluster-anim')"
        " && [...document.querySelectorAll('.marker-cluster')]"
        ".every(c => getComputedStyle(c).opacity === '1')"
    )


def count_drawn(page: Any) -> dict[str, int]:
    return page.evaluate(
        """() => ({
            points: document.querySelectorAll('.leaflet-overlay-pane path[data-problem]').length,
            rings: document.querySelectorAll('.leaflet-overlay-pane path[data-town]').length,
            clusters: [...document.querySelectorAll('.marker-cluster')].map(c => Number(c.innerText)),
        })"""
    )


def test_zooming_into_a_town_separates_the_problems_placed_at_street_level(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=region, geometry=square(45.9, 51.2, 0.6))
    town = make_territory("Энгельс", parent=district, kind=TerritoryKind.SETTLEMENT, lat=TOWN[0], lon=TOWN[1])
    roads = make_category("Дороги", code="roads")

    def placed(text: str, point: tuple[float, float], precision: str) -> Any:
        return make_case(
            status=CaseStatus.ASSIGNED,
            category=roads,
            territory=town,
            text=text,
            lat=point[0],
            lon=point[1],
            understanding={"place": {"precision": precision}},
        )

    street_level = [placed(f"Яма на дороге, место {p}", at, p) for p, at in STREETS.items()]
    pinned = placed("Открытый люк во дворе, отметила на карте", PIN, "point")
    town_level = [placed(f"Плохие дороги в городе, жалоба {n}", TOWN, "settlement") for n in range(3)]

    page.goto(f"{live_server.url}/public/map/")
    page.wait_for_selector('.pm-map.map-ready[data-points="8"]')
    drawn = count_drawn(page)
    assert drawn["points"] == 0 and sum(drawn["clusters"]) == 8  # the whole town: one cluster
    page.screenshot(path=str(screenshots / "map-streets-01-region.png"), full_page=True)

    page.evaluate(f"window.otklikProblemMap.setView([{TOWN[0]}, {TOWN[1]}], 15, {{animate: false}})")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path[data-problem]').length === 5"
    )
    settled(page)
    drawn = count_drawn(page)
    assert drawn["clusters"] == [3]  # the town-level cases share the town's point
    for case in [*street_level, pinned]:
        assert page.locator(f'path[data-problem="{case.number}"]').count() == 1
    page.screenshot(path=str(screenshots / "map-streets-02-town-zoomed.png"), full_page=True)

    # At the highest zoom the town's point spiders out: three rings, "known to the town only".
    page.evaluate("window.otklikProblemMap.setZoom(18, {animate: false})")
    page.locator(".marker-cluster").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path[data-town]').length === 3"
    )
    ring = page.locator(f'path[data-problem="{town_level[0].number}"]')
    ring.click(force=True)
    page.wait_for_selector(f'.pm-popup[data-problem="{town_level[0].number}"][data-loaded]')
    assert "до населённого пункта" in page.inner_text(".leaflet-popup-content")

    # Open311 gives the pin snapped to the block, the registry's point as it is.
    row = page.request.get(f"{live_server.url}/open311/v2/requests/{pinned.number}.json").json()[0]
    assert (row["lat"], row["long"]) == (51.477, 46.132)
    building = street_level[0]
    row = page.request.get(f"{live_server.url}/open311/v2/requests/{building.number}.json").json()[0]
    assert (row["lat"], row["long"]) == STREETS["building"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/map/")
    page.wait_for_selector('.pm-map.map-ready[data-points="8"]')
    page.evaluate(f"window.otklikProblemMap.setView([{TOWN[0]}, {TOWN[1]}], 15, {{animate: false}})")
    page.wait_for_function(
        "() => document.querySelectorAll('.leaflet-overlay-pane path[data-problem]').length >= 3"
    )
    settled(page)
    fits(page)
    page.screenshot(path=str(screenshots / "map-streets-03-phone.png"), full_page=True)
