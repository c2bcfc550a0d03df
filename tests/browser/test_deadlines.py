"""A supervisor's day with deadlines: a 59-FZ letter counted from its registration, extended by 30 days
with a reason (the applicant told on their page), an interim answer asked, an internal note that the
resident never sees."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import Channel
from otklik.directory.defaults_deadlines import load_default_deadline_policies
from otklik.public.services import status_token
from otklik.testing.factories import make_agency, make_case, make_category, make_user
from tests.browser.session import fits, log_in, open_action, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Подрядчик сорвал график, проверить в пятницу лично"


def test_supervisor_extends_asks_for_an_interim_answer_and_notes(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    load_default_deadline_policies()
    agency = make_agency("Министерство строительства и ЖКХ")
    make_user(Role.SUPERVISOR, username="boss", first_name="Олег", last_name="Иванов")
    registered = timezone.now() - timedelta(days=10)
    case = make_case(
        text="Письмо: в доме 5 по улице Ленина протекает кровля, прошу принять меры",
        channel=Channel.OFFICIAL,
        category=make_category("Капитальный ремонт"),
        created_at=registered,
    )
    case = actions.assign_case(case, None, agency)
    assert case.clock_started_at == registered
    base = live_server.url

    log_in(page, base, "boss")
    page.goto(f"{base}/cases/{case.pk}/")
    assert "с регистрации" in page.inner_text('[data-testid="clock-start"]')
    before = page.inner_text(".case-deadline")

    open_action(page, "extend")
    page.fill('[data-testid="action-extend"] input[name=days]', "30")
    page.fill(
        '[data-testid="action-extend"] textarea[name=reason]', "Нужно обследование кровли специалистами"
    )
    page.click('[data-testid="action-extend"] button[type=submit]')
    page.wait_for_selector('[data-testid="extended"]')
    assert "продлён на 30 дней" in page.inner_text('[data-testid="extended"]')
    assert page.inner_text(".case-deadline") != before
    history = page.inner_text('[data-testid="history"]')
    assert "Срок продлён" in history and "обследование кровли" in history
    notice = page.locator('[data-testid="answer"]').filter(has_text="продлён до")
    assert "тестовый режим" in notice.inner_text()

    open_action(page, "interim")
    page.fill('[data-testid="action-interim"] input[name=hours]', "4")
    page.click('[data-testid="action-interim"] button[type=submit]')
    page.wait_for_selector("text=Запрошен промежуточный ответ")

    open_action(page, "note")
    page.fill('[data-testid="action-note"] textarea[name=text]', NOTE)
    page.click('[data-testid="action-note"] button[type=submit]')
    page.wait_for_selector(f"text={NOTE}")
    wait_status(page, CaseStatus.ASSIGNED)
    page.screenshot(path=str(screenshots / "deadlines-01-card-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page)
    page.screenshot(path=str(screenshots / "deadlines-02-card-390.png"), full_page=True)

    # the resident: the extension is on their page, the note is not
    page.goto(f"{base}/public/status/{case.number}/{status_token(case)}/")
    assert "продлён до" in page.inner_text('[data-testid="interim-answer"]')
    assert "Подрядчик" not in page.content()
    fits(page)
    page.screenshot(path=str(screenshots / "deadlines-03-resident-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.screenshot(path=str(screenshots / "deadlines-04-resident-1440.png"), full_page=True)
