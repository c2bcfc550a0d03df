"""Signing in and waiting for the page's scripts, shared by the browser tests."""

from __future__ import annotations

from typing import Any

from otklik.testing.factories import PASSWORD

# The two screens the browser tests check a page at: a phone's and a regional center's desk.
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def wait_ready(page: Any) -> None:
    """Wait until otklik.js has wired the page (it marks <html data-otklik="ready">).

    Elements are in the DOM while the page still parses; ticking or clicking them before the
    deferred scripts run loses the event (a "tick all" that ticks nothing).
    """
    page.wait_for_selector('html[data-otklik="ready"]', state="attached")


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click(".login-card button[type=submit]")
    page.wait_for_selector("form.logout")  # only on the signed-in page, never on the login form
    wait_ready(page)


def log_out(page: Any) -> None:
    page.click("form.logout button")
    page.wait_for_selector("#id_username")


def open_action(page: Any, name: str) -> Any:
    """The case card's collapsible action form, opened (the card's first action is open already)."""
    action = page.locator(f'[data-testid="action-{name}"]')
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    return action


def wait_status(page: Any, status: str) -> None:
    page.wait_for_selector(f'#case-card[data-status="{status}"]')


def open_queue_tab(page: Any, key: str) -> None:
    """Click one of the queue's quick-filter tabs and wait for HTMX to swap the table in.

    The rows of the tab shown before may already match what a test waits for; ticking them
    before the swap lands loses the ticks (the swap brings fresh, unticked boxes).
    """
    page.click(f'[data-testid="tab-{key}"]')
    page.wait_for_selector(f'[data-testid="tab-{key}"][aria-current="page"]')
    page.wait_for_function("() => document.querySelector('.htmx-request') === null")


def fits(page: Any) -> None:
    """Nothing runs off the screen: the page is no wider than the viewport (a phone's, say). The
    assertion names what sticks out (leaving aside the top menu, which scrolls sideways by design)."""
    width = page.viewport_size["width"]
    wide = page.evaluate(
        f"[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > {width + 1}"
        " && !e.closest('.mainnav')).map(e => e.tagName + '.' + e.className).slice(0, 12)"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def no_sideways_scroll(page: Any) -> None:
    """Nothing scrolls sideways inside the page either: no table or box that would overflow sits in
    a container scrolling it (``fits`` alone lets a wide table hide in a ``.table-wrap``). The
    assertion names the boxes that scroll and their table's test id."""
    scrolling = page.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => !e.closest('.mainnav')"
        " && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX) && e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.tagName + '.' + e.className + ' '"
        " + (e.querySelector('[data-testid]')?.dataset.testid || '')"
        " + ' ' + e.scrollWidth + '>' + e.clientWidth)"
    )
    assert scrolling == [], scrolling
