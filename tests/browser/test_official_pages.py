"""Official pages' responsiveness in a real browser: the center opens the ranking of the
municipalities' pages, a page's unanswered comments, and makes a case of one with a click."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
from otklik.intake.models import Message, OfficialPage, PageAnswer
from otklik.testing.factories import make_agency, make_source, make_territory, make_user
from tests.browser.session import log_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def comment(source: Any, owner: int, n: int, text: str, posted: Any, answered_after: float | None) -> Message:
    message = Message.objects.create(
        source=source,
        external_id=f"wall{owner}_1_r{n}",
        channel=Channel.VK,
        text=text,
        author_name=f"Житель {n}",
        posted_at=posted,
        url=f"https://vk.com/wall{owner}_1?reply={n}",
        is_relevant=False,
        raw={"vk": {"owner_id": owner, "post_id": 1, "comment_id": n}},
    )
    if answered_after is not None:
        page = OfficialPage.objects.get(source=source, ref=str(owner))
        PageAnswer.objects.create(
            page=page, message=message, answered_at=posted + timedelta(hours=answered_after)
        )
    return message


def test_center_ranks_the_pages_and_makes_a_case_of_an_unanswered_comment(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    now = timezone.now()
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=oblast)
    balakovo = make_territory("Балаковский район", parent=oblast)
    source = make_source("vk-pages", channel=Channel.VK, connector="vk")
    engels_page = OfficialPage.objects.create(
        name="Администрация Энгельсского района",
        source=source,
        ref="-1001",
        agency=make_agency("Администрация ЭМР", kind=AgencyKind.MUNICIPALITY),
        territory=engels,
        url="https://vk.com/club1001",
    )
    OfficialPage.objects.create(
        name="Администрация Балаковского района", source=source, ref="-1002", territory=balakovo
    )
    day = now - timedelta(days=2)
    comment(source, -1001, 1, "Третий день нет горячей воды на ул. Тельмана, 5", day, 2)
    comment(source, -1001, 2, "Яма у остановки на проспекте Строителей", day, 30)
    unanswered = comment(source, -1001, 3, "Не вывозят мусор во дворе на улице Мира уже неделю", day, None)
    comment(source, -1002, 4, "Не горят фонари во дворе на Ленина, 7", day, 1)
    make_user(Role.MODERATOR, username="center", first_name="Ольга", last_name="Центр")

    base = live_server.url
    log_in(page, base, "center")
    page.click('nav a[href="/intake/pages/"]')
    wait_ready(page)
    rows = page.locator('[data-testid="pages-ranking"] tbody tr')
    assert rows.count() == 2
    assert "Балаковского" in rows.nth(0).inner_text() and "Энгельсского" in rows.nth(1).inner_text()
    assert rows.nth(1).locator('[data-testid="overdue"]').inner_text() == "1"
    assert rows.nth(1).locator('[data-testid="in-norm"]').inner_text() == "33"
    head = page.locator('[data-testid="pages-ranking"] thead').inner_text()
    assert "Отвечено, %" in head and "В норму, %" in head  # the "%" headers are translated too
    current = page.locator('nav.mainnav a[aria-current="page"]')
    assert current.count() == 1 and current.get_attribute("href") == "/intake/pages/"
    check = page.locator('[data-testid="pages-filter"] input[name="all"]').bounding_box()
    show = page.locator('[data-testid="pages-filter"] button[type="submit"]').bounding_box()
    assert check is not None and show is not None and check["x"] + check["width"] < show["x"]
    page.screenshot(path=str(screenshots / "official-pages-01-ranking-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    overdue = rows.nth(1).locator('[data-testid="overdue"]').bounding_box()
    frame = page.locator('[data-testid="pages-ranking"]').locator("xpath=..").bounding_box()
    assert overdue and frame and overdue["x"] + overdue["width"] <= frame["x"] + frame["width"]  # no scroll
    page.screenshot(path=str(screenshots / "official-pages-02-ranking-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    rows.nth(1).locator("a").first.click()
    wait_ready(page)
    listed = page.locator('[data-testid="unanswered"] tbody tr')
    assert listed.count() == 1 and "Не вывозят мусор" in listed.inner_text()
    page.screenshot(path=str(screenshots / "official-pages-03-page-1440.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    figures = page.locator('[data-testid="page-figures"] td').last.bounding_box()
    frame = page.locator('[data-testid="page-figures"]').locator("xpath=..").bounding_box()
    assert figures and frame and figures["x"] + figures["width"] <= frame["x"] + frame["width"]
    button = listed.locator('[data-testid="make-case"]').bounding_box()
    assert button is not None and button["x"] + button["width"] <= 390
    page.screenshot(path=str(screenshots / "official-pages-04-page-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    listed.locator('[data-testid="make-case"]').click()
    wait_ready(page)
    unanswered.refresh_from_db()
    assert unanswered.case is not None
    assert f"/cases/{unanswered.case.pk}/" in page.url
    assert unanswered.case.suggested_territory == engels
    page.screenshot(path=str(screenshots / "official-pages-05-case-1440.png"), full_page=True)
    assert engels_page.pk
