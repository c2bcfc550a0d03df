"""The key screens at 390 px with the demo's real names: the case card, moderation, the answer form, the
supervisors' analytics and KPI pages, a deputy's inbox and card, an observer's station. None is wider
than the phone and no table or box in it scrolls sideways (``no_sideways_scroll``); the screens fixed
in the sweep of 2026-12-06 are checked for how they read too: the summary of problems is one block per
problem with each figure named, the districts' table beside the heat map is no box of its own, and both
stay tables at 1440 px."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.analytics.rollups import refresh_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.demo.deputies import add_appeals, ensure_deputies
from otklik.demo.elections import ensure_election_day
from otklik.demo.users import ensure_demo_users
from otklik.testing.factories import PASSWORD
from tests.browser.session import (
    PHONE,
    WIDE,
    demo_directory,
    demo_messages,
    fits,
    log_in,
    log_out,
    no_sideways_scroll,
    wait_ready,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world() -> dict[str, Any]:
    directory, _matcher = demo_directory()
    now = timezone.now().replace(second=0, microsecond=0)
    demo_messages(directory, seed=7011, count=60, days=6, now=now)
    deputies = ensure_deputies(directory.region)
    users = ensure_demo_users(directory)  # again: the deputy's login now has the deputy's office
    add_appeals(deputies, seed=7011, start=now - timedelta(days=20), end=now, moderator=users["moderator"])
    ensure_election_day(seed=7011, end=now, observer=users["observer"], lawyer=users["lawyer"])
    for user in users.values():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    refresh_rollups()
    water = users["vodokanal"].agency
    deputy = users["deputy"].agency

    def latest(**where: Any) -> str:
        case = Case.objects.filter(**where).order_by("-pk").first()
        assert case is not None, where
        return f"/cases/{case.pk}/"

    return {
        # (who, what, where): every case card opened with its actions unfolded
        "screens": [
            ("moderator", "moderation", "/cases/?tab=moderation"),
            ("moderator", "card-moderation", latest(status=CaseStatus.MODERATION)),
            ("moderator", "card-history", latest(status=CaseStatus.CLOSED)),
            ("vodokanal", "answer-form", latest(agency=water, status=CaseStatus.ASSIGNED)),
            ("supervisor", "heatmap", "/analytics/"),
            ("supervisor", "dynamics", "/analytics/dynamics/"),
            ("supervisor", "kpis", "/analytics/agencies/"),
            ("supervisor", "kpi-agency", f"/analytics/agencies/{water.pk}/"),
            ("supervisor", "summary", "/analytics/summary/"),
            ("deputy", "deputy-inbox", "/cases/"),
            ("deputy", "deputy-card", latest(agency=deputy)),
            ("observer", "observer-station", "/elections/station/"),
        ],
    }


def _look(page: Any, base: str, path: str) -> None:
    page.goto(base + path)
    wait_ready(page)
    if path.startswith("/cases/") and path.rstrip("/").rsplit("/", 1)[-1].isdigit():
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


def test_the_key_screens_fit_a_phone(live_server: Any, page: Any, screenshots: Path) -> None:
    world = _world()
    base, signed_in, wrong = live_server.url, "", []
    page.set_viewport_size(PHONE)
    for who, name, path in world["screens"]:
        if who != signed_in:
            if signed_in:
                log_out(page)
            log_in(page, base, who)
            signed_in = who
        _look(page, base, path)
        page.screenshot(path=str(screenshots / f"phone-sweep-{name}-390.png"), full_page=True)
        for check in (fits, no_sideways_scroll):
            try:
                check(page)
            except AssertionError as error:
                wrong.append(f"{name} ({path}): {error}")
    assert wrong == []


def test_the_summary_and_the_districts_read_on_a_phone_and_stay_tables_when_wide(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    _world()
    base = live_server.url
    log_in(page, base, "supervisor")
    page.set_viewport_size(PHONE)
    _look(page, base, "/analytics/summary/")
    table = page.locator('[data-testid="summary-table"]')
    assert not table.locator("thead").is_visible()
    first = table.locator("tbody tr").first
    labels = first.evaluate(
        "tr => [...tr.children].map(td => getComputedStyle(td, '::before').content.replaceAll('\"', ''))"
    )
    assert labels == [
        "none",
        "Обращения: ",
        "Сообщения: ",
        "Открыто: ",
        "Просрочено: ",
        "Решено: ",
        "Динамика: ",
        "Типичные примеры: ",
    ]
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    first.screenshot(path=str(screenshots / "phone-sweep-summary-row-390.png"))
    _look(page, base, "/analytics/")
    districts = page.locator('[data-testid="territory-table"]')
    side = districts.evaluate("t => getComputedStyle(t.closest('.an-side')).overflowX")
    assert side == "visible"  # the page scrolls, not a box inside it
    no_sideways_scroll(page)

    page.set_viewport_size(WIDE)
    _look(page, base, "/analytics/summary/")
    assert table.locator("thead").is_visible()
    assert table.locator("tbody tr").first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    page.screenshot(path=str(screenshots / "phone-sweep-summary-1440.png"), full_page=False)
    _look(page, base, "/analytics/")
    assert districts.locator("thead").is_visible()
