"""A resident says the answer did not solve the problem: right after it, their status page, the public
problem page and Open311 say "Снова в работе", and the old answer is only the earlier one."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.public.services import status_token
from otklik.testing.factories import make_agency, make_case, make_category, make_user
from tests.browser.session import fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OLD = "Яма заделана 3 марта, дорожное покрытие восстановлено."


def test_resident_reopens_and_every_public_view_says_in_work_again(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    case = make_case(
        status=CaseStatus.PUBLISHED,
        category=make_category("Ямы на дорогах", is_public=True),
        agency=make_agency("Министерство транспорта"),
        text="Яма на дороге у остановки «Школа» на улице Мира",
        lat=51.5,
        lon=46.1,
        created_at=timezone.now() - timedelta(days=5),
    )
    Answer.objects.create(
        case=case,
        author=make_user(Role.SUPERVISOR),
        text=OLD,
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    base = live_server.url

    page.goto(f"{base}/public/status/{case.number}/{status_token(case)}/")
    assert page.inner_text('[data-testid="public-status"]').strip() == "Дан ответ"
    page.check('input[name="score"][value="1"]')
    page.check('input[name="not_solved"]')
    page.fill('textarea[name="comment"]', "Яма на месте, после дождя стала больше")
    page.click('form[action$="/rate/"] button[type=submit]')
    page.wait_for_selector('[data-testid="previous-answer"]')
    assert page.inner_text('[data-testid="public-status"]').strip() == "Снова в работе"
    assert OLD in page.inner_text('[data-testid="previous-answer"]')
    assert page.locator('[data-testid="answer"]').count() == 0
    page.screenshot(path=str(screenshots / "reopened-01-status-1440.png"), full_page=True)

    page.goto(f"{base}/public/problems/{case.number}/")
    badge = page.inner_text('[data-testid="problem-status"]')
    assert badge.strip() == "Снова в работе" and OLD not in badge
    assert "Ответа пока нет" in page.inner_text("main") and OLD in page.inner_text(
        '[data-testid="previous-answer"]'
    )
    page.screenshot(path=str(screenshots / "reopened-02-problem-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=str(screenshots / "reopened-03-problem-390.png"), full_page=True)
    page.goto(f"{base}/public/status/{case.number}/{status_token(case)}/")
    fits(page)
    page.screenshot(path=str(screenshots / "reopened-04-status-390.png"), full_page=True)

    [row] = page.request.get(
        f"{base}/open311/v2/requests/{case.number}.json", headers={"Accept-Language": "ru"}
    ).json()
    assert row["status"] == "open" and row["status_notes"] == "Снова в работе"
