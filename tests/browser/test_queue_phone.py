"""The operators' queue on a phone (390 px) and on a wide screen (1440 px), as a moderator and as an
agency's executor, with the demo's real names: on the phone every row is a card whose cells carry
their column's Russian name and nothing scrolls sideways, the status included; at 1440 px the table
is the table it was (its head shown, no cell labelled, nothing behind its right edge)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.testing.factories import make_user
from tests.browser.session import demo_directory, demo_messages, fits, log_in, no_sideways_scroll, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABELS = [
    "№",
    "Обращение",
    "Категория",
    "Территория",
    "Исполнитель",
    "Канал",
    "Статус",
    "Сообщения / авторы",
    "Срок",
    "Поступило",
]

# Per row: each cell's label as the phone shows it (its ::before), whether the cell is displayed and
# lies inside the screen, and whether the row is a table's row or a card.
CELLS = """(width) => [...document.querySelectorAll('table.queue tbody tr[data-case]')].map(tr => ({
  number: tr.dataset.case,
  display: getComputedStyle(tr).display,
  cells: [...tr.children].map(td => ({
    label: getComputedStyle(td, '::before').content,
    shown: td.getBoundingClientRect().height > 0,
    inside: td.getBoundingClientRect().left >= 0 && td.getBoundingClientRect().right <= width + 1,
  })),
  status: (() => { const b = tr.querySelector('.col-status .badge').getBoundingClientRect();
                   return b.left >= 0 && b.right <= width + 1 && b.width > 0; })(),
}))"""


def _queue(live_server: Any, page: Any, screenshots: Path, username: str) -> None:
    base = live_server.url
    log_in(page, base, username)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/cases/?tab=all")
    wait_ready(page)
    page.screenshot(path=str(screenshots / f"queue-phone-{username}-1440.png"), full_page=False)
    fits(page)
    assert page.locator("table.queue thead").is_visible()
    rows = page.evaluate(CELLS, 1440)
    assert rows, "the queue shows cases"
    for row in rows:
        assert row["display"] == "table-row"
        assert {cell["label"] for cell in row["cells"]} == {"none"}  # no labels on the wide table
    wrap = "document.querySelector('.table-wrap')"
    scroll, client = page.evaluate(f"[{wrap}.scrollWidth, {wrap}.clientWidth]")
    assert scroll <= client + 1

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    wait_ready(page)
    page.screenshot(path=str(screenshots / f"queue-phone-{username}-390.png"), full_page=False)
    fits(page)
    no_sideways_scroll(page)
    assert not page.locator("table.queue thead").is_visible()
    for row in page.evaluate(CELLS, 390):
        assert row["display"] == "grid", row["number"]
        assert [cell["label"].strip('"') for cell in row["cells"]] == LABELS, row["number"]
        assert all(cell["shown"] and cell["inside"] for cell in row["cells"]), row
        assert row["status"], row["number"]
    for kind, selector in (("late", "tr.row-late"), ("pick", "tr:has(.bulk-pick)")):
        rows = page.locator(f"table.queue tbody {selector}")
        if rows.count():
            rows.first.screenshot(path=str(screenshots / f"queue-phone-{username}-390-{kind}.png"))


@pytest.fixture
def demo_cases() -> Any:
    directory, _matcher = demo_directory()
    demo_messages(directory, seed=7005, count=80, days=3)
    return directory


def test_the_moderators_queue_is_cards_on_a_phone(
    live_server: Any, page: Any, screenshots: Path, demo_cases: Any
) -> None:
    _queue(live_server, page, screenshots, "moderator")


def test_the_executors_queue_is_cards_on_a_phone(
    live_server: Any, page: Any, screenshots: Path, demo_cases: Any
) -> None:
    busiest = Counter(Case.objects.exclude(agency=None).values_list("agency", flat=True)).most_common(1)
    assert busiest, "the pipeline routed cases to an agency"
    agency = Case.objects.filter(agency_id=busiest[0][0]).first().agency
    make_user(
        Role.EXECUTOR, agency=agency, username="executor-phone", first_name="Ирина", last_name="Исполнителева"
    )
    _queue(live_server, page, screenshots, "executor-phone")
