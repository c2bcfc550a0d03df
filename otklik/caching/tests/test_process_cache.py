"""A process cache is rebuilt exactly when the version of its data moves, in any process."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from otklik.caching import ProcessCache, bump, versions
from otklik.caching.models import CacheVersion
from otklik.cases import deadlines
from otklik.directory.choices import CalendarDayKind
from otklik.directory.models import CalendarDay

pytestmark = pytest.mark.django_db


def counting_cache(*keys: str, **options: float) -> tuple[ProcessCache[int], list[int]]:
    builds: list[int] = []

    def build() -> int:
        builds.append(len(builds) + 1)
        return len(builds)

    return ProcessCache(*keys, build=build, **options), builds


def test_built_once_then_one_query_a_get_until_its_version_moves() -> None:
    cache, builds = counting_cache("things")
    assert cache.get() == 1
    with CaptureQueriesContext(connection) as queries:
        assert cache.get() == 1
    assert len(queries) == 1 and builds == [1]

    bump("things")
    assert cache.get() == 2
    bump("other")
    assert cache.get() == 2


def test_another_process_change_is_seen_at_the_next_get() -> None:
    cache, _builds = counting_cache("things")
    cache.get()
    CacheVersion.objects.update_or_create(key="things", defaults={"token": "from-a-worker"})
    assert cache.get() == 2
    assert versions(["things", "never"]) == {"things": "from-a-worker", "never": ""}


def test_a_rolled_back_change_never_leaves_a_stale_value() -> None:
    cache, _builds = counting_cache("things")
    bump("things")
    assert cache.get() == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        bump("things")
        assert cache.get() == 2  # built inside the change, under its token
        raise RuntimeError
    assert cache.get() == 3  # the token went back: what was built under the new one is not served


def test_a_costly_value_is_served_stale_for_some_keys_and_refreshed_by_the_job() -> None:
    cache, builds = counting_cache("grew", "shrank", max_stale=3600)
    cache.get()
    bump("grew")
    assert cache.get(stale_ok=["grew"]) == 1  # a request does not wait for the rebuild
    assert cache.refresh() is True and cache.get(stale_ok=["grew"]) == 2
    assert cache.refresh() is False
    bump("shrank")
    assert cache.get(stale_ok=["grew"]) == 3  # not allowed to be stale in that key
    assert builds == [1, 2, 3]


def test_max_age_rebuilds_even_with_the_same_version() -> None:
    cache, _builds = counting_cache("things", max_age=0)
    assert cache.get() == 1
    assert cache.get() == 2
    cache.clear()
    assert cache.peek() is None


def test_the_calendar_follows_a_calendar_day_saved_anywhere() -> None:
    deadlines.calendar_cache.clear()
    first = deadlines.get_calendar()
    assert deadlines.get_calendar() is first
    CalendarDay.objects.create(date=date(2026, 7, 15), kind=CalendarDayKind.HOLIDAY)
    assert deadlines.get_calendar() is not first


def test_every_process_listens_for_the_caches_data_after_setup_alone() -> None:
    """A command or a worker that imports nothing but Django's setup still bumps every cache's version
    when it saves a row the caches are built from: the listeners connect at start-up."""
    import subprocess
    import sys

    code = (
        "import django; django.setup()\n"
        "from django.db.models.signals import post_save\n"
        "uids = [r[0][0] for r in post_save.receivers if isinstance(r[0][0], str)]\n"
        "print(sorted({u.split(':')[1] + ' ' + u.split(':')[2] for u in uids"
        " if u.startswith('otklik.caching:')}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    for key_and_model in (
        "calendar <class 'otklik.directory.models.CalendarDay'>",
        "categories <class 'otklik.directory.models.Category'>",
        "classifier-models understanding.ClassifierModel",
        "monitoring-queries intake.MonitoringQuery",
        "places <class 'otklik.directory.models.Territory'>",
        "places understanding.Institution",
        "places understanding.Street",
        "places understanding.NamedPlace",
        "municipal-outlines directory.Territory",
    ):
        assert key_and_model in out, (key_and_model, out)


def test_caches_read_together_ask_for_their_versions_once() -> None:
    from otklik.caching import read_together

    first, _ = counting_cache("one", "two")
    second, second_builds = counting_cache("three")
    first.get(), second.get()
    with CaptureQueriesContext(connection) as queries, read_together(first, second):
        assert first.get() == 1 and second.get() == 1
        with read_together(second):  # nested, its keys read already: nothing more to ask
            assert second.get() == 1
    assert len(queries) == 1
    with read_together(second):
        bump("three")  # not seen inside the block it was read for …
        assert second.get() == 1
    assert second.get() == 2 and second_builds == [1, 2]  # … but at the next read
    with read_together(first):  # a key not read together is asked for as usual
        assert versions(["three"]) != {"three": ""}
