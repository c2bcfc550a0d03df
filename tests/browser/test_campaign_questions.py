"""The campaign calendar's questions in a real browser, walked as the headquarters' coordinator
would: past meetings by filters, a question answered on the meeting's page, the analysis of the
questions by topic, district and week with the spreadsheet (on a wide screen and on a phone)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.deputies.models import Faction
from otklik.deputies.services import make_deputy
from otklik.directory.choices import TerritoryKind
from otklik.elections import questions
from otklik.elections.models import CampaignEvent
from otklik.testing.factories import make_category, make_territory, make_user
from tests.browser.elections import past_meeting
from tests.browser.session import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _meetings() -> dict[str, Any]:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    balakovo = make_territory("Балаковский район", parent=region)
    make_category("Дороги", keywords="дорога\nяма\nасфальт")
    make_category("Освещение", keywords="фонарь\nосвещение")
    make_category("Вывоз мусора", keywords="мусор\nконтейнер")
    faction = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    ivanov = make_deputy("Иванов Пётр Сергеевич", council="Областная дума", faction=faction)
    orlova = make_deputy("Орлова Наталья Викторовна", council="Областная дума", faction=faction)
    asked = (
        (
            ivanov,
            30,
            "ДК, Энгельс",
            engels,
            ("Когда заделают яму на дороге у остановки?", "Во дворе не горит ни один фонарь"),
        ),
        (
            orlova,
            16,
            "Школа № 12, Балаково",
            balakovo,
            ("Контейнеры для мусора не вывозят неделями", "Нужен асфальт на улице Мира"),
        ),
        (
            ivanov,
            5,
            "Библиотека, Энгельс",
            engels,
            ("Когда отремонтируют дорогу до больницы?", "Фонари на набережной не работают"),
        ),
    )
    for deputy, days, place, district, texts in asked:
        first, *_rest = past_meeting(deputy, district, days, place, texts)
        questions.record_answer(first, text="Работы в плане на май.", at_meeting=True)
    CampaignEvent.objects.create(
        candidate=orlova.full_name,
        deputy=orlova,
        starts_at=timezone.now() + timedelta(days=4),
        place="ДК, Балаково",
        territory=balakovo,
    )
    coordinator = make_user(Role.COORDINATOR, username="coord", first_name="Олег", last_name="Координатов")
    faction.coordinators.add(coordinator)
    return {"engels": engels}


def test_a_coordinator_reviews_the_questions_voters_asked(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    _meetings()
    log_in(page, live_server.url, "coord")
    page.goto(f"{live_server.url}/elections/events/")
    page.wait_for_selector('[data-testid="ev-list"]')
    assert page.inner_text('[data-testid="ev-count"]') == "1 встреча"  # the coming one by default
    page.select_option("#id_when", "past")
    page.select_option("#id_district", label="Энгельсский район")
    page.click('[data-testid="meeting-filters"] button[type=submit]')
    page.wait_for_selector('[data-testid="ev-count"]:text-is("2 встречи")')
    page.screenshot(path=str(screenshots / "campaign-01-calendar-past.png"), full_page=True)
    # The latest meeting: its second question is answered later, written down on the meeting's page.
    page.click('[data-testid="ev-list"] tbody tr:first-child a')
    page.wait_for_selector('[data-testid="questions"]')
    assert "Дороги" in page.inner_text(
        '[data-testid="questions"] li:first-child [data-testid="question-understood"]'
    )
    second = page.locator('[data-testid="questions"] li').nth(1)
    second.locator("summary").click()
    second.locator("textarea").fill("Замена фонарей — в марте, подрядчик выбран.")
    second.locator('input[name="at_meeting"]').uncheck()
    second.locator('button[type="submit"]:has-text("Сохранить ответ")').click()
    page.wait_for_selector('[data-testid="questions"] li:nth-child(2) [data-testid="question-answer"]')
    page.screenshot(path=str(screenshots / "campaign-02-meeting-answers.png"), full_page=True)
    # The analysis of every meeting's questions.
    page.goto(f"{live_server.url}/elections/events/questions/")
    page.wait_for_selector('[data-testid="q-topics"]')
    assert page.inner_text('[data-testid="q-total"]') == "6"
    assert page.inner_text('[data-testid="q-answered"]') == "66,7 %"
    topics = page.inner_text('[data-testid="q-topics"]')
    assert "Дороги" in topics and "Освещение" in topics and "Вывоз мусора" in topics
    assert "Энгельсский район" in page.inner_text('[data-testid="q-districts"]')
    page.screenshot(path=str(screenshots / "campaign-03-questions.png"), full_page=True)
    with page.expect_download() as download:
        page.click('[data-testid="questions-xlsx"]')
    assert download.value.suggested_filename.endswith(".xlsx")
    page.set_viewport_size({"width": 390, "height": 844})  # at the next meeting, on a phone
    page.reload()
    page.wait_for_selector('[data-testid="q-topics"]')
    fits(page)
    page.screenshot(path=str(screenshots / "campaign-04-questions-phone.png"), full_page=True)
    page.goto(f"{live_server.url}/elections/events/?when=past")
    page.wait_for_selector('[data-testid="ev-list"]')
    fits(page)
    page.screenshot(path=str(screenshots / "campaign-05-calendar-phone.png"), full_page=True)
