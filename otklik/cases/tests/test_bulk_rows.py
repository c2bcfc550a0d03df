"""Bulk writes of the pipeline: plain rows (COPY on PostgreSQL) and the indexed routing rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from otklik.cases import bulk
from otklik.cases.actions import EVENT_COLUMNS
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import CaseEvent
from otklik.cases.routing import RuleIndex, _category_chain, best_rule, route
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import RoutingRule
from otklik.testing.factories import make_agency, make_case, make_category, make_rule, make_territory

pytestmark = pytest.mark.django_db


def test_plain_rows_are_stored_as_written() -> None:
    """Text that COPY's format must escape (tabs, new lines, backslashes, \\N), JSON, Cyrillic."""
    case = make_case()
    at = datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=UTC)
    tricky = "Строка\tс табуляцией\nи переводом\r\\N и \\ обратной чертой «ёж»"
    rows = [
        (case.pk, None, EventKind.STATUS_CHANGED, CaseStatus.NEW, CaseStatus.MODERATION, {}, {}, tricky, at),
        (
            case.pk,
            None,
            EventKind.MESSAGE_ATTACHED,
            "",
            "",
            {"quote": 'он сказал "нет"', "path": "C:\\temp"},
            {"messages": [1, 2], "none": None, "ok": True, "share": 0.25},
            "",
            at,
        ),
    ]
    before = set(CaseEvent.objects.values_list("pk", flat=True))
    assert bulk.insert_rows(CaseEvent, EVENT_COLUMNS, rows) == 2
    stored = list(CaseEvent.objects.exclude(pk__in=before).order_by("pk"))
    assert [(e.kind, e.from_status, e.to_status, e.comment, e.created_at) for e in stored] == [
        (EventKind.STATUS_CHANGED, CaseStatus.NEW, CaseStatus.MODERATION, tricky, at),
        (EventKind.MESSAGE_ATTACHED, "", "", "", at),
    ]
    assert stored[1].before == {"quote": 'он сказал "нет"', "path": "C:\\temp"}
    assert stored[1].after == {"messages": [1, 2], "none": None, "ok": True, "share": 0.25}


def test_plain_rows_need_every_column() -> None:
    with pytest.raises(ValueError, match="comment"):
        bulk.insert_rows(CaseEvent, [c for c in EVENT_COLUMNS if c != "comment"], [])


def test_no_rows_is_no_write() -> None:
    assert bulk.insert_rows(CaseEvent, EVENT_COLUMNS, []) == 0


def _route_by_scanning(category, territory, rules: list[RoutingRule]):
    """The candidates as they were found: every rule tested (the reference for the index)."""
    cat_chain = _category_chain(category)
    ter_chain = [t.pk for t in territory.ancestors()] if territory is not None else []
    candidates = [
        r
        for r in rules
        if (r.category_id is None or r.category_id in cat_chain)
        and (r.territory_id is None or r.territory_id in ter_chain)
    ]
    return best_rule(candidates, cat_chain, ter_chain)


def test_indexed_rules_route_like_scanning_every_rule() -> None:
    housing = make_category("ЖКХ")
    heating = make_category("Отопление", parent=housing)
    water = make_category("Водоснабжение", parent=housing)
    roads = make_category("Дороги")
    region = make_territory("Область", kind=TerritoryKind.REGION)
    district = make_territory("Район", parent=region)
    town = make_territory("Город", kind=TerritoryKind.SETTLEMENT, parent=district)
    other = make_territory("Другой район", parent=region)
    a = [make_agency(f"Ведомство {i}") for i in range(6)]
    make_rule(a[0], category=housing)
    make_rule(a[1], category=heating, territory=district)
    make_rule(a[2], category=heating, territory=district, priority=5)
    make_rule(a[3], territory=town)
    make_rule(a[4], is_fallback=True)
    make_rule(a[5], category=roads, territory=other, is_fallback=True)
    rules = list(RoutingRule.objects.select_related("agency"))
    index = RuleIndex(rules)
    for category in (None, housing, heating, water, roads):
        for territory in (None, region, district, town, other):
            expected = _route_by_scanning(category, territory, rules)
            for found in (route(category, territory, rules), index.route(category, territory)):
                assert (found.rule if found else None) == expected, (category, territory)
