from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from otklik.demo.messages import SOURCES_BY_CODE, generate, generate_messages
from otklik.demo.places import ensure_district_centers
from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.directory.regions import load_shipped_region

ITEM_KEYS = {
    "source",
    "external_id",
    "text",
    "channel",
    "posted_at",
    "author_name",
    "author_id",
    "author_contact",
    "url",
    "lat",
    "lon",
}
END = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.get_fixed_timezone(240))
START = END - timedelta(weeks=3)


@pytest.fixture
def region(db) -> Territory:
    region = load_shipped_region("saratov").region
    ensure_district_centers(region)
    return region


def test_same_seed_gives_the_same_items(region):
    first = generate(seed=7, count=400, start=START, end=END, region=region)
    again = generate(seed=7, count=400, start=START, end=END, region=region)
    other = generate(seed=8, count=400, start=START, end=END, region=region)
    assert first == again
    assert first != other


def test_items_follow_the_pipeline_schema(region):
    items = generate(seed=1, count=600, start=START, end=END, region=region)
    assert len(items) == 600
    assert len({(i["source"], i["external_id"]) for i in items}) == 600
    min_lon, min_lat, max_lon, max_lat = region.bbox
    for item in items:
        assert set(item) == ITEM_KEYS
        assert item["source"] in SOURCES_BY_CODE and item["channel"] in Channel.values
        assert SOURCES_BY_CODE[item["source"]].channel == item["channel"]
        assert item["text"].strip() and item["author_id"]
        posted = datetime.fromisoformat(item["posted_at"])
        assert START <= posted < END
        assert (item["lat"] is None) == (item["lon"] is None)
        if item["lat"] is not None:
            assert min_lat <= item["lat"] <= max_lat and min_lon <= item["lon"] <= max_lon
        assert not item["url"] or item["url"].startswith("https://")
    assert [i["posted_at"] for i in items] == sorted(i["posted_at"] for i in items)


def test_messages_mix_channels_spam_duplicates_and_urgent(region):
    messages = generate_messages(seed=3, count=1500, start=START, end=END, region=region)
    channels = Counter(m.item["channel"] for m in messages)
    assert channels.most_common(1)[0][0] == Channel.VK
    assert {
        Channel.TELEGRAM,
        Channel.OK,
        Channel.WEB_FORM,
        Channel.EMAIL,
        Channel.PHONE,
        Channel.OFFICIAL,
    } <= set(channels)
    assert 0.02 < sum(m.is_spam for m in messages) / len(messages) < 0.12
    assert any(m.is_urgent for m in messages)
    per_incident = Counter(m.incident for m in messages if m.incident is not None)
    several = [i for i, n in per_incident.items() if n > 1]
    assert len(several) > 20
    incident = several[0]
    group = [m for m in messages if m.incident == incident]
    assert len({m.place.name for m in group}) == 1 and len({m.problem.key for m in group}) == 1
    assert len({m.item["author_id"] for m in group}) == len(group)
    assert sum(m.item["lat"] is not None for m in messages) > 100


def test_messages_follow_the_daily_rhythm(region):
    messages = generate_messages(seed=5, count=2000, start=START, end=END, region=region)
    hours = Counter(timezone.localtime(m.posted_at).hour for m in messages)
    assert hours[10] + hours[20] > 4 * (hours[3] + hours[4])


def test_places_include_district_centers_and_towns(region):
    messages = generate_messages(seed=11, count=1500, start=START, end=END, region=region)
    names = {m.place.name for m in messages}
    assert {"Саратов", "Энгельс", "Балаково"} <= names
    assert names & {"Балтай", "Дергачи", "Озинки", "Степное", "Турки", "Мокроус", "Ровное"}
