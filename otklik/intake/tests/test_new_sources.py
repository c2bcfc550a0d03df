"""What every new source (OK, MAX, Telegram public chats) shares with the old ones, over one seed
each (the connectors' own tests' fakes): keyword monitoring applies to their messages, and bad
credentials show in the source's health check, clearly and without the secret."""

from __future__ import annotations

import json

import pytest

from otklik.intake.fetching import check_health, fetch_source
from otklik.intake.models import Message, MonitoringQuery, Source

from .conftest import NOW
from .test_connectors_max import fake_max, max_source  # noqa: F401 (a fixture)
from .test_connectors_max import seed as seed_max
from .test_connectors_ok import ok, ok_source, seed_group  # noqa: F401 (a fixture)
from .test_monitoring import WATER_QUERY

pytest.importorskip("telethon")
from .test_connectors_telegram_public import seed as seed_tg
from .test_connectors_telegram_public import tg_source, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def make_source(request: pytest.FixtureRequest, kind: str) -> Source:
    if kind == "ok":
        fake = request.getfixturevalue("ok")
        seed_group(fake)
        return ok_source(fake)
    if kind == "max":
        fake = request.getfixturevalue("fake_max")
        seed_max(fake)
        return max_source(fake)
    seed_tg(request.getfixturevalue("world"))
    return tg_source()


@pytest.mark.parametrize("kind", ["ok", "max", "telegram_public"])
def test_monitoring_queries_apply_to_the_new_sources(region, request, kind):
    source = make_source(request, kind)
    query = MonitoringQuery.objects.create(name="Вода и тепло", query=WATER_QUERY)

    assert fetch_source(source, now=NOW).ok

    water = Message.objects.get(source=source, text__startswith="Третий день нет горячей воды")
    [match] = water.case.understanding["monitoring"]["queries"]
    assert match["id"] == query.pk and match["terms"] == ["нет", "вода"]
    pothole = Message.objects.get(source=source, text__startswith="Огромная яма")
    assert not pothole.is_relevant  # active queries keep only what they match, as for VK


@pytest.mark.parametrize(
    ("kind", "env", "said"),
    [
        ("ok", "OTKLIK_TEST_OK_TOKEN", "error 102"),
        ("max", "OTKLIK_TEST_MAX_TOKEN", "401"),
        ("telegram_public", "OTKLIK_TEST_TG_SESSION", "not authorized"),
    ],
)
def test_bad_credentials_show_in_the_health_check_of_the_new_sources(
    region, request, monkeypatch, kind, env, said
):
    source = make_source(request, kind)
    monkeypatch.setenv(env, "a-revoked-secret")

    health = check_health(source, now=NOW)

    assert not health.ok and said in health.detail
    source.refresh_from_db()
    assert source.health["check"]["ok"] is False and said in source.health["check"]["detail"]
    assert "a-revoked-secret" not in json.dumps(source.health)
