"""The case card names its directory rows from the process's copy (otklik/cases/card.py), not joined to
the case: the same names as before, a changed row shows on the next card, scoping as before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otklik import caching
from otklik.accounts.choices import Role
from otklik.cases import card
from otklik.cases.choices import CaseStatus
from otklik.cases.filters import DIRECTORY
from otklik.cases.models import Case
from otklik.cases.suggestions import QUEUE_FILTER_COOKIE
from otklik.directory.choices import DeadlineUnit, TerritoryKind
from otklik.directory.models import Agency, Category, DeadlinePolicy, Territory
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=region)
    village = make_territory("село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=district)
    utilities = make_category("ЖКХ", code="zhkh")
    water = make_category("Горячая вода", code="hot-water", parent=utilities)
    roads = make_category("Дороги", code="roads")
    agency = make_agency("Водоканал", short_name="МУП «Водоканал»")
    other = make_agency("Минтранс")
    policy = DeadlinePolicy.objects.create(
        name="Соцсети: 8 рабочих часов", amount=8, unit=DeadlineUnit.WORKING_HOURS
    )
    case = make_case(
        status=CaseStatus.IN_PROGRESS,
        agency=agency,
        category=water,
        territory=village,
        suggested_category=roads,
        suggested_territory=district,
        suggested_agency=other,
        deadline_policy=policy,
        deadline_at=timezone.now() + timedelta(days=1),
        text="Нет горячей воды в Квасниковке",
    )
    return {
        "case": case,
        "moderator": make_user(Role.MODERATOR),
        "executor": make_user(Role.EXECUTOR, agency=agency),
        "stranger": make_user(Role.EXECUTOR, agency=other),
    }


def _card(client: Any, user: Any, case: Case) -> str:
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_card_names_its_rows_as_the_joined_case_did(client, world):
    page = _card(client, world["moderator"], world["case"])
    assert 'село Квасниковка <span class="muted">(Энгельсский район)</span>' in page
    assert "ЖКХ / Горячая вода" in page  # the category with its parent's name
    assert "МУП «Водоканал»" in page and "Минтранс" in page  # the agency and the suggested one
    assert "Дороги" in page and "Соцсети: 8 рабочих часов" in page  # the suggestion, the policy


def test_the_card_reads_no_directory_row(client, world):
    _card(client, world["moderator"], world["case"])  # builds the process's copy
    with CaptureQueriesContext(connection) as ctx:
        _card(client, world["moderator"], world["case"])
    queries = [q["sql"] for q in ctx.captured_queries]
    for table in ("directory_category", "directory_agency", "directory_deadlinepolicy"):
        assert not any(f'FROM "{table}"' in sql for sql in queries), table
    case = next(sql for sql in queries if sql.startswith('SELECT "cases_case"."id", "cases_case"."number"'))
    assert "JOIN" not in case  # the case is read alone


@pytest.mark.parametrize(
    ("model", "old", "new"),
    [
        (Category, "Горячая вода", "Горячее водоснабжение"),
        (Territory, "Энгельсский район", "Энгельсский муниципальный район"),
        (Agency, "Минтранс", "Министерство транспорта"),
        (DeadlinePolicy, "Соцсети: 8 рабочих часов", "Соцсети: 6 рабочих часов"),
    ],
    ids=["category", "territory", "agency", "policy"],
)
def test_a_renamed_row_shows_on_the_next_card(client, world, model, old, new):
    assert old in _card(client, world["moderator"], world["case"])
    row = model.objects.get(name=old)
    row.name = new
    row.save()
    page = _card(client, world["moderator"], world["case"])
    assert new in page and old not in page


def test_a_row_added_after_the_copy_was_read_is_named_all_the_same(client, world, monkeypatch):
    _card(client, world["moderator"], world["case"])
    fresh = make_category("Отопление", code="heating")
    # as if the process read the version just before this row was saved: the copy does not hold it
    held = card.directory.get()
    monkeypatch.setattr(card.directory, "get", lambda **_kw: held)
    held.categories.pop(fresh.pk, None)
    Case.objects.filter(pk=world["case"].pk).update(category=fresh)
    assert "Отопление" in _card(client, world["moderator"], world["case"])


def test_a_merged_case_links_the_case_it_was_merged_into(client, world):
    target = make_case(status=CaseStatus.IN_PROGRESS, agency=world["case"].agency)
    merged = make_case(status=CaseStatus.MERGED, merged_into=target)
    page = _card(client, world["moderator"], merged)
    assert f'<a href="/cases/{target.pk}/">{target.number}</a>' in page


def test_scoping_holds(client, world):
    assert "Квасниковка" in _card(client, world["executor"], world["case"])
    client.force_login(world["stranger"])
    assert client.get(reverse("cases:detail", args=[world["case"].pk])).status_code == 404


def test_the_next_case_follows_a_filter_and_without_one_the_whole_tab(client, world):
    case = world["case"]
    other = make_case(status=CaseStatus.IN_PROGRESS, agency=case.agency, category=case.suggested_category)
    client.force_login(world["moderator"])
    client.cookies[QUEUE_FILTER_COOKIE] = "tab=all&sort=newest"
    page = _card(client, world["moderator"], other)  # the newest: the next is the older one
    assert f'href="/cases/{case.pk}/" class="btn" data-shortcut="n"' in page
    client.cookies[QUEUE_FILTER_COOKIE] = f"tab=all&sort=newest&category={case.suggested_category_id}"
    page = _card(client, world["moderator"], other)  # only the roads case is of this category
    assert 'data-testid="next-case"' not in page


def test_the_outline_is_read_once_and_a_changed_one_shows_on_the_next_card(client, world):
    district = Territory.objects.get(name="Энгельсский район")
    district.geometry = {
        "type": "Polygon",
        "coordinates": [[[45.9, 51.5], [46.1, 51.5], [46.1, 51.6], [45.9, 51.5]]],
    }
    district.save()
    _card(client, world["moderator"], world["case"])
    with CaptureQueriesContext(connection) as ctx:
        page = _card(client, world["moderator"], world["case"])
    assert "45.9" in page and not any("geometry" in q["sql"] for q in ctx.captured_queries)
    district.geometry = {
        "type": "Polygon",
        "coordinates": [[[47.25, 52.5], [47.5, 52.5], [47.5, 52.75], [47.25, 52.5]]],
    }
    district.save()
    page = _card(client, world["moderator"], world["case"])
    assert "47.25" in page and "45.9" not in page


def test_the_pipelines_scores_are_named_from_the_directory_and_renamed_at_once(client, world):
    Case.objects.filter(pk=world["case"].pk).update(
        understanding={"decided_by": "model", "scores": {"hot-water": 0.91, "gone": 0.05}}
    )
    _card(client, world["moderator"], world["case"])
    with CaptureQueriesContext(connection) as ctx:
        page = _card(client, world["moderator"], world["case"])
    assert "Горячая вода: 91%" in page and "gone: 5%" in page
    assert not any('FROM "directory_category"' in q["sql"] for q in ctx.captured_queries)
    Category.objects.filter(code="hot-water").update(name="ГВС")  # around the signals …
    caching.bump(DIRECTORY)  # … as the directory's editors do
    assert "ГВС: 91%" in _card(client, world["moderator"], world["case"])


def test_the_card_reads_the_versions_of_its_caches_once(client, world):
    _card(client, world["moderator"], world["case"])
    with CaptureQueriesContext(connection) as ctx:
        _card(client, world["moderator"], world["case"])
    assert sum('FROM "caching_cacheversion"' in q["sql"] for q in ctx.captured_queries) == 1
