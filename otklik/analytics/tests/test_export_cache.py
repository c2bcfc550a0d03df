"""Rendered summaries are served from the database until a day they read changes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from pypdf import PdfReader

from otklik.analytics import export_cache
from otklik.analytics.filters import default_scope
from otklik.analytics.models import RenderedExport, RollupChange, RollupState
from otklik.analytics.rollups import rebuild_rollups, refresh_rollups
from otklik.analytics.summary import Summary
from otklik.analytics.tasks import run_periodic_jobs
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.testing.factories import PASSWORD, make_case

from .conftest import WEEK, at


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the renderings (the real renderers still run)."""
    counts: Counter[str] = Counter()
    for kind, render in list(export_cache.RENDERERS.items()):

        def counted(s: Summary, kind: str = kind, render: Callable[[Summary], bytes] = render) -> bytes:
            counts[kind] += 1
            return render(s)

        monkeypatch.setitem(export_cache.RENDERERS, kind, counted)
    return counts


def _cases_in(xlsx: bytes) -> int:
    sheet = load_workbook(BytesIO(xlsx)).active
    line = str(sheet["A4"].value)
    return int(line.split(";")[0].split(":")[1])


def test_a_summary_is_rendered_once_and_then_served_from_the_cache(
    world: dict[str, Any], renders: Counter[str]
) -> None:
    refresh_rollups(now=at(6, 12))
    first = export_cache.rendered(WEEK, "xlsx")
    assert export_cache.rendered(WEEK, "xlsx") == first
    assert renders["xlsx"] == 1 and _cases_in(first) == 4
    pdf = export_cache.rendered(WEEK, "pdf")
    assert export_cache.rendered(WEEK, "pdf") == pdf and renders["pdf"] == 1
    # Another question (a territory) is another entry; so is another language.
    export_cache.rendered(replace(WEEK, territory=world["balakovo"].pk), "xlsx")
    with translation.override("en"):
        export_cache.rendered(WEEK, "xlsx")
    assert renders["xlsx"] == 3 and RenderedExport.objects.count() == 4


def test_a_change_to_a_day_of_the_period_renders_again(world: dict[str, Any], renders: Counter[str]) -> None:
    refresh_rollups(now=at(6, 12))
    before = export_cache.rendered(WEEK, "xlsx")
    make_case(text="Нет воды в доме", territory=world["engels"], created_at=at(4, 10))
    refresh_rollups(now=at(6, 13))
    after = export_cache.rendered(WEEK, "xlsx")
    assert renders["xlsx"] == 2 and (_cases_in(before), _cases_in(after)) == (4, 5)
    # The old rendering of the same question was replaced, not kept beside the new one.
    assert RenderedExport.objects.count() == 1


def test_a_change_in_the_previous_period_renders_again(world: dict[str, Any], renders: Counter[str]) -> None:
    refresh_rollups(now=at(6, 12))
    export_cache.rendered(WEEK, "xlsx")
    Case.objects.filter(pk=world["before"].pk).update(
        status=CaseStatus.IN_PROGRESS, updated_at=timezone.now()
    )
    refresh_rollups(now=at(6, 13))
    export_cache.rendered(WEEK, "xlsx")
    assert renders["xlsx"] == 2


def test_changes_outside_the_period_keep_the_cached_rendering(
    world: dict[str, Any], renders: Counter[str]
) -> None:
    refresh_rollups(now=at(6, 12))
    export_cache.rendered(WEEK, "xlsx")
    make_case(text="Яма во дворе", territory=world["engels"], created_at=at(20, 10))
    refresh_rollups(now=at(21, 12))
    refresh_rollups(now=at(21, 13))  # nothing changed: a new version, no day stamped
    assert export_cache.rendered(WEEK, "xlsx") and renders["xlsx"] == 1
    later = replace(WEEK, date_from=at(15, 0).date(), date_to=at(21, 0).date())
    export_cache.rendered(later, "xlsx")
    assert renders["xlsx"] == 2


def test_versions_only_grow_and_a_rebuild_drops_the_renderings(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    export_cache.rendered(WEEK, "xlsx")
    stamp = export_cache.stamp(WEEK)
    assert stamp == RollupState.objects.get(name="cases").version >= 1
    rebuild_rollups(now=at(6, 13))
    assert RenderedExport.objects.count() == 0
    assert export_cache.stamp(WEEK) > stamp
    assert set(RollupChange.objects.values_list("day", flat=True)) >= {at(2, 0).date(), at(3, 0).date()}


def test_the_periodic_job_renders_the_default_summaries_ahead(
    world: dict[str, Any], renders: Counter[str]
) -> None:
    now = timezone.now()
    make_case(text="Протекает крыша", territory=world["engels"], created_at=now - timedelta(days=2))
    assert run_periodic_jobs(now=now)["exports_rendered"] == 2
    assert renders == {"pdf": 1, "xlsx": 1}
    assert run_periodic_jobs(now=now)["exports_rendered"] == 0  # cached already
    client = Client()
    assert client.login(username=world["analyst"].username, password=PASSWORD)
    for name in ("analytics:summary-pdf", "analytics:summary-xlsx"):
        assert client.get(reverse(name)).status_code == 200
        scope = default_scope(timezone.localdate(now))
        query = {"date_from": scope.date_from.isoformat(), "date_to": scope.date_to.isoformat()}
        assert client.get(reverse(name), query).status_code == 200
    assert renders == {"pdf": 1, "xlsx": 1}  # every download above came from the cache


def test_old_renderings_are_pruned(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    export_cache.rendered(WEEK, "xlsx")
    assert export_cache.prune(timezone.now()) == 0
    assert export_cache.prune(timezone.now() + export_cache.KEEP + timedelta(minutes=1)) == 1


def test_the_pdf_embeds_one_font_family(world: dict[str, Any]) -> None:
    refresh_rollups(now=at(6, 12))
    pdf = export_cache.rendered(WEEK, "pdf")
    fonts = set()
    for page in PdfReader(BytesIO(pdf)).pages:
        for ref in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(ref.get_object()["/BaseFont"]).split("+")[-1])
    # Every face embedded costs rendering time: the page numbers use the text's family, no serif.
    assert len({f.split("-")[0] for f in fonts}) == 1 and not any("Serif" in f for f in fonts), fonts
