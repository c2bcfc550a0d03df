"""The moderator publishes an answer and sees whether the reply reached the network: an error with its
reason and "повторить", then "отправлено (ссылка)"; a staged reply says "тестовый режим"."""

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
from tests.browser.session import fits, log_in, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = "https://vk.com/wall-101_5501?reply=9001"


class FlakyVK:
    """The connector's answers, one per call: first refused (the community's wall closed), then taken."""

    def __init__(self) -> None:
        self.outcomes = [
            {"sent": False, "reason": "VK wall.createComment: error 15 Access denied", "retriable": False},
            {"sent": True, "external_id": "wall-101_5501_r9001", "detail": LINK},
        ]

    def __call__(self, case: Any, answer: Any) -> dict[str, Any]:
        return self.outcomes.pop(0)


def test_moderator_sees_a_failed_reply_retries_it_and_gets_the_link(
    live_server: Any, page: Any, screenshots: Path, settings: Any, monkeypatch: Any
) -> None:
    settings.OTKLIK_SEND_REPLIES = True
    monkeypatch.setattr(notifications, "_reply_publisher", FlakyVK())
    agency = make_agency("Администрация Энгельсского района")
    make_user(Role.MODERATOR, username="moderator", first_name="Мария", last_name="Соколова")
    case = make_case(
        text="Третий день нет горячей воды в доме на улице Гагарина, 12",
        channel=Channel.VK,
        agency=agency,
        category=make_category("Горячая вода"),
        status=CaseStatus.APPROVED,
    )
    Answer.objects.create(
        case=case, text="Подачу горячей воды восстановили 12 марта в 16:00.", status=AnswerStatus.APPROVED
    )
    base = live_server.url

    log_in(page, base, "moderator")
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator('[data-testid="answer"] form[action$="/publish/"] button[type=submit]').click()
    wait_status(page, CaseStatus.PUBLISHED)
    failed = page.locator('[data-testid="delivery"][data-delivery="failed"]')
    assert "ошибка" in failed.inner_text() and "error 15" in failed.inner_text()
    assert "повторить" in failed.inner_text()
    page.screenshot(path=str(screenshots / "reply-01-card-failed-1440.png"), full_page=True)

    # the queue shows it too, with the same button
    page.goto(f"{base}/cases/?tab=all")
    row = page.locator(f'tr[data-case="{case.number}"]')
    assert row.locator('[data-delivery="failed"]').count() == 1
    page.screenshot(path=str(screenshots / "reply-02-queue-failed-1440.png"), full_page=True)
    row.locator('[data-testid="delivery-retry"]').click()
    page.wait_for_selector(f'tr[data-case="{case.number}"] [data-delivery="sent"]')
    sent = page.locator(f'tr[data-case="{case.number}"] [data-testid="delivery"]')
    assert "отправлено" in sent.inner_text()
    assert sent.locator('[data-testid="delivery-link"]').get_attribute("href") == LINK
    page.screenshot(path=str(screenshots / "reply-03-queue-sent-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/cases/{case.pk}/")
    card = page.locator('[data-testid="answer"] [data-testid="delivery"]')
    assert "отправлено" in card.inner_text() and "ссылка" in card.inner_text()
    fits(page)
    page.screenshot(path=str(screenshots / "reply-04-card-sent-390.png"), full_page=True)
    assert ReplyDelivery.objects.get(case=case).status == DeliveryStatus.SENT


def test_staged_reply_says_test_mode(live_server: Any, page: Any, screenshots: Path, settings: Any) -> None:
    settings.OTKLIK_SEND_REPLIES = False
    make_user(Role.MODERATOR, username="moderator")
    case = make_case(text="Яма на дороге у школы", agency=make_agency("Минтранс"), status=CaseStatus.APPROVED)
    Answer.objects.create(case=case, text="Яму заделают до пятницы.", status=AnswerStatus.APPROVED)
    base = live_server.url

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, base, "moderator")
    page.goto(f"{base}/cases/{case.pk}/")
    page.locator('[data-testid="answer"] form[action$="/publish/"] button[type=submit]').click()
    wait_status(page, CaseStatus.PUBLISHED)
    staged = page.locator('[data-testid="delivery"][data-delivery="staging"]')
    assert "не отправляется: тестовый режим" in staged.inner_text()
    assert page.locator('[data-testid="delivery-retry"]').count() == 0
    fits(page)
    page.screenshot(path=str(screenshots / "reply-05-card-staging-390.png"), full_page=True)
