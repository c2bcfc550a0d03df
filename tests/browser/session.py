"""Shared by the browser tests: the demo's directory and cases to open pages on, signing in, waiting
for the page's scripts and checking that a page fits the screen."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from otklik.demo.agencies import DemoDirectory, setup_agencies
from otklik.demo.categories import CategoryMatcher
from otklik.demo.messages import DemoMessage, generate_messages
from otklik.demo.places import ensure_district_centers
from otklik.demo.run import ensure_sources, load_reference_data
from otklik.demo.users import ensure_demo_users
from otklik.directory.regions import load_shipped_region
from otklik.intake.pipeline.runner import run_batch
from otklik.testing.factories import PASSWORD

# The two screens the browser tests check a page at: a phone's and a regional center's desk.
PHONE = {"width": 390, "height": 844}
WIDE = {"width": 1440, "height": 900}


def demo_directory() -> tuple[DemoDirectory, CategoryMatcher]:
    """The demo's directory as ``otklik demo`` builds it: the Saratov region, its agencies, routing
    rules, category tree, deadline policies, sources and demo logins (each signs in with the tests'
    one password)."""
    load_reference_data()
    region = load_shipped_region("saratov").region
    ensure_district_centers(region)
    matcher = CategoryMatcher()
    directory = setup_agencies(region, matcher)
    for user in ensure_demo_users(directory).values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    ensure_sources()
    return directory, matcher


def demo_messages(
    directory: DemoDirectory, *, seed: int, count: int, days: int, now: datetime | None = None
) -> list[DemoMessage]:
    """``count`` demo messages about ``directory``'s region posted over the ``days`` days before
    ``now`` (this minute by default), put through the intake pipeline; returned with their truth."""
    now = now or timezone.now().replace(second=0, microsecond=0)
    messages = generate_messages(
        seed=seed, count=count, start=now - timedelta(days=days), end=now, region=directory.region
    )
    run_batch([m.item for m in messages], now=now)
    return messages


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
