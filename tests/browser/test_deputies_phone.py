"""«Мой депутат»'s figures on a phone (issue 17, points 4 and 7): the center head reads the
service's figures, the deputies' rating and the agency table at 390 px, and a resident the public
table of deputies' replies — every table fits the screen as stacked rows, nothing scrolls sideways
(at 1440 px the same tables keep their columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.session import PHONE, WIDE, fits, log_in, no_sideways_scroll, wide_then_phone
from tests.browser.test_deputies_service import _service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _both_widths(page: Any, url: str, ready: str, shot: Path) -> None:
    """The page at 1440 px (its tables with their header rows) and at 390 px (stacked, fitting)."""
    page.set_viewport_size(WIDE)
    page.goto(url)
    page.wait_for_selector(ready)
    assert page.locator(f"{ready} thead").first.is_visible()
    wide_then_phone(page, ready, shot)
    no_sideways_scroll(page)


def _labels(page: Any, row: str) -> list[str]:
    """The labels a stacked row's cells show before their values."""
    return page.locator(row).first.evaluate(
        "r => [...r.cells].map(c => getComputedStyle(c, '::before').content)"
        ".filter(c => c && c !== 'none').map(c => c.replace(/^\"|: \"$/g, ''))"
    )


def test_the_service_figures_and_ratings_fit_a_phone(live_server: Any, page: Any, screenshots: Path) -> None:
    _service()
    base = live_server.url
    log_in(page, base, "head")
    _both_widths(
        page, f"{base}/deputies/statistics/", '[data-testid="st-weeks"]', screenshots / "deputies-30-figures"
    )
    # Stacked: each week a block, each figure named beside its value (the cell's ::before label).
    assert not page.locator('[data-testid="st-weeks"] thead').is_visible()
    assert _labels(page, '[data-testid="st-weeks"] tbody tr') == [
        "Звонки",
        "Посещения страницы",
        "Обращения",
        "Дан ответ",
        "В срок, %",
    ]
    assert _labels(page, '[data-testid="st-districts"] tbody tr') == [
        "Обращения",
        "Звонки",
        "Дан ответ",
        "В срок, %",
    ]
    _both_widths(
        page, f"{base}/deputies/rating/", '[data-testid="deputy-rating"]', screenshots / "deputies-31-rating"
    )
    first = page.locator('[data-testid="deputy-rating"] tbody tr').first.inner_text()
    assert first.startswith("1. Иванов")  # answered 21 of 24, not Орлова's 4 of 10
    assert {"Балл", "Дан ответ", "Посещения страницы"} <= set(
        _labels(page, '[data-testid="deputy-rating"] tbody tr')
    )
    _both_widths(
        page,
        f"{base}/analytics/agencies/",
        '[data-testid="ranking-offices"]',
        screenshots / "deputies-32-agencies",
    )
    # A resident (not signed in) on a phone: the public table of deputies' replies.
    resident = page.context.browser.new_context(locale="ru-RU", viewport=PHONE)
    try:
        public = resident.new_page()
        public.goto(f"{base}/deputies/responsiveness/")
        public.wait_for_selector('[data-testid="responsiveness"]')
        assert public.locator("form.logout").count() == 0
        fits(public)
        no_sideways_scroll(public)
        assert _labels(public, '[data-testid="responsiveness"] tbody tr')[-1] == "Ответ получен"
        public.screenshot(path=str(screenshots / "deputies-33-responsiveness-phone.png"), full_page=True)
    finally:
        resident.close()
