"""From a figure to its cases: an analytics scope as the one case filter's parameters
(otklik.cases.filters.CaseFilter), counting cases as the filter matches them — by the decided
category and territory or, while none is decided, the suggested ones."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics import heatmap
from otklik.analytics.filters import Scope
from otklik.analytics.rollups import refresh_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.filters import CaseFilter
from otklik.cases.models import Case
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


def test_an_analytics_scope_drills_down_to_the_cases_it_counts(client):
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=region)
    village = make_territory("Шумейка", kind=TerritoryKind.SETTLEMENT, parent=district)
    other = make_territory("Балаковский район", parent=region)
    housing = make_category("ЖКХ")
    heating = make_category("Отопление", parent=housing)
    roads = make_category("Дороги")
    water = make_agency("Водоканал")
    waiting = make_case(status=CaseStatus.MODERATION, suggested_category=heating, suggested_territory=village)
    decided = make_case(status=CaseStatus.IN_PROGRESS, category=housing, territory=district, agency=water)
    make_case(
        status=CaseStatus.ASSIGNED,
        category=roads,
        territory=other,
        agency=water,
        suggested_category=heating,
        suggested_territory=village,
    )
    refresh_rollups()
    client.force_login(make_user(Role.MODERATOR))
    today = timezone.localdate()

    def queue(scope: Scope) -> set[str]:
        assert CaseFilter(scope.case_params(), Case.objects.all()).is_valid()
        response = client.get(reverse("cases:queue"), {"tab": "all", **scope.case_params()})
        return {case.number for case in response.context["cases"]}

    by_district = Scope(date_from=today - timedelta(days=1), date_to=today, territory=district.pk)
    counted = {v.id: v.cases for v in heatmap.territory_values(by_district)}
    assert counted[district.pk] == len(queue(by_district)) == 2  # the waiting case counts where suggested
    assert heatmap.unplaced(by_district) == 0
    by_category = Scope(date_from=today - timedelta(days=1), date_to=today, category=housing.pk)
    assert queue(by_category) == {waiting.number, decided.number}


def test_scope_params_name_only_filters_the_case_filter_has():
    scope = Scope(date(2026, 1, 1), date(2026, 1, 31), territory=1, category=2, subcategory=3, channel="vk")
    assert set(scope.case_params()) <= set(CaseFilter.base_filters)
