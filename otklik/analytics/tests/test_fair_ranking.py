"""The agency ranking compares like with like: agencies with too few cases for the share are set
apart (marked, not ranked), deputies' reception offices are ranked among themselves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.analytics import kpi
from otklik.analytics.filters import Scope
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import AgencyKind
from otklik.testing.factories import make_agency, make_case

pytestmark = pytest.mark.django_db


def _cases(agency, *, n: int, on_time: int) -> None:
    now = timezone.now()
    for i in range(n):
        make_case(
            agency=agency,
            status=CaseStatus.CLOSED,
            created_at=now - timedelta(days=10),
            answered_at=now - timedelta(days=7),
            deadline_at=now - timedelta(days=6) if i < on_time else now - timedelta(days=8),
            answer_working_minutes=600,
            with_message=False,
        )


def test_too_few_cases_and_reception_offices_are_ranked_apart(settings):
    settings.OTKLIK_KPI_MIN_CASES = 20
    ministry = make_agency("Министерство ЖКХ", kind=AgencyKind.MINISTRY)  # 24 of 30 on time: 80 %
    tiny = make_agency("Комитет по туризму", kind=AgencyKind.MINISTRY)  # 2 of 2: 100 %, on nothing
    town = make_agency("Администрация района", kind=AgencyKind.MUNICIPALITY)  # 18 of 20: 90 %
    office = make_agency("Приёмная депутата Иванова", kind=AgencyKind.DEPUTY)  # 25 of 25: 100 %
    _cases(ministry, n=30, on_time=24)
    _cases(tiny, n=2, on_time=2)
    _cases(town, n=20, on_time=18)
    _cases(office, n=25, on_time=25)
    rebuild_rollups()
    today = timezone.localdate()
    scope = Scope(date_from=today - timedelta(days=30), date_to=today)
    groups = {g.key: g for g in kpi.ranking_groups(scope, order="on_time")}
    agencies, offices = groups["agencies"], groups["offices"]
    assert [k.name for k in agencies.ranked] == ["Администрация района", "Министерство ЖКХ"]
    assert [k.name for k in agencies.too_few] == ["Комитет по туризму"]  # 100 %, but on two cases
    assert [k.name for k in offices.ranked] == ["Приёмная депутата Иванова"]  # not among ministries
    # By cases received no share is involved: nobody is set apart.
    by_received = {g.key: g for g in kpi.ranking_groups(scope, order="received")}
    assert by_received["agencies"].too_few == [] and len(by_received["agencies"].ranked) == 3
    # The flat ranking keeps the same rule: the thin one after everyone with enough cases.
    assert kpi.ranking(scope)[-1].name == "Комитет по туризму"
