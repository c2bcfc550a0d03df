"""The operator's day on a phone and on a wide screen, where the other browser tests leave a gap
(docs/reliability.md maps each point of issue 16 to its tests): a moderator publishes two answers from
the card on a phone and follows their delivery in the queue (an error with its reason and "повторить",
"отправлено" with the link), retrying the failed one from the queue row; a resident and a moderator
meet the project's own Russian "not found" page, DEBUG on or off; counts in the queue are Russian
plurals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.cases import notifications
from otklik.cases.choices import AnswerStatus, CaseStatus, DeliveryStatus
from otklik.cases.models import Answer, ReplyDelivery
from otklik.directory.choices import Channel
from otklik.testing.factories import make_agency, make_case, make_category, make_user
from tests.browser.session import PHONE, WIDE, fits, log_in, no_sideways_scroll, wait_ready, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LINK = "https://ok.ru/group/55/topic/77?comment=901"


class Network:
    """The connectors' answers by case: the school's wall refuses once, everything else is taken."""

    def __init__(self, refused_title: str) -> None:
        self.refused_title = refused_title
        self.refusals = 1

    def __call__(self, case: Any, answer: Any) -> dict[str, Any]:
        if case.title == self.refused_title and self.refusals:
            self.refusals -= 1
            return {"sent": False, "reason": "OK: error 455 — обсуждение закрыто", "retriable": False}
        return {"sent": True, "external_id": f"ok-{case.pk}", "detail": LINK}


def test_moderator_on_a_phone_follows_replies_from_the_card_to_the_queue_and_retries(
    live_server: Any, page: Any, screenshots: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.OTKLIK_SEND_REPLIES = True
    refused = "Во дворе школы № 7 не убирают снег"
    monkeypatch.setattr(notifications, "_reply_publisher", Network(refused))
    agency = make_agency("Комитет дорожного хозяйства, благоустройства и транспорта администрации города")
    make_user(Role.MODERATOR, username="moderator", first_name="Мария", last_name="Соколова")
    cases = []
    for title, answer in (
        (refused, "Двор школы очистят от снега до 10:00 завтра."),
        ("Не горит фонарь на улице Чапаева, 45", "Фонарь заменили 14 марта."),
    ):
        case = make_case(
            text=title,
            title=title,
            channel=Channel.OK,
            agency=agency,
            category=make_category(f"Благоустройство: {title[:10]}"),
            status=CaseStatus.APPROVED,
        )
        Answer.objects.create(case=case, text=answer, status=AnswerStatus.APPROVED)
        cases.append(case)
    base = live_server.url

    page.set_viewport_size(PHONE)
    log_in(page, base, "moderator")
    for case in cases:
        page.goto(f"{base}/cases/{case.pk}/")
        page.locator('[data-testid="answer"] form[action$="/publish/"] button[type=submit]').click()
        wait_status(page, CaseStatus.PUBLISHED)
    failed_case, sent_case = cases

    page.goto(f"{base}/cases/?tab=all")
    wait_ready(page)
    fits(page)
    failed = page.locator(f'tr[data-case="{failed_case.number}"] [data-testid="delivery"]')
    sent = page.locator(f'tr[data-case="{sent_case.number}"] [data-testid="delivery"]')
    assert failed.get_attribute("data-delivery") == "failed"
    assert "ошибка" in failed.inner_text() and "обсуждение закрыто" in failed.inner_text()
    assert sent.get_attribute("data-delivery") == "sent" and "отправлено" in sent.inner_text()
    assert sent.locator('[data-testid="delivery-link"]').get_attribute("href") == LINK
    # each row is a card on the phone: the status and its delivery are on the screen, no swipe
    no_sideways_scroll(page)
    retry = page.locator(f'tr[data-case="{failed_case.number}"] [data-testid="delivery-retry"]')
    retry.scroll_into_view_if_needed()
    box = retry.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(screenshots / "day-01-queue-replies-390.png"))
    retry.click()
    page.wait_for_selector(f'tr[data-case="{failed_case.number}"] [data-delivery="sent"]')
    assert ReplyDelivery.objects.get(case=failed_case).status == DeliveryStatus.SENT
    fits(page)
    page.screenshot(path=str(screenshots / "day-02-queue-retried-390.png"))

    page.set_viewport_size(WIDE)
    page.goto(f"{base}/cases/?tab=all")
    wait_ready(page)
    fits(page)
    for case in cases:
        cell = page.locator(f'tr[data-case="{case.number}"] [data-testid="delivery"]')
        assert cell.get_attribute("data-delivery") == "sent"
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDE["width"]  # no sideways scroll needed
    page.screenshot(path=str(screenshots / "day-03-queue-replies-1440.png"))


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_wrong_address_shows_the_projects_russian_page(
    live_server: Any, page: Any, screenshots: Path, settings: Any, debug: bool
) -> None:
    """A resident who mistypes a problem's address, and a moderator who follows a stale link to a case,
    read the project's Russian page (never Django's English technical one, DEBUG on or off)."""
    settings.DEBUG = debug
    make_user(Role.MODERATOR, username="moderator")
    base = live_server.url
    for size, name in ((WIDE, "1440"), (PHONE, "390")):
        page.set_viewport_size(size)
        answer = page.goto(f"{base}/public/problems/2612-999999/")
        assert answer is not None and answer.status == 404
        page.wait_for_selector('[data-testid="error-404"]')
        text = page.inner_text("main")
        assert "Не найдено" in text and "в адресе опечатка" in text and "На главную" in text
        assert "роли" not in text  # a resident has no role to speak of
        content = page.content()
        assert "Page not found" not in content and "URLconf" not in content and "Traceback" not in content
        fits(page)
        if not debug:
            page.screenshot(path=str(screenshots / f"day-04-not-found-resident-{name}.png"))
    log_in(page, base, "moderator")
    for size, name in ((WIDE, "1440"), (PHONE, "390")):
        page.set_viewport_size(size)
        answer = page.goto(f"{base}/cases/999999/")
        assert answer is not None and answer.status == 404
        text = page.inner_text("main")
        assert "Не найдено" in text and "недоступна для вашей роли" in text
        assert page.locator("form.logout").count() == 1  # still inside the staff's frame, menu and all
        fits(page)
        if not debug:
            page.screenshot(path=str(screenshots / f"day-05-not-found-moderator-{name}.png"))


def test_the_queue_counts_cases_in_russian_plurals(live_server: Any, page: Any, screenshots: Path) -> None:
    """ "21 обращение", "22 обращения", "25 обращений": the count beside the tabs follows the Russian
    rules as cases arrive (one form per number, never "21 обращений")."""
    make_user(Role.MODERATOR, username="moderator")
    base = live_server.url
    log_in(page, base, "moderator")
    made = 0
    for total, words in ((21, "21 обращение"), (22, "22 обращения"), (25, "25 обращений")):
        while made < total:
            make_case(
                text=f"Не вывозят мусор у дома {made + 1} по улице Ленина", status=CaseStatus.MODERATION
            )
            made += 1
        page.goto(f"{base}/cases/?tab=all")
        wait_ready(page)
        assert page.inner_text(".tabs-total").strip() == words
    page.set_viewport_size(PHONE)
    page.reload()
    wait_ready(page)
    fits(page)
    page.screenshot(path=str(screenshots / "day-06-queue-plural-390.png"))


def test_on_a_phone_the_monitoring_preview_stays_in_sight_while_the_query_is_written(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    """A moderator on a phone types a query: the preview's count is on the screen beside the query field
    (not below the territories, categories and the save button), and still there once they scroll down
    to the categories."""
    from datetime import timedelta

    from django.utils import timezone

    from otklik.intake.models import Message
    from otklik.testing.factories import make_source

    vk = make_source("vk-district", channel=Channel.VK, name="ВКонтакте: паблик района")
    for n, text in enumerate(
        ["Третий день нет горячей воды на улице Тельмана", "Опять отключили воду", "Продам гараж недорого"]
    ):
        Message.objects.create(
            source=vk,
            external_id=str(n),
            channel=Channel.VK,
            text=text,
            posted_at=timezone.now() - timedelta(minutes=n),
        )
    make_user(Role.MODERATOR, username="moderator")
    base = live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, "moderator")
    page.goto(f"{base}/intake/monitoring/new/")
    page.wait_for_selector('[data-testid="preview-empty"]')
    page.fill("#id_query", "вода")
    page.wait_for_selector('[data-testid="preview-matched"]')
    assert page.inner_text('[data-testid="preview-matched"]') == "2"
    on_screen = """(sel) => { const b = document.querySelector(sel).getBoundingClientRect();
        return b.top >= 0 && b.bottom <= window.innerHeight; }"""
    assert page.evaluate(on_screen, "#id_query")
    assert page.evaluate(on_screen, '[data-testid="preview-matched"]')
    fits(page)
    page.screenshot(path=str(screenshots / "day-07-monitoring-typing-390.png"))
    page.locator("#id_categories").scroll_into_view_if_needed()
    assert page.evaluate(on_screen, '[data-testid="preview-matched"]')  # sticky at the top
    assert page.evaluate(on_screen, "#id_categories")
    page.screenshot(path=str(screenshots / "day-08-monitoring-scrolled-390.png"))
    page.set_viewport_size(WIDE)
    page.reload()
    page.wait_for_selector('[data-testid="preview-empty"]')
    fits(page)
    panel = page.locator('[data-testid="monitoring-preview-panel"]').bounding_box()
    form = page.locator("#monitoring-form").bounding_box()
    assert panel is not None and form is not None and panel["x"] > form["x"] + form["width"]  # beside
    page.screenshot(path=str(screenshots / "day-09-monitoring-1440.png"))


def test_on_a_phone_the_history_shows_each_events_reason_without_a_sideways_swipe(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    """A supervisor on a phone leaves an internal note: the history lists it with its text on the screen
    (each event stacked: when and who, then what, the status and the comment), nothing off to the right."""
    from otklik.cases import actions
    from tests.browser.session import open_action

    note = "Подрядчик сорвал график, проверить в пятницу лично"
    agency = make_agency("Министерство строительства и ЖКХ")
    make_user(Role.SUPERVISOR, username="boss", first_name="Олег", last_name="Иванов")
    case = actions.assign_case(make_case(text="Протекает кровля в доме 5 по улице Ленина"), None, agency)
    base = live_server.url
    page.set_viewport_size(PHONE)
    log_in(page, base, "boss")
    page.goto(f"{base}/cases/{case.pk}/")
    open_action(page, "note")
    page.fill('[data-testid="action-note"] textarea[name=text]', note)
    page.click('[data-testid="action-note"] button[type=submit]')
    cell = page.locator('[data-testid="history"] td.ev-comment', has_text=note)
    cell.wait_for()
    box = cell.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    fits(page)
    cell.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "day-10-history-note-390.png"))
    page.set_viewport_size(WIDE)
    page.reload()
    header = page.locator('[data-testid="history"] thead')
    assert header.is_visible()  # a table with its header on a wide screen
    page.screenshot(path=str(screenshots / "day-11-history-note-1440.png"), full_page=True)
