"""Moderation at volume in a real browser: bulk acceptance takes only the sure guesses (the rest stay
ticked with the reason), keyboard shortcuts with their help, the next case after an action on the
card; the queue fits at 1440 px and folds its filters on a phone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.testing.factories import make_case
from tests.browser.session import fits, log_in, open_queue_tab, wait_ready
from tests.browser.test_operator_flow import build_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = [
    ("Третий день нет горячей воды в доме на улице Гагарина, 12", 0.95),
    ("Холодные батареи в квартире, в доме на Гагарина, 5 плюс пятнадцать", 0.24),
    ("Из крана течёт только холодная вода, Гагарина, 20", 0.91),
    ("Во дворе на Гагарина, 3 яма и темно, что-то с водой?", 0.49),
]


def _waiting(r: dict[str, Any]) -> list[Case]:
    now = timezone.now()
    return [
        make_case(
            text=text,
            status=CaseStatus.MODERATION,
            created_at=now - timedelta(minutes=10 * n),
            suggested_category=r["hot_water"],
            suggested_territory=r["district"],
            suggested_agency=r["admin_a"],
            category_confidence=confidence,
            understanding={"decided_by": "model", "threshold": 0.8, "matched_terms": []},
        )
        for n, (text, confidence) in enumerate(TEXTS)
    ]


def test_bulk_acceptance_takes_only_the_sure_guesses_and_the_keyboard_moves_through_the_queue(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    r = build_region()
    sure, unsure_low, sure_too, unsure_mid = _waiting(r)
    log_in(page, live_server.url, "moderator")
    open_queue_tab(page, "moderation")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 4")
    fits(page)  # at 1440 px nothing is cut off: the deadline column and the reset button show
    page.screenshot(path=str(screenshots / "volume-01-queue-1440.png"), full_page=True)

    page.keyboard.press("?")
    page.wait_for_selector('[data-testid="shortcuts-help"][open]')
    assert "следующая / предыдущая строка" in page.inner_text('[data-testid="shortcuts-help"]')
    page.screenshot(path=str(screenshots / "volume-02-shortcuts-1440.png"))
    page.keyboard.press("Escape")

    page.check('input[data-check-all="case"]')
    page.click('[data-testid="confirm-suggestions"]')
    page.wait_for_selector('[data-testid="refusal"]')
    assert set(Case.objects.filter(status=CaseStatus.ASSIGNED).values_list("pk", flat=True)) == {
        sure.pk,
        sure_too.pk,
    }
    refusals = page.locator('[data-testid="refusal"]')
    assert refusals.count() == 2
    assert "24%" in refusals.first.inner_text() and "80%" in refusals.first.inner_text()
    assert page.locator("input.bulk-pick:checked").count() == 2  # the refused stay ticked
    page.screenshot(path=str(screenshots / "volume-03-refused-1440.png"), full_page=True)

    page.keyboard.press("j")
    page.keyboard.press("j")
    current = page.locator("tr.row-current")
    assert current.get_attribute("data-case") == unsure_mid.number
    page.keyboard.press("k")
    assert page.locator("tr.row-current").get_attribute("data-case") == unsure_low.number
    page.keyboard.press("o")
    page.wait_for_selector('[data-testid="next-case"]')
    wait_ready(page)
    assert unsure_mid.number in page.inner_text('[data-testid="next-case"]')
    page.keyboard.press("a")  # accept the suggestion on the card
    page.wait_for_selector('#case-card[data-status="assigned"]')
    page.wait_for_selector('[data-testid="next-case"]')
    page.screenshot(path=str(screenshots / "volume-04-card-next-1440.png"), full_page=True)
    page.keyboard.press("n")
    page.wait_for_url(f"**/cases/{unsure_mid.pk}/")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/?tab=moderation")
    wait_ready(page)
    assert page.locator('[data-testid="queue-filters-box"]').get_attribute("open") is None
    page.screenshot(path=str(screenshots / "volume-05-queue-390.png"), full_page=True)
