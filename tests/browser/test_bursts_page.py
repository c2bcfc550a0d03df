"""The supervisors' bursts page in a real browser: an alert raised by the periodic job, its cases,
acknowledging it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.tasks import run_periodic_jobs
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_case, make_category, make_territory, make_user
from otklik.understanding.bursts import window_of
from otklik.understanding.models import BurstAlert
from tests.browser.session import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_sees_a_burst_with_its_cases_and_acknowledges_it(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    now = timezone.now()
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=oblast)
    housing = make_category("ЖКХ", code="zhkh")
    heating = make_category("Отопление", code="heating", parent=housing)
    make_user(Role.SUPERVISOR, username="chief", first_name="Анна", last_name="Руководитель")
    for day in range(4, 29, 4):  # a quiet month: one heating case every four days
        at = now - timedelta(days=day)
        make_case(category=heating, territory=engels, created_at=at, with_message=False)
    start, _end = window_of(now)  # today's cases stay within the local day whenever the test runs
    today = [
        make_case(
            text=f"Холодные батареи в доме {n} на улице Тельмана, в квартирах +14",
            category=heating,
            territory=engels,
            created_at=start + (now - start) * n / 8,
            with_message=False,
        )
        for n in range(1, 8)
    ]
    assert run_periodic_jobs(now)["bursts"] == 1
    alert = BurstAlert.objects.get()

    base = live_server.url
    log_in(page, base, "chief")
    page.click('nav a[href="/cases/bursts/"]')
    section = page.locator(f'[data-testid="burst"][data-alert="{alert.pk}"]')
    section.wait_for()
    text = section.text_content() or ""
    assert "Отопление" in text and "Энгельсский район" in text
    assert section.locator(".burst-count").inner_text() == "7"
    assert section.locator("tbody tr").count() == 7
    assert all(case.number in text for case in today)
    page.screenshot(path=str(screenshots / "bursts-01-open.png"), full_page=True)

    section.locator('[data-testid="burst-acknowledge"]').click()
    page.wait_for_selector('[data-testid="no-bursts"]')
    assert page.locator("details.burst-handled").count() == 1
    page.screenshot(path=str(screenshots / "bursts-02-acknowledged.png"), full_page=True)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None and alert.acknowledged_by.username == "chief"

    # a case of the alert opens from it
    page.locator("details.burst-handled summary").click()
    page.click(f'details.burst-handled a:has-text("{today[0].number}")')
    page.wait_for_selector(f'#case-card[data-case="{today[0].number}"], #case-card')
    assert today[0].number in page.inner_text("main")
