"""The queue's layout with the demo's real names (long agencies, territories, titles): at 1440 px no
column is cut off — the deadline column and the reset button are inside the screen and the table
needs no sideways scroll; at 390 px the filters fold behind their toggle and the cases come first,
the search box staying on the screen and working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.session import demo_directory, demo_messages, fits, log_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSIDE = """([selector, width]) => {
  const el = document.querySelector(selector);
  if (!el) { return selector + ": missing"; }
  const box = el.getBoundingClientRect();
  const wrap = el.closest(".table-wrap");
  const edge = wrap ? Math.min(width, wrap.getBoundingClientRect().right) : width;
  return box.left >= 0 && box.right <= edge + 1 ? "" : `${selector}: ${box.left}..${box.right} of ${edge}`;
}"""


def _inside(page: Any, selector: str) -> None:
    assert page.evaluate(INSIDE, [selector, page.viewport_size["width"]]) == ""


def test_the_queue_fits_at_1440_and_folds_its_filters_at_390(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    directory, _matcher = demo_directory()
    demo_messages(directory, seed=7003, count=120, days=3)
    log_in(page, live_server.url, "moderator")
    for tab in ("all", "moderation"):
        page.goto(f"{live_server.url}/cases/?tab={tab}")
        wait_ready(page)
        page.screenshot(path=str(screenshots / f"queue-layout-{tab}-1440.png"), full_page=True)
        fits(page)
        for selector in (
            "table.queue thead th.col-received",
            "table.queue thead th.col-deadline",
            "#queue-filters .filter-buttons a.btn",  # reset
            "#queue-filters .filter-buttons button",
        ):
            _inside(page, selector)
        # the table needs no sideways scroll at 1440 px: nothing hides behind its right edge
        wrap = "document.querySelector('.table-wrap')"
        scroll, client = page.evaluate(f"[{wrap}.scrollWidth, {wrap}.clientWidth]")
        assert scroll <= client + 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/?tab=all")
    wait_ready(page)
    fits(page)
    box = page.locator('[data-testid="queue-filters-box"]')
    assert box.get_attribute("open") is None  # folded behind "Filters"
    assert box.bounding_box()["height"] < 844 * 0.1
    assert page.locator("table.queue").bounding_box()["y"] < 844  # the cases start on the first screen
    # the search stays on the first screen while the other filters are folded, and it works
    search = page.locator("#id_q")
    assert search.is_visible()
    sbox = search.bounding_box()
    assert sbox is not None and sbox["x"] >= 0 and sbox["x"] + sbox["width"] <= 390 and sbox["y"] < 844 / 3
    page.screenshot(path=str(screenshots / "queue-layout-all-390.png"), full_page=False)
    first = page.locator("table.queue tbody tr[data-case]").first.get_attribute("data-case")
    search.fill(first)
    page.wait_for_function(
        "(n) => { const rows = document.querySelectorAll('table.queue tbody tr[data-case]');"
        " return rows.length === 1 && rows[0].dataset.case === n; }",
        arg=first,
    )
    assert f"q={first}" in page.url
    assert box.get_attribute("open") is None  # searching does not unfold the filters
    page.screenshot(path=str(screenshots / "queue-layout-search-390.png"), full_page=False)
    search.fill("")
    page.wait_for_function("() => document.querySelectorAll('table.queue tbody tr[data-case]').length > 1")
    box.locator("summary").click()
    page.wait_for_selector('[data-testid="queue-filters-box"][open]')
    fits(page)
    assert box.bounding_box()["height"] < 844  # unfolded, still less than one screen
    page.screenshot(path=str(screenshots / "queue-layout-filters-390.png"), full_page=False)
