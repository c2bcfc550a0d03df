"""Issue 17's remaining pieces walked in a real browser as their roles would, at 1440 and 390 px:

* the call-center operator (no dashboard) opens the observers' page from the top menu, sees the
  silent stations, calls one station's observer from its page (a ``tel:`` link) and logs the outcome,
  back on the list it started from; on a phone the list and the station's page fit;
* a regional coordinator reads the campaign calendar and the questions' analysis of their region
  only (their party's meeting in another region stays out), on a wide screen and on a phone; the
  party's headquarters picks that other region in the same filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.deputies.models import Faction, RegionalCoordinator
from otklik.deputies.services import make_deputy
from otklik.directory.choices import TerritoryKind
from otklik.elections.models import ObserverCall
from otklik.testing.factories import make_territory, make_user
from tests.browser.elections import past_meeting, silent_morning
from tests.browser.session import PHONE, WIDE, fits, log_in, no_sideways_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_call_center_operator_calls_a_silent_stations_observer(
    live_server: Any, page: Any, screenshots: Path, monkeypatch: Any
) -> None:
    silent_morning(monkeypatch)
    make_user(Role.CALL_OPERATOR, username="hotline", first_name="Дарья", last_name="Звонарёва")
    base = live_server.url
    log_in(page, base, "hotline")
    # No dashboard in the menu: the observers' page is theirs.
    assert page.locator('.mainnav a[href="/elections/"]').count() == 0
    page.click('.mainnav a[href="/elections/observers/"]')
    page.wait_for_selector('[data-testid="el-silent-list"]')
    assert page.locator('[data-testid="el-tab-incidents"]').count() == 0
    silent = [r.get_attribute("data-silent") for r in page.locator("[data-silent]").all()]
    assert silent == ["1002", "2001"]  # 1001 opened; 2002 has no observer
    page.screenshot(path=str(screenshots / "elections-40-hotline-observers.png"), full_page=True)
    page.locator('tr[data-silent="2001"] [data-testid="log-call"]').click()
    page.wait_for_selector('[data-testid="observer-call-form"]')
    phone = page.locator('[data-testid="station-observers"] a[data-testid="observer-phone"]')
    assert phone.get_attribute("href") == "tel:+79270000003"
    page.check('input[name=outcome][value="no_answer"]')
    page.fill("#id_note", "Длинные гудки, перезвонить через 15 минут")
    page.screenshot(path=str(screenshots / "elections-41-hotline-station.png"), full_page=True)
    page.click('[data-testid="observer-call-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="el-silent-list"]')  # back on the observers' page
    row = page.inner_text('tr[data-silent="2001"]')
    assert "Не отвечает" in row and "перезвонить" in row
    call = ObserverCall.objects.get()
    assert (call.station.number, call.caller.username, call.phone) == (2001, "hotline", "+79270000003")
    assert "Звонарёва" in page.inner_text('[data-testid="call-log"]')

    # On a phone: the silent list, then station 1002 found by its number, reached.
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector('[data-testid="el-silent-list"]')
    fits(page)
    no_sideways_scroll(page)  # the coverage table too, stacked
    page.screenshot(path=str(screenshots / "elections-42-hotline-observers-phone.png"), full_page=True)
    page.fill("#el-find-number", "1002")
    page.click('[data-testid="find-station"] button')
    page.wait_for_selector('[data-testid="observer-call-form"]')
    page.check('input[name=outcome][value="reached"]')
    page.click('[data-testid="observer-call-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="station-calls"] li[data-call]')
    assert "Дозвонились" in page.inner_text('[data-testid="station-calls"]')
    fits(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshots / "elections-43-hotline-station-phone.png"), full_page=True)
    # The dashboard stays the center's.
    assert page.goto(f"{base}/elections/").status == 403


def _two_regions() -> None:
    saratov = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    samara = make_territory("Самарская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=saratov)
    syzran = make_territory("Сызранский район", parent=samara)
    party = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    ivanov = make_deputy(
        "Иванов Пётр Сергеевич", council="Саратовская областная дума", region=saratov, faction=party
    )
    orlov = make_deputy(
        "Орлов Игорь Семёнович", council="Самарская губернская дума", region=samara, faction=party
    )
    for deputy, district, days, place, texts in (
        (ivanov, engels, 6, "ДК, Энгельс", ("Когда починят мост через Волгу в Энгельсе?",)),
        (
            orlov,
            syzran,
            9,
            "Школа № 3, Сызрань",
            ("Когда откроют поликлинику в Сызрани?", "Нужен свет на улице Ленина"),
        ),
        (orlov, syzran, 2, "Библиотека, Сызрань", ("Контейнеры для мусора не вывозят неделями",)),
    ):
        past_meeting(deputy, district, days, place, texts)
    regional = make_user(Role.COORDINATOR, username="samara", first_name="Сергей", last_name="Самарский")
    hq = make_user(Role.COORDINATOR, username="party-hq", first_name="Анна", last_name="Штабная")
    party.coordinators.add(regional, hq)
    RegionalCoordinator.objects.create(user=regional, region=samara)


def test_a_regional_coordinator_reads_only_their_regions_meetings(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    _two_regions()
    base = live_server.url
    log_in(page, base, "samara")
    page.goto(f"{base}/elections/events/?when=past")
    page.wait_for_selector('[data-testid="ev-list"]')
    listed = page.inner_text('[data-testid="ev-list"]')
    assert "Сызрань" in listed and "Энгельс" not in listed
    assert page.inner_text('[data-testid="ev-count"]') == "2 встречи"
    assert page.locator("#id_region").count() == 0  # one region: nothing to choose
    assert "Энгельсский район" not in page.inner_text("#id_district")
    page.screenshot(path=str(screenshots / "campaign-10-regional-calendar.png"), full_page=True)
    page.goto(f"{base}/elections/events/questions/")
    page.wait_for_selector('[data-testid="q-topics"]')
    assert page.inner_text('[data-testid="q-total"]') == "3"
    assert "Энгельсский" not in page.inner_text("body")  # neither a district nor a question of it
    page.screenshot(path=str(screenshots / "campaign-11-regional-questions.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector('[data-testid="q-topics"]')
    fits(page)
    no_sideways_scroll(page)
    page.screenshot(path=str(screenshots / "campaign-12-regional-questions-phone.png"), full_page=True)
    page.goto(f"{base}/elections/events/?when=past")
    page.wait_for_selector('[data-testid="ev-list"]')
    fits(page)
    page.screenshot(path=str(screenshots / "campaign-13-regional-calendar-phone.png"), full_page=True)

    # The party's headquarters: every region, and one picked in the same filters.
    page.context.clear_cookies()
    page.set_viewport_size(WIDE)
    log_in(page, base, "party-hq")
    page.goto(f"{base}/elections/events/?when=past")
    page.wait_for_selector('[data-testid="ev-count"]:text-is("3 встречи")')
    page.select_option("#id_region", label="Саратовская область")
    page.click('[data-testid="meeting-filters"] button[type=submit]')
    page.wait_for_selector('[data-testid="ev-count"]:text-is("1 встреча")')
    assert "Энгельс" in page.inner_text('[data-testid="ev-list"]')
    page.screenshot(path=str(screenshots / "campaign-14-headquarters-region.png"), full_page=True)
