"""A moderator sets up a monitoring query in a real browser: the language's help, the live preview of
what the query picks from the recent posts, saving it with a source scope; on a phone too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.directory.choices import Channel
from otklik.intake.models import Message, MonitoringQuery
from otklik.testing.factories import make_source, make_user
from tests.browser.session import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POSTS = [
    "Третий день нет горячей воды на улице Тельмана, дети не могут помыться",
    "Опять отключили воду без предупреждения, когда дадут?",
    "Огромная яма на дороге у остановки, машины бьют колёса",
    "Продам гараж недорого, звоните",
]


def test_moderator_writes_a_query_sees_what_it_picks_and_saves_it(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    vk = make_source("vk-district", channel=Channel.VK, name="ВКонтакте: паблик района")
    for n, text in enumerate(POSTS):
        Message.objects.create(
            source=vk,
            external_id=str(n),
            channel=Channel.VK,
            text=text,
            posted_at=timezone.now() - timedelta(minutes=n),
        )
    make_user(Role.MODERATOR, username="moder", first_name="Мария", last_name="Модератор")
    base = live_server.url
    log_in(page, base, "moder")
    page.click('nav a[href="/intake/monitoring/"]')
    page.wait_for_selector('[data-testid="monitoring-empty"]')
    page.click('[data-testid="monitoring-new"]')
    page.wait_for_selector('[data-testid="monitoring-help"]')
    assert "любую форму" in page.inner_text('[data-testid="monitoring-help"]')
    page.wait_for_selector('[data-testid="preview-empty"]')  # the preview loads with the page

    page.fill("#id_name", "Вода")
    page.fill("#id_query", "(нет | отключили) & вод")  # typing: the preview follows
    page.fill("#id_query", "(нет | отключили) & (вода")
    page.wait_for_selector('[data-testid="preview-error"]')
    assert "скобка не закрыта" in page.inner_text('[data-testid="preview-error"]')
    page.fill("#id_query", "(нет | отключили) & вода")
    page.wait_for_selector('[data-testid="preview-matched"]')
    assert page.inner_text('[data-testid="preview-matched"]') == "2"
    hits = page.locator('[data-testid="preview-hits"] li')
    assert hits.count() == 2
    assert page.locator('[data-testid="preview-hits"] mark').first.inner_text() in ("нет", "воды")
    page.check(f'input[name="sources"][value="{vk.pk}"]')
    page.screenshot(path=str(screenshots / "monitoring-01-edit-1440.png"), full_page=True)

    page.click('[data-testid="monitoring-save"]')
    page.wait_for_selector('[data-testid="monitoring-list"]')
    query = MonitoringQuery.objects.get()
    assert query.query == "(нет | отключили) & вода" and list(query.sources.all()) == [vk]
    assert "ВКонтакте: паблик района" in page.inner_text('[data-testid="monitoring-list"]')
    page.screenshot(path=str(screenshots / "monitoring-02-list-1440.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.click(f'[data-query="{query.pk}"] a')
    page.wait_for_selector('[data-testid="preview-matched"]')
    assert page.inner_text('[data-testid="preview-matched"]') == "2"
    fits(page)
    page.screenshot(path=str(screenshots / "monitoring-03-edit-390.png"), full_page=True)
