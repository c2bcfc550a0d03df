"""Monitoring queries set up where moderators work: the pages, the live preview, the scopes (sources,
territories) in the pipeline, the admin and the demo's queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.intake.models import Message, MonitoringQuery
from otklik.intake.monitoring import active_scanner
from otklik.intake.monitoring_preview import excerpt, preview
from otklik.intake.pipeline import run_batch
from otklik.testing.factories import make_agency, make_source, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _post(source, external_id: str, text: str, minutes: int = 0) -> Message:
    return Message.objects.create(
        source=source,
        external_id=external_id,
        channel=source.channel,
        text=text,
        posted_at=timezone.now() - timedelta(minutes=minutes),
    )


def test_only_the_center_reaches_the_pages(client) -> None:
    executor = make_user(Role.EXECUTOR, agency=make_agency())
    client.force_login(executor)
    assert client.get("/intake/monitoring/").status_code == 403
    assert client.post("/intake/monitoring/preview/", {"query": "вода"}).status_code == 403
    for role in (Role.MODERATOR, Role.SUPERVISOR):
        client.force_login(make_user(role))
        page = client.get("/intake/monitoring/")
        assert page.status_code == 200
        assert "Мониторинг" in page.content.decode()


def test_moderator_creates_a_query_with_its_scopes_and_sees_a_russian_error(client, region) -> None:
    client.force_login(make_user(Role.MODERATOR))
    form = client.get("/intake/monitoring/new/").content.decode()
    assert "Язык запросов" in form and "любую форму" in form
    bad = client.post("/intake/monitoring/new/", {"name": "Вода", "query": "(нет | вода"})
    assert bad.status_code == 400 and "скобка не закрыта" in bad.content.decode()
    engels = region["engels_district"]
    response = client.post(
        "/intake/monitoring/new/",
        {
            "name": "Вода",
            "query": "(нет | отключили) & вода",
            "is_active": "on",
            "sources": [region["source"].pk],
            "territories": [engels.pk],
        },
    )
    assert response.status_code == 302
    query = MonitoringQuery.objects.get()
    assert list(query.sources.all()) == [region["source"]] and list(query.territories.all()) == [engels]
    listed = client.get("/intake/monitoring/").content.decode()
    assert "Вода" in listed and "Энгельсский район" in listed
    edited = client.post(
        f"/intake/monitoring/{query.pk}/",
        {"name": "Вода и тепло", "query": "вода | отопление", "is_active": "on"},
    )
    assert edited.status_code == 302
    query.refresh_from_db()
    assert query.query == "вода | отопление" and not query.sources.exists() and not query.territories.exists()


def test_preview_counts_the_recent_posts_that_match_and_marks_the_words(client, region) -> None:
    vk = region["source"]
    telegram = make_source("tg-city", channel=Channel.TELEGRAM)
    form = make_source("site-form", channel=Channel.WEB_FORM)
    _post(vk, "1", "Третий день нет горячей воды в Энгельсе", minutes=1)
    _post(vk, "2", "Яма на дороге у остановки", minutes=2)
    _post(telegram, "3", "Опять отключили воду без предупреждения", minutes=3)
    _post(form, "4", "Нет воды в доме", minutes=4)  # written to the center: never filtered
    found = preview("(нет | отключили) & вода")
    assert (found.checked, found.matched) == (3, 2)
    assert [h.message_id for h in found.hits] == [
        Message.objects.get(external_id="1").pk,
        Message.objects.get(external_id="3").pk,
    ]
    marked = [s.text for s in found.hits[0].segments if s.hit]
    assert marked == ["нет", "воды"]
    only_vk = preview("(нет | отключили) & вода", sources=[vk.pk])
    assert (only_vk.checked, only_vk.matched) == (2, 1)
    assert preview("вода", last=1).checked == 1

    client.force_login(make_user(Role.MODERATOR))
    page = client.post("/intake/monitoring/preview/", {"query": "(нет | отключили) & вода", "last": 500})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="preview-matched">2<' in html
    assert "<mark>воды</mark>" in html
    broken = client.post("/intake/monitoring/preview/", {"query": "вода & (нет"}).content.decode()
    assert "скобка не закрыта" in broken


def test_preview_scoped_to_a_territory_counts_only_posts_placed_there(region) -> None:
    vk = region["source"]
    _post(vk, "1", "Нет воды в Энгельсе третий день", minutes=1)
    _post(vk, "2", "Нет воды в Балаковском районе", minutes=2)
    _post(vk, "3", "Нет воды, где — не скажу", minutes=3)
    found = preview("вода", territories=[region["engels_district"].pk])
    assert (found.checked, found.matched, found.out_of_place) == (3, 1, 2)
    assert found.hits[0].place == "Энгельс"


def test_excerpt_cuts_long_texts_around_the_first_match() -> None:
    text = "слово " * 200 + "вода " + "хвост " * 200
    segments = excerpt(text, ["вода"], size=120)
    assert segments[0].text == "…" and segments[-1].text == "…"
    assert [s.text for s in segments if s.hit] == ["вода"]
    assert sum(len(s.text) for s in segments) <= 124


def test_pipeline_honours_a_query_s_sources(region) -> None:
    other = make_source("ok-balakovo", channel=Channel.OK)
    query = MonitoringQuery.objects.create(name="Вода", query="вода")
    query.sources.add(other)
    base = {"posted_at": "2026-03-02T09:15:00+04:00", "text": "Нет воды на улице Тельмана в Энгельсе"}
    result = run_batch([{**base, "source": "vk-engels", "external_id": "1"}], now=NOW)
    assert (result.created_cases, result.irrelevant) == (0, 1)  # the query watches another source
    result = run_batch([{**base, "source": "ok-balakovo", "external_id": "2"}], now=NOW)
    assert result.created_cases == 1


def test_pipeline_honours_a_query_s_territories(region) -> None:
    query = MonitoringQuery.objects.create(name="Вода в Энгельсском районе", query="вода")
    query.territories.add(region["engels_district"])  # the town of Engels is inside it
    base = {"source": "vk-engels", "posted_at": "2026-03-02T09:15:00+04:00"}
    items = [
        {**base, "external_id": "1", "text": "Нет воды на улице Тельмана в Энгельсе"},
        {**base, "external_id": "2", "text": "Нет воды в Балаковском районе третий день"},
    ]
    result = run_batch(items, now=NOW)
    assert (result.created_cases, result.irrelevant) == (1, 1)
    assert Case.objects.get().messages.get().external_id == "1"
    assert not Message.objects.get(external_id="2").is_relevant


def test_a_change_of_scope_alone_reaches_the_compiled_queries(region) -> None:
    query = MonitoringQuery.objects.create(name="Вода", query="вода")
    assert active_scanner().queries[0].territories == frozenset()
    query.territories.add(region["engels_district"])
    assert active_scanner().queries[0].territories == {region["engels_district"].pk}


def test_admin_lists_and_edits_monitoring_queries(client) -> None:
    admin = make_user(Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get("/admin/intake/monitoringquery/").status_code == 200
    assert client.get("/admin/intake/monitoringquery/add/").status_code == 200
