"""Analytics in a real browser: the heat map (districts, hexagons, drill-down), dynamics and KPIs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import refresh_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Rating
from otklik.directory.choices import Channel, TerritoryKind
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_territory,
    make_user,
    square,
)
from tests.browser.session import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def build() -> dict[str, Any]:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory(
        "Энгельсский район",
        parent=region,
        geometry=square(46.0, 51.3),
        population=210_000,
        lat=51.5,
        lon=46.2,
    )
    balakovo = make_territory(
        "Балаковский район",
        parent=region,
        geometry=square(47.6, 51.9),
        population=180_000,
        lat=52.1,
        lon=47.8,
    )
    marks = make_territory(
        "Марксовский район", parent=region, geometry=square(46.6, 51.6), population=60_000, lat=51.8, lon=46.8
    )
    utilities = make_category("ЖКХ", code="zhkh")
    heating = make_category("Отопление", code="heating", parent=utilities)
    roads = make_category("Дороги", code="roads")
    water = make_agency("Водоканал", short_name="Водоканал")
    mintrans = make_agency("Министерство транспорта", short_name="Минтранс")
    now = timezone.now()
    for i in range(12):
        day = now - timedelta(days=i % 10, hours=2)
        case = make_case(
            text=f"Холодные батареи, дом {i + 1}",
            territory=engels,
            category=heating,
            agency=water,
            channel=Channel.VK,
            status=CaseStatus.CLOSED if i % 3 else CaseStatus.IN_PROGRESS,
            created_at=day,
            assigned_at=day,
            first_answer_at=day + timedelta(hours=1) if i % 3 else None,
            answered_at=day + timedelta(hours=3) if i % 3 else None,
            deadline_at=day + timedelta(days=1),
            answer_working_minutes=180 if i % 3 else None,
            lat=51.48 + i * 0.003,
            lon=46.10 + i * 0.004,
        )
        if i % 3:
            Rating.objects.create(case=case, score=5 if i % 2 else 3)
    for i in range(5):
        make_case(
            text=f"Яма на дороге {i}",
            territory=balakovo,
            category=roads,
            agency=mintrans,
            channel=Channel.TELEGRAM,
            status=CaseStatus.ASSIGNED,
            created_at=now - timedelta(days=i, hours=1),
            deadline_at=now - timedelta(hours=3),
            is_overdue=True,
            lat=52.03,
            lon=47.78,
        )
    make_case(text="Нет света", territory=marks, category=utilities, channel=Channel.PHONE, created_at=now)
    refresh_rollups()
    return {
        "engels": engels,
        "water": water,
        "mintrans": mintrans,
        "analyst": make_user(Role.ANALYST, username="analyst", first_name="Анна", last_name="Аналитикова"),
        "executor": make_user(Role.EXECUTOR, username="executor", agency=water),
    }


def test_analyst_heat_map_dynamics_and_kpis(live_server: Any, page: Any, screenshots: Path) -> None:
    build()
    base = live_server.url
    log_in(page, base, "analyst")
    page.click("nav.mainnav >> text=Аналитика")
    page.wait_for_selector('.an-map.map-ready[data-territories="3"]')
    assert page.locator(".leaflet-overlay-pane path").count() == 3  # three district outlines
    assert page.locator(".leaflet-tile").count() == 0  # no tiles: nothing from the network
    assert "≤" in page.inner_text('[data-testid="heatmap-legend"]')
    first = page.locator('[data-testid="territory-table"] tbody tr').first
    assert "Энгельсский район" in first.inner_text() and "12" in first.inner_text()
    page.screenshot(path=str(screenshots / "analytics-01-heatmap.png"), full_page=True)

    page.select_option("#id_metric", "per10k")
    page.click('[data-testid="an-filters"] button[type=submit]')
    page.wait_for_url("**metric=per10k**")
    page.wait_for_selector(".an-map.map-ready")
    assert "0.57" in page.inner_text('[data-testid="territory-table"]').replace(",", ".")  # 12 per 210,000

    # Closer: hexagons from the H3 rollup replace the districts' fill.
    page.evaluate("window.otklikHeatmap.setView([51.5, 46.12], 11)")
    page.wait_for_selector(".an-map[data-hex]")
    assert int(page.get_attribute(".an-map", "data-hex")) >= 3
    page.screenshot(path=str(screenshots / "analytics-02-hexagons.png"))

    # An analyst reads aggregates only: a click on a district opens no cases, no name links to them.
    page.evaluate("window.otklikHeatmap.setView([51.5, 46.2], 8)")
    page.wait_for_function("() => !document.querySelector('.an-map').hasAttribute('data-hex')")
    box = page.locator(".an-map").bounding_box()
    point = page.evaluate(
        "(() => { const p = window.otklikHeatmap.latLngToContainerPoint([51.35, 46.05]); "
        "return [p.x, p.y]; })()"
    )
    here = page.url
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    assert page.url == here
    assert page.locator('[data-testid="territory-table"] a[href*="/cases/"]').count() == 0

    page.goto(f"{base}/analytics/dynamics/?by=category&step=day")
    page.wait_for_selector('[data-testid="dynamics-chart"] svg polyline')
    # the wide chart (the phone's is in the page too, hidden): the total and the 2 top categories
    assert page.locator('[data-testid="dynamics-chart"] svg.chart-wide polyline').count() == 3
    assert page.inner_text('[data-testid="dyn-total"]').startswith("18")
    assert "ЖКХ / Отопление" in page.inner_text('[data-testid="growing-table"]')
    page.screenshot(path=str(screenshots / "analytics-03-dynamics.png"), full_page=True)

    # A year by months (the whole months are read from the monthly rollups).
    today = timezone.localdate()
    year = f"date_from={today - timedelta(days=364):%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    page.goto(f"{base}/analytics/dynamics/?by=territory&step=month&{year}")
    page.wait_for_selector('[data-testid="dynamics-chart"] svg polyline')
    assert page.locator("#id_step").input_value() == "month"
    assert page.inner_text('[data-testid="dyn-total"]').startswith("18")
    page.screenshot(path=str(screenshots / "analytics-03b-dynamics-year.png"), full_page=True)

    page.click('[data-testid="an-tab-agencies"]')
    page.wait_for_selector('[data-testid="ranking-table"] tbody tr[data-agency]')
    rows = page.locator('[data-testid="ranking-table"] tbody tr[data-agency]')
    assert rows.count() == 2
    assert "Водоканал" in rows.nth(0).inner_text()  # 100 % on time against Минтранс's nothing answered
    page.screenshot(path=str(screenshots / "analytics-04-agencies.png"), full_page=True)

    page.click('[data-testid="ranking-table"] a:text("Минтранс")')
    page.wait_for_selector('[data-testid="agency-kpis"]')
    assert page.inner_text('[data-testid="kpi-overdue"]').startswith("5")
    page.screenshot(path=str(screenshots / "analytics-05-agency.png"), full_page=True)


def test_executor_sees_only_their_agency_page(live_server: Any, page: Any, screenshots: Path) -> None:
    w = build()
    base = live_server.url
    log_in(page, base, "executor")
    page.goto(f"{base}/analytics/")
    page.wait_for_selector('[data-testid="agency-kpis"]')
    assert page.url.endswith(f"/analytics/agencies/{w['water'].pk}/")
    assert page.inner_text('[data-testid="kpi-received"]').startswith("12")
    assert page.inner_text('[data-testid="kpi-satisfaction"]').startswith("50")  # 4 of 8 ratings are 5
    assert page.locator('[data-testid="an-tab-heatmap"]').count() == 0
    page.screenshot(path=str(screenshots / "analytics-06-executor.png"), full_page=True)
    response = page.goto(f"{base}/analytics/agencies/{w['mintrans'].pk}/")
    assert response is not None and response.status == 404
    response = page.goto(f"{base}/analytics/heatmap/")
    assert response is not None and response.status == 403
