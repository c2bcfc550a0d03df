"""Shared by the browser tests: the demo's directory and cases to open pages on, a deputy's appeals,
the public appeal form with a photo, signing in, waiting for the page's scripts and checking that a
page fits the screen (at a desk's width and a phone's)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone
from PIL import Image

from otklik.cases.choices import CaseStatus
from otklik.demo.agencies import DemoDirectory, setup_agencies
from otklik.demo.categories import CategoryMatcher
from otklik.demo.messages import DemoMessage, generate_messages
from otklik.demo.places import ensure_district_centers
from otklik.demo.run import ensure_sources, load_reference_data
from otklik.demo.users import ensure_demo_users
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.directory.regions import load_shipped_region
from otklik.intake.pipeline.runner import run_batch
from otklik.testing.factories import PASSWORD, make_case, make_territory, square

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


def deputy_cases(
    deputy: Any,
    count: int,
    answered: int,
    *,
    since: int,
    every: int,
    over: int,
    channels: Sequence[str],
    each: Callable[[int], dict[str, Any]] | None = None,
    **fields: Any,
) -> None:
    """``count`` cases at ``deputy``'s reception office, the i-th made ``since + (i * every) % over`` days
    ago by ``channels`` in turn: the first ``answered`` closed two days on (900 working minutes), the
    rest still assigned; due in 5 days, every fourth in 1 (so some answers came late). ``fields`` go to
    every case, ``each(i)`` to the i-th."""
    now = timezone.now()
    for i in range(count):
        day = now - timedelta(days=since + (i * every) % over)
        done = i < answered
        make_case(
            agency=deputy.office,
            channel=channels[i % len(channels)],
            created_at=day,
            status=CaseStatus.CLOSED if done else CaseStatus.ASSIGNED,
            answered_at=day + timedelta(days=2) if done else None,
            deadline_at=day + timedelta(days=5 if i % 4 else 1),
            answer_working_minutes=900 if done else None,
            with_message=False,
            **fields,
            **(each(i) if each else {}),
        )


def appeal_region() -> Territory:
    """The Saratov region with the Engels district drawn in its south-west corner: the public appeal
    form's map shows the region, and an appeal placed there lands in the district."""
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION, bbox=[46.0, 51.3, 48.0, 52.3])
    make_territory(
        "Энгельсский район", parent=region, geometry=square(46.0, 51.3), bbox=[46.0, 51.3, 46.4, 51.7]
    )
    return region


def photo_file(
    path: Path, *, size: tuple[int, int] = (64, 48), color: Any = (90, 90, 90), exif: Image.Exif | None = None
) -> Path:
    """A small picture to attach to a form, saved at ``path`` (JPEG or PNG by its ending), with the
    camera's ``exif`` tags in it if given."""
    extra = {"exif": exif.tobytes()} if exif is not None else {}
    Image.new("RGB", size, color).save(path, **extra)
    return path


def fill_appeal(page: Any, *, contact: str, text: str, photo: Path, name: str = "Ирина Смирнова") -> None:
    """The public appeal form (open on ``page``) filled in with a photo and the consent ticked."""
    page.fill("#id_name", name)
    page.fill("#id_contact", contact)
    page.fill("#id_text", text)
    page.set_input_files("#id_photo", str(photo))
    page.check("#id_consent")


def send_appeal(page: Any) -> None:
    """Send the filled appeal form and wait for the page it leads to."""
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")


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


def start_and_write_answer(page: Any, text: str) -> Any:
    """On an assigned case's card: start work, open the answer form and write ``text`` into it;
    returns the form, not yet sent (a test may look at it first)."""
    wait_status(page, "assigned")
    page.click('[data-testid="action-start"] button')
    wait_status(page, "in_progress")
    answer = open_action(page, "answer")
    answer.locator("textarea[name=text]").fill(text)
    return answer


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


def wide_then_phone(page: Any, ready: str, shot: Path) -> None:
    """The page shown (at a desk's width) screenshotted as ``shot``.png, then reloaded at a phone's
    width until ``ready`` is there: nothing runs off the screen; screenshotted as ``shot``-phone.png.
    The page is left at the phone's width."""
    page.screenshot(path=str(shot.with_name(shot.name + ".png")), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector(ready)
    fits(page)
    page.screenshot(path=str(shot.with_name(shot.name + "-phone.png")), full_page=True)
