"""Finding cases as the staff do, in a real browser: a moderator searches the queue by a word in any
of its forms (ё = е); a call-center operator, signed in with that role, finds a caller by phone and
by name and sees the caller's earlier cases above the call form. At 1440 and 390 px."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.intake.models import Message
from otklik.testing.factories import make_case, make_source, make_user
from tests.browser.session import fits, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def queue_numbers(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("tr[data-case]", "rows => rows.map(r => r.dataset.case)"))


def search_queue(page: Any, words: str, expected: set[str]) -> None:
    page.fill("#id_q", words)  # HTMX: the table follows the typing, the URL is pushed
    page.wait_for_url("**q=**")
    page.wait_for_function(
        "want => document.querySelector('.htmx-request') === null"
        " && [...document.querySelectorAll('tr[data-case]')].map(r => r.dataset.case).sort().join() === want",
        arg=",".join(sorted(expected)),
    )
    assert queue_numbers(page) == expected, words


def test_a_moderator_finds_cases_by_any_form_of_a_word(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    now = timezone.now()
    written = {
        "heating": "Нет отопления в доме 5 на улице Мира, батареи холодные",
        "heating2": "Отопление отключили во всём подъезде на Тельмана",
        "heating3": "Когда дадут отоплением тепло в школу № 3?",
        "tree": "Ёлку на площади так и не убрали после праздников",
        "pipe": "Прорвало трубу, вода стоит в подвале",
    }
    cases = {
        key: make_case(text=text, status=CaseStatus.MODERATION, created_at=now - timedelta(hours=n))
        for n, (key, text) in enumerate(written.items())
    }
    heating = {cases[k].number for k in ("heating", "heating2", "heating3")}
    log_in(page, live_server.url, make_user(Role.MODERATOR, username="moderator-search").username)
    page.goto(f"{live_server.url}/cases/?tab=all")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 5")

    search_queue(page, "отопление", heating)
    page.screenshot(path=str(screenshots / "search-01-otoplenie.png"), full_page=True)
    search_queue(page, "отопления", heating)  # another form: the same cases
    page.screenshot(path=str(screenshots / "search-02-otopleniya.png"), full_page=True)
    search_queue(page, "елка", {cases["tree"].number})  # ё = е, either way round
    search_queue(page, "ЁЛКИ", {cases["tree"].number})
    search_queue(page, "трубы подвал", {cases["pipe"].number})  # every word must match
    search_queue(page, cases["pipe"].number, {cases["pipe"].number})  # the number still finds it

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/cases/?tab=all&q=отопления")
    page.wait_for_function("() => document.querySelectorAll('tr[data-case]').length === 3")
    assert queue_numbers(page) == heating
    page.click('[data-testid="queue-filters-box"] summary')  # folded on a phone: open, the query shows
    assert page.input_value("#id_q") == "отопления"
    fits(page)
    page.screenshot(path=str(screenshots / "search-03-phone.png"), full_page=True)


def call(case: Case, *, phone: str, name: str, operator: str) -> None:
    """The message of a call the operator registered (as the call form stores it)."""
    Message.objects.create(
        source=make_source("call-center", channel=Channel.PHONE),
        external_id=f"call-{uuid.uuid4().hex}",
        channel=Channel.PHONE,
        case=case,
        text=case.text,
        author_id=f"tel:{phone}",
        author_name=name,
        author_contact=phone,
        posted_at=case.created_at,
        raw={"call": {"operator": operator}},
    )


def find_caller(page: Any, query: str) -> None:
    page.fill("#id_caller", query)
    with page.expect_navigation():
        page.click(".caller-lookup button[type=submit]")
    page.wait_for_selector("table.caller-cases")


def test_a_call_center_operator_finds_the_callers_earlier_cases(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    now = timezone.now()
    operator = make_user(Role.CALL_OPERATOR, username="operator-calls")
    older = make_case(
        text="Нет горячей воды в доме 12 на улице Ленина",
        status=CaseStatus.PUBLISHED,
        created_at=now - timedelta(days=40),
        with_message=False,
    )
    newer = make_case(
        text="Опять нет горячей воды, дом 12 на Ленина",
        status=CaseStatus.ASSIGNED,
        created_at=now - timedelta(days=2),
        with_message=False,
    )
    namesake = make_case(
        text="Яма у подъезда на Вольской", status=CaseStatus.MODERATION, created_at=now, with_message=False
    )
    stranger = make_case(text="Не горит фонарь", created_at=now, with_message=False)
    call(older, phone="79275551234", name="Пётр Семёнов", operator=operator.username)
    call(newer, phone="89275551234", name="Петр Семенов", operator=operator.username)
    call(namesake, phone="79270000001", name="Семёнов Пётр Ильич", operator=operator.username)
    call(stranger, phone="79275551234", name="Пётр Семёнов", operator="someone-else")  # not theirs

    log_in(page, live_server.url, operator.username)  # the role's home is the call form
    page.wait_for_selector("#id_caller")
    find_caller(page, "+7 (927) 555-12-34")
    rows = page.locator("table.caller-cases tbody tr")
    assert rows.count() == 2  # both phone forms, newest first; another operator's call stays hidden
    assert newer.number in rows.nth(0).inner_text() and older.number in rows.nth(1).inner_text()
    assert "этого телефона" in page.inner_text("table.caller-cases caption")
    assert page.input_value("#id_phone") == "+7 (927) 555-12-34"  # the form is filled for the new call
    page.screenshot(path=str(screenshots / "callers-01-by-phone.png"), full_page=True)

    find_caller(page, "петр семенов")  # ё = е, any case
    assert {newer.number, older.number} == {
        t.split()[0] for t in page.locator("table.caller-cases tbody tr").all_inner_texts()
    }
    find_caller(page, "Семёнов")
    assert page.locator("table.caller-cases tbody tr").count() == 3  # the namesake too
    assert "с этим именем" in page.inner_text("table.caller-cases caption")
    page.screenshot(path=str(screenshots / "callers-02-by-name.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/callcenter/?caller=8 927 555 12 34")
    page.wait_for_selector("table.caller-cases")
    assert page.locator("table.caller-cases tbody tr").count() == 2
    fits(page)
    page.screenshot(path=str(screenshots / "callers-03-phone.png"), full_page=True)
    log_out(page)
