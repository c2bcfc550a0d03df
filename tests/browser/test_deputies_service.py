"""«Мой депутат» for the center head in a real browser: the service's figures (calls, visits,
appeals by channel, answered and on time, by week and district), the deputies' rating that rewards
answering, and the agency table with reception offices apart and thin agencies set aside."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.deputies.models import Faction, PageVisit
from otklik.deputies.services import make_deputy
from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_territory, make_user
from tests.browser.session import WIDE, deputy_cases, log_in, wide_then_phone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _service() -> None:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    balakovo = make_territory("Балаковский район", parent=region)
    faction = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    now = timezone.now()
    ministry = make_agency("Министерство ЖКХ", kind=AgencyKind.MINISTRY)
    tiny = make_agency("Комитет по туризму", kind=AgencyKind.MINISTRY)
    for deputy_name, district, n, answered in (
        ("Иванов Пётр Сергеевич", engels, 24, 21),
        ("Орлова Наталья Викторовна", balakovo, 10, 4),
    ):
        deputy = make_deputy(deputy_name, council="Областная дума", faction=faction)
        deputy.territories.add(district)
        deputy_cases(
            deputy,
            n,
            answered,
            since=3,
            every=5,
            over=60,
            channels=(Channel.PHONE, Channel.DEPUTY, Channel.WEB_FORM),
            territory=district,
        )
        for week in range(8):
            PageVisit.objects.create(
                deputy=deputy, day=timezone.localdate() - timedelta(days=7 * week), count=40 + 9 * week
            )
    for agency, n in ((ministry, 30), (tiny, 2)):
        for i in range(n):
            make_case(
                agency=agency,
                created_at=now - timedelta(days=10),
                status=CaseStatus.CLOSED,
                answered_at=now - timedelta(days=8),
                deadline_at=now - timedelta(days=9 if i % 5 == 0 else 6),
                answer_working_minutes=600,
                with_message=False,
            )
    rebuild_rollups()
    make_user(Role.SUPERVISOR, username="head", first_name="Мария", last_name="Руководитель")


def test_the_center_head_reads_the_service_figures(live_server: Any, page: Any, screenshots: Path) -> None:
    _service()
    log_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/deputies/rating/")
    page.wait_for_selector('[data-testid="deputy-rating"]')
    assert page.inner_text("#rt-faction option:first-child") == "Любая"
    first = page.locator('[data-testid="deputy-rating"] tbody tr').first.inner_text()
    assert "Иванов" in first  # answered 21 of 24, not Орлова's 4 of 10
    page.screenshot(path=str(screenshots / "deputies-10-rating.png"), full_page=True)
    page.click('[data-testid="tab-statistics"]')
    page.wait_for_selector('[data-testid="st-weeks"]')
    assert page.inner_text('[data-testid="st-appeals"]') == "34"
    assert page.inner_text('[data-testid="st-calls"]') == "12"  # every third appeal came by phone
    assert "Энгельсский район" in page.inner_text('[data-testid="st-districts"]')
    wide_then_phone(page, '[data-testid="st-weeks"]', screenshots / "deputies-11-service-figures")
    page.set_viewport_size(WIDE)
    page.goto(f"{live_server.url}/analytics/agencies/")
    page.wait_for_selector('[data-testid="ranking-offices"]')
    assert "Комитет по туризму" in page.inner_text('[data-testid="too-few"] >> xpath=ancestor::tbody')
    assert "Министерство ЖКХ" not in page.inner_text('[data-testid="ranking-offices"]')
    page.screenshot(path=str(screenshots / "deputies-13-agency-ranking.png"), full_page=True)
