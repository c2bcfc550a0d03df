"""The center's video sessions with the districts in a real browser, as the center head plans one
on election morning: each district's link and an agenda from its figures (wide screen and phone)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.directory.choices import TerritoryKind
from otklik.elections import reports, violations
from otklik.elections.models import (
    CampaignEvent,
    Commission,
    DistrictVideoLink,
    Election,
    Observer,
    PollingStation,
    ReportKind,
)
from otklik.testing.factories import make_territory, make_user
from tests.browser.session import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_center_head_plans_a_session_with_the_districts(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    balakovo = make_territory("Балаковский район", parent=region)
    election = Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    now = timezone.now()
    stuffing = next(t for t in violations.active_types() if t.code == "stuffing")
    for n, (district, url) in enumerate(
        ((engels, "https://meet.example.org/engels"), (balakovo, "https://telemost.example.org/balakovo"))
    ):
        commission = Commission.objects.create(name=f"ТИК {district.name}", territory=district)
        DistrictVideoLink.objects.create(
            territory=district, url=url, contact="Дежурный ТИК, +7 8453 00-00-0" + str(n)
        )
        for k in range(3):
            station = PollingStation.objects.create(
                number=1000 * (n + 1) + k, commission=commission, registered_voters=900
            )
            user = make_user(Role.OBSERVER, username=f"obs{n}{k}")
            Observer.objects.create(user=user, station=station, phone=f"+7927000{n}{k}00")
            if k < 2 - n:
                reports.file_report(
                    observer=user, election=election, kind=ReportKind.OPENED, now=now - timedelta(hours=1)
                )
                reports.file_report(
                    observer=user,
                    election=election,
                    kind=ReportKind.TURNOUT,
                    turnout=120 + 40 * k,
                    now=now - timedelta(minutes=30),
                )
            if k == 0 and n == 0:
                reports.file_report(
                    observer=user,
                    election=election,
                    kind=ReportKind.VIOLATION,
                    text="Пачка бюллетеней в ящике до начала голосования",
                    violation_type=stuffing,
                    now=now - timedelta(minutes=20),
                )
    CampaignEvent.objects.create(
        candidate="Иванов Пётр Сергеевич",
        starts_at=now + timedelta(days=2),
        place="ДК, Энгельс",
        territory=engels,
    )
    make_user(Role.SUPERVISOR, username="head", first_name="Мария", last_name="Руководитель")
    log_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/elections/")
    page.click('[data-testid="el-tab-sessions"]')
    page.wait_for_selector('[data-testid="session-form"]')
    page.fill("#id_starts_at", (timezone.localtime(now) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_title", "Штаб с районами: открытие участков")
    page.click('[data-testid="session-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="session"]')
    agendas = page.locator('[data-testid="agenda"]')
    assert agendas.count() == 2  # no district chosen: every linked one
    engels_agenda = page.locator(f'[data-testid="agenda"][data-district="{engels.pk}"]').inner_text()
    assert "Вброс бюллетеней (1)" in engels_agenda and "Иванов Пётр Сергеевич" in engels_agenda
    assert (
        page.locator(f'[data-district="{engels.pk}"] [data-testid="video-link"]').get_attribute("href")
        == "https://meet.example.org/engels"
    )
    page.screenshot(path=str(screenshots / "elections-20-video-sessions.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector('[data-testid="session"]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-21-video-sessions-phone.png"), full_page=True)
