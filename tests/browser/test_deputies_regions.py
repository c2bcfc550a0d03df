"""The deputies' rating across regions in a real browser: the party's headquarters reads the federal
view (the regions compared, the deputies ranked across them) and opens a region; a regional
coordinator lands on their region's view — its deputies by level and the topics residents write
about by territory and week — and cannot reach another region. At 1440 and 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.deputies.models import Faction, Level, RegionalCoordinator
from otklik.deputies.services import make_deputy
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.defaults_categories import load_default_categories
from otklik.directory.models import Category
from otklik.testing.factories import make_territory, make_user
from tests.browser.session import WIDE, deputy_cases, log_in, wide_then_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "Прошу помочь лично мне с долгом за квартиру"  # an appeal's text: never on the rating


def _regions() -> dict[str, Any]:
    load_default_categories()
    roads, housing = Category.objects.get(code="roads"), Category.objects.get(code="housing")
    party = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    made: dict[str, Any] = {}
    for region_name, capital, deputies in (
        (
            "Саратовская область",
            "Саратов",
            (
                ("Иванов Пётр Сергеевич", Level.REGIONAL, 30, 27),
                ("Орлова Наталья Викторовна", Level.CAPITAL, 14, 6),
                ("Громов Виктор Ильич", Level.MUNICIPAL, 8, 7),
            ),
        ),
        (
            "Самарская область",
            "Самара",
            (
                ("Лебедева Мария Олеговна", Level.REGIONAL, 22, 15),
                ("Кузнецов Андрей Павлович", Level.CAPITAL, 12, 11),
                ("Белова Ирина Олеговна", Level.MUNICIPAL, 6, 2),
            ),
        ),
    ):
        region = make_territory(region_name, kind=TerritoryKind.REGION)
        city = make_territory(f"Городской округ {capital}", kind=TerritoryKind.OKRUG, parent=region)
        district = make_territory(f"Северный район ({capital})", parent=region)
        made[capital] = region
        for k, (name, level, n, answered) in enumerate(deputies):
            deputy = make_deputy(name, council=f"Дума: {capital}", level=level, region=region, faction=party)
            deputy.territories.add(city if level != Level.MUNICIPAL else district)
            deputy_cases(
                deputy,
                n,
                answered,
                since=2,
                every=3,
                over=70,
                channels=(Channel.DEPUTY, Channel.PHONE),
                addressed_to=deputy.office,
                text=SECRET,
                each=lambda i, k=k, city=city, district=district: {
                    "territory": city if (i + k) % 3 else district,
                    "category": roads if i % 3 else housing,
                },
            )
    rebuild_rollups()
    hq = make_user(Role.COORDINATOR, username="hq", first_name="Олег", last_name="Штабной")
    regional = make_user(Role.COORDINATOR, username="samara", first_name="Анна", last_name="Самарская")
    party.coordinators.add(hq, regional)
    RegionalCoordinator.objects.create(user=regional, region=made["Самара"])
    return made


def test_the_party_headquarters_and_a_regional_coordinator_read_their_views(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    regions = _regions()
    log_in(page, live_server.url, "hq")
    page.goto(f"{live_server.url}/deputies/rating/")
    page.wait_for_selector('[data-testid="region-rating"]')
    assert page.inner_text('[data-testid="rating-view"]') == "Федеральный срез: 2 региона"
    table = page.inner_text('[data-testid="region-rating"]')
    assert "Саратовская область" in table and "Самарская область" in table
    ranked = page.locator('[data-testid="deputy-rating"] tbody tr')
    assert ranked.count() == 6 and "Иванов" in ranked.first.inner_text()  # 27 of 30 answered
    assert SECRET not in page.content()
    wide_then_phone(page, '[data-testid="region-rating"]', screenshots / "deputies-20-federal-rating")
    page.set_viewport_size(WIDE)
    page.click('[data-testid="region-rating"] a:has-text("Саратовская область")')
    page.wait_for_selector('[data-testid="region-topics"]')
    assert page.inner_text('[data-testid="rating-view"]') == "Региональный срез: Саратовская область"
    assert page.locator('[data-testid="deputy-rating"] tbody tr').count() == 3

    page.context.clear_cookies()
    log_in(page, live_server.url, "samara")
    page.goto(f"{live_server.url}/deputies/rating/")
    page.wait_for_selector('[data-testid="region-topics"]')
    assert page.inner_text('[data-testid="rating-view"]') == "Региональный срез: Самарская область"
    options = page.locator("#rt-region option").all_inner_texts()
    assert options == ["Самарская область"]  # their region only
    names = page.inner_text('[data-testid="deputy-rating"]')
    assert "Лебедева" in names and "Иванов" not in names
    topics = page.inner_text('[data-testid="region-topics"]')
    assert "Дороги" in topics or "дорог" in topics.lower()
    assert "Городской округ Самара" in page.inner_text('[data-testid="topic-territories"]')
    assert SECRET not in page.content()
    wide_then_phone(page, '[data-testid="region-topics"]', screenshots / "deputies-22-regional-rating")
    page.set_viewport_size(WIDE)
    other = page.goto(f"{live_server.url}/deputies/rating/?region={regions['Саратов'].pk}")
    assert other is not None and other.status == 403
