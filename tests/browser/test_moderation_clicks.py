"""Clicks and seconds a moderator spends on the demo's cases awaiting moderation, before and after
the queue's moderation tools, in a real browser (the figure in docs/benchmarks.md comes from here).

The demo's directory (the Saratov region, its agencies, routing rules, category tree and deadline
policies) is built as ``otklik demo`` builds it; demo messages go through the intake pipeline, and
the cases it leaves waiting for moderation are the work. The demo generator knows the truth behind
each message (its problem's category and its place), so the moderator's decision is known: keep the
pipeline's suggestion where it is right, correct the fields where it is wrong. Both flows must end
with every case decided exactly so.

- **before**: the card for every case — open it from the queue, change what is wrong (a select is
  two clicks: open, pick), save, back to the queue.
- **after**: on each page of the moderation tab, wrong rows are corrected in the row (``j`` to the
  row, ``e``, the changed selects, Enter), unsure right ones accepted in the row (``e``, Enter),
  and the sure right ones accepted in bulk (tick all, accept: only those above their category's
  threshold are taken).

Seconds are the scripted browser's and the server's, not a person's: reading a case is not in
them. Printed, never asserted. ``OTKLIK_BENCH_CASES`` sets the number of cases: 100 for the
benchmark's figure (docs/benchmarks.md), 20 by default so that the suite stays fast.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from otklik.cases import suggestions
from otklik.cases.choices import CaseStatus
from otklik.cases.forms import ModerateForm
from otklik.cases.models import Case
from otklik.cases.routing import route
from otklik.demo.categories import CategoryMatcher
from otklik.directory.models import Territory
from otklik.intake.models import Message
from tests.browser.session import demo_directory, demo_messages, log_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = int(os.environ.get("OTKLIK_BENCH_CASES", "20"))
FIELDS = ("category", "territory", "agency")
QUEUE = "/cases/?tab=moderation"


@dataclass
class Work:
    """A case waiting for moderation and what the moderator must decide for it."""

    case: Case
    expected: dict[str, int | None]  # field → pk the case must end with
    changes: dict[str, str]  # field → the select's value to pick (only where the form's is wrong)
    sure: bool  # bulk acceptance would take the suggestion


@dataclass
class Tally:
    clicks: int = 0
    keys: int = 0
    seconds: float = 0.0
    per_case: list[int] = field(default_factory=list)

    @property
    def actions(self) -> int:
        return self.clicks + self.keys


def _municipal(directory: Any, territory: Territory | None) -> Any:
    node = territory
    while node is not None:
        if node.pk in directory.municipal:
            return directory.municipal[node.pk]
        node = node.parent
    return None


def _work(seed: int, directory: Any, matcher: CategoryMatcher, moderator: Any) -> list[Work]:
    """Demo messages through the pipeline until ``CASES`` real problems wait for moderation; what
    else they opened (spam, cases past the count) is removed so the tab holds exactly the work."""
    messages = demo_messages(directory, seed=seed, count=CASES * 5, days=7)
    truth = {(m.item["source"], m.item["external_id"]): m for m in messages}
    first: dict[int, Any] = {}
    for source, external_id, case_id in Message.objects.filter(
        external_id__in=[k[1] for k in truth], case__status=CaseStatus.MODERATION
    ).values_list("source__code", "external_id", "case_id"):
        message = truth.get((source, external_id))
        if message is not None and (case_id not in first or message.posted_at < first[case_id].posted_at):
            first[case_id] = message
    territories = {t.pk: t for t in Territory.objects.all()}
    work: list[Work] = []
    for case in Case.objects.filter(pk__in=first).order_by("-created_at", "-pk"):
        message = first[case.pk]
        if message.is_spam or message.problem is None or len(work) == CASES:
            continue
        category = matcher.best(message.problem.category) or case.suggested_category
        territory = territories.get(message.place.territory_id) or case.suggested_territory
        if category is None:
            continue
        routed = route(category, territory)
        agency = routed.agency if routed else _municipal(directory, territory)
        expected = {
            "category": category.pk,
            "territory": territory.pk if territory else None,
            "agency": agency.pk if agency else None,
        }
        initial = ModerateForm(case=case, user=moderator).initial
        changes = {
            name: str(expected[name] or "")
            for name in FIELDS
            if (initial.get(name) or None) != expected[name]
        }
        work.append(Work(case, expected, changes, suggestions.bulk_refusal(case) is None))
    keep = {w.case.pk for w in work}
    Case.objects.filter(status__in=(CaseStatus.NEW, CaseStatus.MODERATION)).exclude(pk__in=keep).delete()
    assert len(work) == CASES, f"only {len(work)} demo cases wait for moderation"
    return work


def _rows(page: Any) -> list[str]:
    return page.eval_on_selector_all(
        "table.queue tbody tr[data-case]", "rows => rows.map(r => r.dataset.case)"
    )


def _card_flow(page: Any, base: str, work: list[Work]) -> Tally:
    tally = Tally()
    todo = {w.case.number: w for w in work}
    page.goto(base + QUEUE)
    wait_ready(page)
    started = time.monotonic()
    while todo:
        number = next(n for n in _rows(page) if n in todo)
        item = todo.pop(number)
        clicks = 0
        page.click(f'tr[data-case="{number}"] td.col-num a:not([data-inline-edit])')
        clicks += 1
        page.wait_for_selector('[data-testid="action-moderate"][open]')
        wait_ready(page)
        for name, value in item.changes.items():
            page.select_option(f"#id_moderate_{name}", value)
            clicks += 2  # open the list, pick
        page.click('[data-testid="action-moderate"] button[type=submit]')
        clicks += 1
        page.wait_for_selector('#case-card:not([data-status="moderation"]):not([data-status="new"])')
        page.goto(base + QUEUE)  # the browser's Back to the queue's moderation tab
        clicks += 1
        wait_ready(page)
        tally.clicks += clicks
        tally.per_case.append(clicks)
    tally.seconds = time.monotonic() - started
    return tally


def _row_flow(page: Any, base: str, work: list[Work]) -> Tally:
    tally = Tally()
    todo = {w.case.number: w for w in work}
    page.goto(base + QUEUE)
    wait_ready(page)
    started = time.monotonic()
    while todo:
        rows = _rows(page)
        at = -1  # no current row after a page load
        bulk = False
        for index, number in enumerate(rows):
            item = todo.get(number)
            if item is None:
                continue
            if not item.changes and item.sure:
                bulk = True  # left for the bulk acceptance
                continue
            key = "j" if index > at else "k"
            for _step in range(abs(index - at)):
                page.keyboard.press(key)
                tally.keys += 1
            at = index
            page.keyboard.press("e")
            tally.keys += 1
            focused = f"id_inline{item.case.pk}_category"
            page.wait_for_function(
                f"() => document.activeElement && document.activeElement.id === '{focused}'"
            )
            for name, value in item.changes.items():
                page.select_option(f"#id_inline{item.case.pk}_{name}", value)
                tally.clicks += 2  # open the list, pick (the focus stays in the form)
            page.focus(f"#id_inline{item.case.pk}_agency")
            page.keyboard.press("Enter")
            tally.keys += 1
            page.wait_for_selector(f'tr[data-case="{number}"]:not([data-inline-editor])')
            at = min(index + 1, len(rows) - 1)  # saved: the next row is the current one
            page.wait_for_selector(f'tr.row-current[data-case="{rows[at]}"]')
            del todo[number]
        if bulk:
            page.check('input[data-check-all="case"]')
            page.click('[data-testid="confirm-suggestions"]')
            tally.clicks += 2
            page.wait_for_load_state()
            wait_ready(page)
            for number in list(todo):
                if todo[number].sure and not todo[number].changes:
                    del todo[number]
        elif todo:
            page.goto(base + QUEUE)  # the moderation tab again: the next page of work
            tally.clicks += 1
            wait_ready(page)
    tally.seconds = time.monotonic() - started
    return tally


def _check(work: list[Work]) -> None:
    wrong = []
    for item in work:
        case = Case.objects.get(pk=item.case.pk)
        got = {"category": case.category_id, "territory": case.territory_id, "agency": case.agency_id}
        if got != item.expected or case.status != CaseStatus.ASSIGNED:
            wrong.append((case.number, case.status, got, item.expected))
    assert wrong == [], wrong[:5]


def _say(name: str, tally: Tally, work: list[Work]) -> str:
    per100 = 100 / len(work)
    return (
        f"{name}: {len(work)} cases, {tally.clicks} clicks + {tally.keys} keys = {tally.actions} actions"
        f" ({tally.actions * per100:.0f} per 100 cases), {tally.seconds:.1f} s"
        f" ({tally.seconds * per100:.1f} s per 100 cases)"
    )


def test_moderating_the_demos_cases_costs_fewer_clicks_with_the_queues_tools(
    live_server: Any, page: Any
) -> None:
    directory, matcher = demo_directory()
    from otklik.accounts.models import User

    moderator = User.objects.get(username="moderator")
    before = _work(7001, directory, matcher, moderator)
    log_in(page, live_server.url, "moderator")
    card = _card_flow(page, live_server.url, before)
    _check(before)

    after = _work(7002, directory, matcher, moderator)
    row = _row_flow(page, live_server.url, after)
    _check(after)

    mix = lambda work: (  # noqa: E731
        f"{sum(1 for w in work if w.changes)} to correct, "
        f"{sum(1 for w in work if not w.changes and w.sure)} sure and right, "
        f"{sum(1 for w in work if not w.changes and not w.sure)} unsure and right"
    )
    fields = {
        name: sum(len(w.changes) for w in work) for name, work in (("before", before), ("after", after))
    }
    # every card visit measured 3 clicks + 2 per changed select: the card's cost on the after set
    assert card.per_case == [3 + 2 * len(w.changes) for w in before]
    print()
    print(_say("before (the card)", card, before), "|", mix(before), f"| {fields['before']} selects changed")
    print(
        _say("after (row, bulk, keys)", row, after), "|", mix(after), f"| {fields['after']} selects changed"
    )
    print(f"the card flow on the after set would take {3 * len(after) + 2 * fields['after']} clicks")
    assert row.actions < card.actions
