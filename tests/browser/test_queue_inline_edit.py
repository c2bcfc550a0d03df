"""Inline correction in the queue, in a real browser and by keyboard: j to the row, e turns it into a
form with the focus on the category, a pick and Enter save it through the moderation action, the
row comes back in place (assigned, with its deadline) and stays the current row; Esc cancels. The
executor gets no such button, and the form fits at 1440 and 390 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case, CaseEvent
from otklik.testing.factories import make_case
from tests.browser.session import fits, log_in, log_out, open_queue_tab
from tests.browser.test_moderation_at_volume import _waiting
from tests.browser.test_operator_flow import build_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row(page: Any, case: Case) -> Any:
    return page.locator(f'tr[data-case="{case.number}"]')


def test_moderator_corrects_a_case_from_its_row_by_keyboard(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    r = build_region()
    first, second, *_rest = _waiting(r)  # newest first: the queue's first two rows
    # Screenshots keep the caret: Playwright hides it with an injected <style>, which the CSP refuses.
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_server.url, "moderator")
    open_queue_tab(page, "moderation")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 4")

    page.keyboard.press("j")
    page.keyboard.press("e")
    editor = page.locator('[data-testid="inline-edit-row"]')
    editor.wait_for()
    page.wait_for_function("() => document.activeElement.name === 'category'")
    assert editor.get_attribute("data-case") == first.number
    # the focus is on the category: the keyboard picks it at once
    fits(page)
    page.screenshot(path=str(screenshots / "inline-01-editor-1440.png"), full_page=True, caret="initial")

    page.select_option(f"#id_inline{first.pk}_category", str(r["roads"].pk))
    page.select_option(f"#id_inline{first.pk}_agency", "")  # by the routing rules
    page.focus(f"#id_inline{first.pk}_agency")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'tr[data-case="{first.number}"]:not([data-inline-editor])')
    row = _row(page, first)
    assert "Дороги" in row.inner_text() and str(r["transport"]) in row.inner_text()
    # saved: the next row is the current one, ready for the next e
    page.wait_for_selector(f'tr.row-current[data-case="{second.number}"]')
    first.refresh_from_db()
    assert (first.category, first.agency, first.status) == (r["roads"], r["transport"], CaseStatus.ASSIGNED)
    assert CaseEvent.objects.filter(case=first, kind=EventKind.MODERATED, actor=r["moderator"]).exists()
    page.screenshot(path=str(screenshots / "inline-02-saved-1440.png"), full_page=True, caret="initial")

    # the next row: e, then Esc puts it back unchanged
    page.keyboard.press("e")
    _row(page, second).locator("form.inline-edit").wait_for()
    page.wait_for_function("() => document.activeElement.name === 'category'")
    page.keyboard.press("Escape")
    page.wait_for_selector(f'tr[data-case="{second.number}"]:not([data-inline-editor])')
    second.refresh_from_db()
    assert second.status == CaseStatus.MODERATION and second.category is None

    # on a phone the row's form wraps and fits the screen
    page.set_viewport_size({"width": 390, "height": 844})
    _row(page, second).locator("[data-inline-edit]").click()
    _row(page, second).locator("form.inline-edit").wait_for()
    box = _row(page, second).locator('[data-testid="inline-save"]').bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(screenshots / "inline-03-editor-390.png"), full_page=True, caret="initial")

    # the strict CSP holds through every swap: no inline script or style was needed or refused
    assert [line for line in console if "Content Security Policy" in line] == []

    own = make_case(agency=r["admin_a"], status=CaseStatus.ASSIGNED, category=r["hot_water"])
    log_out(page)
    log_in(page, live_server.url, "executor")
    page.goto(f"{live_server.url}/cases/?tab=all")
    page.wait_for_selector(f'tr[data-case="{own.number}"]')
    assert page.locator("[data-inline-edit]").count() == 0  # executors never correct from the queue
