"""The public problem map in a real browser, without logging in: points on the district outlines,
a popup with the answer, the problem's page, the status filter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user, square
from tests.browser.session import fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_explores_the_problem_map(live_server: Any, page: Any, screenshots: Path) -> None:
    now = timezone.now()
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region, geometry=square(46.0, 51.3))
    balakovo = make_territory("Балаковский район", parent=region, geometry=square(47.6, 51.9))
    housing = make_category("ЖКХ", code="zhkh")
    heating = make_category("Отопление", code="heating", parent=housing)
    roads = make_category("Дороги", code="roads")
    potholes = make_category("Ямы на дорогах", code="potholes", parent=roads)
    water = make_agency("Управление ЖКХ Энгельсского района")
    transport = make_agency("Министерство транспорта")
    for n in range(3):
        make_case(
            status=CaseStatus.ASSIGNED,
            category=heating,
            agency=water,
            territory=engels,
            text=f"Холодные батареи в доме {n + 1} на улице Тельмана, в квартирах +14",
            lat=51.45 + n * 0.05,
            lon=46.1 + n * 0.05,
            created_at=now - timedelta(days=n + 1),
        )
    hole = make_case(
        status=CaseStatus.PUBLISHED,
        category=potholes,
        agency=transport,
        territory=balakovo,
        text="Глубокая яма на проспекте Героев у остановки, машины бьют колёса",
        lat=52.1,
        lon=47.8,
        created_at=now - timedelta(days=6),
    )
    Answer.objects.create(
        case=hole,
        author=make_user("supervisor"),
        text="Яма на проспекте Героев заделана 3 марта, покрытие восстановлено.",
        status=AnswerStatus.PUBLISHED,
        published_at=now,
    )

    page.goto(f"{live_server.url}/public/map/")
    page.wait_for_selector('.pm-map.map-ready[data-points="4"]')
    # close points gather into clusters (Leaflet.markercluster): each point is drawn or counted in one
    clustered = page.evaluate(
        "[...document.querySelectorAll('.marker-cluster')].reduce((n, c) => n + Number(c.innerText), 0)"
    )
    assert page.locator(".leaflet-overlay-pane path[data-problem]").count() + clustered == 4
    assert page.locator(".leaflet-tile").count() == 0  # nothing from the network
    assert page.inner_text('[data-testid="pm-open"]') == "3"
    assert page.inner_text('[data-testid="pm-closed"]') == "1"
    assert "Карта проблем" in page.inner_text("h1")
    page.screenshot(path=str(screenshots / "public-01-map.png"), full_page=True)

    page.evaluate(f"window.otklikShowProblem('{hole.number}')")  # out of its cluster, if in one
    page.wait_for_selector(f'path[data-problem="{hole.number}"]', state="attached")
    # the zoom and the clusters' animations are over: a late re-clustering would close the popup
    page.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')")
    popup = page.locator(".leaflet-popup-content")
    loaded = f'.pm-popup[data-problem="{hole.number}"][data-loaded]'  # read from Open311
    for attempt in range(3):  # a click that lands while the clusters re-form opens nothing: again
        page.click(f'path[data-problem="{hole.number}"]', force=True)
        try:
            page.wait_for_selector(loaded, timeout=5000)
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            if page.locator(".leaflet-popup").count():  # open, still reading Open311: a click would close it
                page.wait_for_selector(loaded)
                break
    # Shown in full: faded in, and the map has panned it inside its frame.
    page.wait_for_function(
        "() => { const p = document.querySelector('.leaflet-popup'); if (!p) return false;"
        " const m = document.querySelector('.pm-map').getBoundingClientRect();"
        " const r = p.getBoundingClientRect();"
        " return getComputedStyle(p).opacity === '1' && r.top >= m.top && r.left >= m.left; }"
    )
    assert "Ямы на дорогах" in popup.inner_text() and "заделана 3 марта" in popup.inner_text()
    page.screenshot(path=str(screenshots / "public-02-popup.png"), full_page=True)

    popup.locator("a").click()
    page.wait_for_selector('[data-testid="problem-answer"]')
    assert hole.number in page.inner_text('[data-testid="problem"]')
    assert "Министерство транспорта" in page.inner_text('[data-testid="problem"]')
    page.screenshot(path=str(screenshots / "public-03-problem.png"), full_page=True)

    page.goto(f"{live_server.url}/public/map/")
    page.select_option("#pm-status", "open")
    page.click('[data-testid="pm-filters"] button[type=submit]')
    page.wait_for_url("**status=open**")
    page.wait_for_selector('.pm-map.map-ready[data-points="3"]')
    assert page.locator(f'path[data-problem="{hole.number}"]').count() == 0

    # On a phone: the map, a problem's page and the appeal form fit the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/public/map/", f"/public/problems/{hole.number}/", "/public/appeal/"):
        page.goto(f"{live_server.url}{path}")
        fits(page)
    page.screenshot(path=str(screenshots / "public-04-appeal-phone.png"), full_page=True)
