"""Russian on the center's screens: working days in words (no "wd"), no internal model ids on the card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.testing.factories import make_case, make_category, make_user
from tests.browser.session import fits, log_in
from tests.browser.test_analytics_pages import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_analyst_reads_working_days_in_russian(live_server: Any, page: Any, screenshots: Path) -> None:
    build()
    base = live_server.url
    log_in(page, base, "analyst")
    page.goto(f"{base}/analytics/agencies/")
    page.wait_for_selector('[data-testid="ranking-table"]')
    text = page.inner_text("main")
    assert "рабочий день — 8 часов" in text
    assert " wd" not in text and "рд —" not in text
    page.screenshot(path=str(screenshots / "russian-01-agencies-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=str(screenshots / "russian-02-agencies-390.png"), full_page=True)


def test_the_card_shows_no_model_version(live_server: Any, page: Any, screenshots: Path) -> None:
    make_user(Role.MODERATOR, username="moderator")
    case = make_case(
        text="Нет горячей воды третий день",
        status=CaseStatus.MODERATION,
        suggested_category=make_category("Горячая вода"),
        category_confidence=0.91,
        understanding={"matched_terms": ["горячая вода"], "version": "lsvc-20261201-7f3a"},
    )
    base = live_server.url
    log_in(page, base, "moderator")
    page.goto(f"{base}/cases/{case.pk}/")
    page.wait_for_selector('[data-testid="suggestion"]')
    assert "горячая вода" in page.inner_text('[data-testid="suggestion"]')
    assert "lsvc-20261201-7f3a" not in page.content()
    page.screenshot(path=str(screenshots / "russian-03-card-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    fits(page)
    page.screenshot(path=str(screenshots / "russian-04-card-390.png"), full_page=True)
