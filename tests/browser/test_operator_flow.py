"""End to end in a real browser: moderator → executor → moderator, through the operator UI only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.access import access_case
from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel, DeadlineUnit, TerritoryKind
from otklik.intake.pipeline import run_batch
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_policy,
    make_rule,
    make_territory,
    make_user,
)
from tests.browser.session import (
    fits,
    log_in,
    log_out,
    open_action,
    open_queue_tab,
    start_and_write_answer,
    wait_status,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A rough outline of a district on the left bank of the Volga (lon, lat).
DISTRICT_OUTLINE = {
    "type": "Polygon",
    "coordinates": [
        [
            [45.93, 51.43],
            [46.08, 51.40],
            [46.26, 51.44],
            [46.33, 51.52],
            [46.27, 51.61],
            [46.12, 51.64],
            [45.98, 51.60],
            [45.90, 51.52],
            [45.93, 51.43],
        ]
    ],
}


def build_region() -> dict[str, Any]:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory(
        "Энгельсский район", parent=region, geometry=DISTRICT_OUTLINE, lat=51.5, lon=46.1
    )
    village = make_territory(
        "село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=district, lat=51.49, lon=46.02
    )
    other = make_territory("Балаковский район", parent=region)
    utilities = make_category("ЖКХ", code="zhkh")
    hot_water = make_category(
        "Горячая вода", code="hot-water", parent=utilities, keywords="горячая вода\nнет горячей воды\nкипяток"
    )
    roads = make_category("Дороги", code="roads")
    admin_a = make_agency("Администрация Энгельсского района", short_name="Адм. Энгельсского р-на")
    transport = make_agency("Министерство транспорта и дорожного хозяйства", short_name="Минтранс")
    make_rule(admin_a, category=utilities, territory=district)
    make_rule(transport, category=roads)
    make_policy(1, unit=DeadlineUnit.WORKING_DAYS, name="Соцсети: 1 рабочий день", social_only=True)
    return {
        "district": district,
        "village": village,
        "other": other,
        "utilities": utilities,
        "hot_water": hot_water,
        "roads": roads,
        "admin_a": admin_a,
        "transport": transport,
        "moderator": make_user(
            Role.MODERATOR, username="moderator", first_name="Мария", last_name="Соколова"
        ),
        "executor": make_user(
            Role.EXECUTOR, username="executor", agency=admin_a, first_name="Иван", last_name="Петров"
        ),
    }


def build_cases(r: dict[str, Any]) -> dict[str, Case]:
    """The main case comes in through moderation; a few others fill the queue around it."""
    now = timezone.now()
    # The main case comes through the intake pipeline, as a VK post would.
    result = run_batch(
        [
            {
                "source": "vk-engels",
                "external_id": "wall-101_5501",
                "channel": Channel.VK,
                "text": "Третий день нет горячей воды в доме на улице Гагарина, 12. "
                "Управляющая компания не отвечает на звонки.",
                "posted_at": (now - timedelta(minutes=40)).isoformat(),
                "author_name": "Ольга К.",
                "author_id": "id5501",
                "url": "https://vk.com/wall-101_5501",
                "lat": 51.488,
                "lon": 46.031,
            }
        ]
    )
    assert result.created_cases == 1, result.failures
    main = access_case(r["moderator"], result.case_ids[0])
    assert main.status == CaseStatus.MODERATION
    second = make_case(
        text="Во дворе прорвало трубу, вода заливает подвал",
        channel=Channel.TELEGRAM,
        address="г. Энгельс, ул. Тельмана, 5",
    )
    road = make_case(
        text="Яма на трассе у поворота на Балаково",
        category=r["roads"],
        territory=r["other"],
        agency=r["transport"],
        status=CaseStatus.ASSIGNED,
        deadline_at=now + timedelta(hours=20),
    )
    late = make_case(
        text="Не вывозят мусор с контейнерной площадки вторую неделю",
        category=r["utilities"],
        territory=r["district"],
        agency=r["admin_a"],
        status=CaseStatus.IN_PROGRESS,
        channel=Channel.OK,
        deadline_at=now - timedelta(hours=6),
    )
    return {"main": main, "second": second, "road": road, "late": late}


def queue_numbers(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("tr[data-case]", "rows => rows.map(r => r.dataset.case)"))


def test_moderator_executor_moderator_loop(
    live_server: Any, page: Any, screenshots: Path, settings: Any
) -> None:
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 1.01  # every new case goes through moderation
    r = build_region()
    cases = build_cases(r)
    main = cases["main"]
    base = live_server.url

    # --- moderator: login, queue, filters ---------------------------------------------------------
    page.goto(f"{base}/accounts/login/")
    page.wait_for_selector("#id_username")
    page.screenshot(path=str(screenshots / "01-login.png"), full_page=True)
    log_in(page, base, "moderator")
    assert queue_numbers(page) == {c.number for c in cases.values()}
    assert page.locator("tr.row-late").count() == 1
    assert page.locator(f'tr.row-late[data-case="{cases["late"].number}"]').count() == 1
    page.screenshot(path=str(screenshots / "02-queue.png"), full_page=True)

    open_queue_tab(page, "moderation")  # HTMX: the table is swapped, the URL is pushed
    page.wait_for_url("**tab=moderation**")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 2")
    assert queue_numbers(page) == {main.number, cases["second"].number}
    page.fill("#id_q", "гагарина")
    page.wait_for_url("**q=**")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 1")
    assert queue_numbers(page) == {main.number}
    assert "tab=moderation" in page.url  # the tab survives a filter change

    # --- the card: map, suggestion, moderation ----------------------------------------------------
    page.click(f'tr[data-case="{main.number}"] td.col-num a')
    wait_status(page, CaseStatus.MODERATION)
    page.wait_for_selector(".case-map.map-ready .leaflet-overlay-pane path")
    page.screenshot(path=str(screenshots / "03-card-moderation.png"), full_page=True)
    assert page.locator(".leaflet-overlay-pane path").count() >= 2  # district outline + the case's point
    assert page.locator(".leaflet-tile").count() == 0  # no tiles: nothing from the network
    assert "Горячая вода" in page.inner_text('[data-testid="suggestion"]')
    page.screenshot(path=str(screenshots / "03-card-moderation.png"), full_page=True)

    moderate = page.locator('[data-testid="action-moderate"]')
    assert moderate.locator("select[name=agency]").input_value() == str(r["admin_a"].pk)
    moderate.locator("select[name=category]").select_option(str(r["hot_water"].pk))
    moderate.locator("button[type=submit]").click()
    wait_status(page, CaseStatus.ASSIGNED)
    assert page.locator(".flash-item.success").count() == 1

    # The second case: assigned straight from the card.
    page.goto(f"{base}/cases/{cases['second'].pk}/")
    open_action(page, "assign")
    page.select_option('[data-testid="action-assign"] select[name=agency]', str(r["admin_a"].pk))
    page.fill(
        '[data-testid="action-assign"] textarea[name=comment]', "Авария на сетях — администрации района"
    )
    page.click('[data-testid="action-assign"] button[type=submit]')
    wait_status(page, CaseStatus.ASSIGNED)
    log_out(page)

    # --- executor (on a phone): only their agency's cases, start work, final answer -----------------
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, base, "executor")
    fits(page)  # the queue
    assert queue_numbers(page) == {main.number, cases["second"].number, cases["late"].number}
    assert "Адм. Энгельсского р-на" in (page.text_content('[data-testid="whoami"]') or "")  # hidden on phones
    page.click(f'tr[data-case="{main.number}"] td.col-num a')
    answer_form = start_and_write_answer(
        page,
        "Подача горячей воды по ул. Гагарина восстановлена 12:40 после замены задвижки. "
        "Управляющей компании выдано предписание.",
    )
    fits(page)  # the case card
    page.screenshot(path=str(screenshots / "04-answer-form-phone.png"), full_page=True)
    answer_form.locator("button[type=submit]").click()
    wait_status(page, CaseStatus.ANSWERED)
    # Another agency's case is a 404 for this executor.
    response = page.goto(f"{base}/cases/{cases['road'].pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/cases/")
    log_out(page)
    page.set_viewport_size({"width": 1440, "height": 900})

    # --- moderator: approve, publish, record the resident's rating with reopen ---------------------
    log_in(page, base, "moderator")
    page.goto(f"{base}/cases/{main.pk}/")
    wait_status(page, CaseStatus.ANSWERED)
    page.click('[data-testid="answer"] [data-testid="action-approve"] button')
    wait_status(page, CaseStatus.APPROVED)
    page.click('[data-testid="answer"] [data-testid="action-publish"] button')
    wait_status(page, CaseStatus.PUBLISHED)
    rate = open_action(page, "rate")
    rate.locator('input[name=score][value="2"]').check()
    rate.locator("textarea[name=comment]").fill("Вода была один день, сегодня снова нет")
    rate.locator("input[name=reopen]").check()
    rate.locator("button[type=submit]").click()
    wait_status(page, CaseStatus.REOPENED)
    assert page.locator("#case-card .case-meta .st-reopened").count() == 1
    assert "Вода была один день" in page.inner_text("#case-card")
    page.screenshot(path=str(screenshots / "05-card-reopened.png"), full_page=True)

    main.refresh_from_db()
    assert main.status == CaseStatus.REOPENED
    assert main.reopen_count == 1
    assert main.answers.get().status == AnswerStatus.PUBLISHED
    assert main.ratings.get().score == 2
    assert list(main.events.values_list("to_status", flat=True).exclude(to_status="")) == [
        CaseStatus.NEW,
        CaseStatus.MODERATION,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.ANSWERED,
        CaseStatus.APPROVED,
        CaseStatus.PUBLISHED,
        CaseStatus.REOPENED,
    ]


def test_moderator_accepts_the_pipelines_suggestions_from_the_queue(
    live_server: Any, page: Any, screenshots: Path, settings: Any
) -> None:
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 1.01  # every new case waits for a moderator
    r = build_region()
    now = timezone.now()
    texts = [
        "Третий день нет горячей воды в доме на улице Гагарина, 12.",
        "На улице Гагарина, 20 опять отключили горячую воду, из крана течёт только холодная.",
        "Нет горячей воды в доме на Гагарина, 5, управляющая компания не отвечает.",
    ]
    result = run_batch(
        [
            {
                "source": "vk-engels",
                "external_id": f"wall-101_{n}",
                "channel": Channel.VK,
                "text": text,
                "posted_at": (now - timedelta(minutes=30 - n)).isoformat(),
                "author_id": f"id{n}",
                "lat": 51.488,
                "lon": 46.031,
            }
            for n, text in enumerate(texts)
        ]
    )
    waiting = list(Case.objects.filter(pk__in=result.case_ids, status=CaseStatus.MODERATION))
    assert len(waiting) == 3 and all(c.suggested_agency_id == r["admin_a"].pk for c in waiting)
    # bulk acceptance takes guesses that reach the rules' threshold only (test_moderation_at_volume)
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 0.0

    log_in(page, live_server.url, "moderator")
    open_queue_tab(page, "moderation")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 3")
    assert page.locator('[data-testid="suggested-category"]').count() == 3
    page.check('input[data-check-all="case"]')  # one tick for the whole page (otklik.js)
    assert page.locator("input.bulk-pick:checked").count() == 3
    page.screenshot(path=str(screenshots / "06-queue-confirm.png"), full_page=True)
    page.click('[data-testid="confirm-suggestions"]')
    flash = page.wait_for_selector(".flash-item")  # whatever it says, say it if it is not a success
    assert "success" in (flash.get_attribute("class") or ""), flash.inner_text()
    assert "3 обращения подтверждены и направлены" in page.inner_text(".flash-item.success")
    assert "tab=moderation" in page.url and page.locator("tr[data-case]").count() == 0
    page.screenshot(path=str(screenshots / "07-queue-confirmed.png"), full_page=True)
    for case in waiting:
        case.refresh_from_db()
        assert case.status == CaseStatus.ASSIGNED and case.agency == r["admin_a"]
        assert case.category == case.suggested_category
