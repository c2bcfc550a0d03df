"""The current routing practice read from the latest routed cases (``routing_practice``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.testing.factories import make_agency, make_case, make_category
from otklik.understanding.routing_practice import current_practice, latest_routed, practice_shares


def test_practice_shares_are_smoothed_and_keep_to_the_candidates() -> None:
    shares = practice_shares([1, 1, 1, 2, 3], [1, 2], smoothing=0.5)
    assert shares == {1: 3.5 / 5, 2: 1.5 / 5}  # agency 3 is no candidate: left out
    assert practice_shares([], [1, 2]) == {1: 0.5, 2: 0.5}
    assert practice_shares([1], []) == {}


@pytest.mark.django_db
def test_the_practice_follows_the_latest_routed_cases_of_the_category() -> None:
    roads = make_category("Дороги", code="roads")
    water = make_category("Вода", code="water")
    admin = make_agency("Администрация города Курска")
    committee = make_agency("Комитет дорожного хозяйства города Курска")
    housing = make_agency("Комитет ЖКХ города Курска")
    start = timezone.now() - timedelta(days=30)
    # the administration took the road cases first, then the committee did
    for day in range(12):
        make_case(category=roads, agency=admin, text="Яма на дороге", created_at=start + timedelta(days=day))
    for day in range(12, 24):
        make_case(
            category=roads, agency=committee, text="Яма на дороге", created_at=start + timedelta(days=day)
        )
    for day in range(24):
        make_case(
            category=water, agency=housing, text="Нет воды", created_at=start + timedelta(days=day, hours=1)
        )
    make_case(category=roads, text="Разбитый асфальт")  # not routed yet: no decision

    assert latest_routed(3, category_id=roads.pk) == [committee.pk] * 3
    now = current_practice(roads.pk, [admin.pk, committee.pk], k=10)
    assert now[committee.pk] > 0.9 > now[admin.pk]
    then = current_practice(roads.pk, [admin.pk, committee.pk], k=10, before=start + timedelta(days=11))
    assert then[admin.pk] > 0.9 > then[committee.pk]
    # a category with too few routed cases reads the practice of all of them
    lighting = make_category("Освещение", code="lighting")
    make_case(category=lighting, agency=admin, text="Не горит фонарь")
    overall = current_practice(lighting.pk, [admin.pk, committee.pk, housing.pk], k=4)
    assert max(overall, key=overall.__getitem__) in {committee.pk, housing.pk}
