"""How exactly the public side shows where a problem is (docs/decisions/0008-public-points.md):
a registry's point to the building, a pin to the block, a town-level case on the town's point
marked as such, the address without flat numbers — on the map and in Open311 alike."""

from __future__ import annotations

import pytest

from otklik.cases.choices import CaseStatus
from otklik.directory.models import Category
from otklik.public import open311, problems
from otklik.public.places import public_point
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        ("building", (51.4832, 46.105, False)),
        ("street", (51.4832, 46.105, False)),
        ("institution", (51.4832, 46.105, False)),
        ("point", (51.483, 46.105, False)),  # a pin: the block, not the door
        ("", (51.483, 46.105, False)),  # a point of unknown origin is treated as a pin
        (None, (51.483, 46.105, False)),
        ("settlement", (51.483217, 46.104988, True)),  # the town's own point, marked
        ("district", (51.483217, 46.104988, True)),
    ],
)
def test_a_point_is_shown_as_exactly_as_its_precision_allows(precision, expected):
    shown = public_point(51.483217, 46.104988, precision)
    assert shown is not None and (shown.lat, shown.lon, shown.town) == expected


def test_no_point_without_coordinates():
    assert public_point(None, 46.1, "building") is None


def test_the_map_and_open311_agree_and_keep_flats_out(region):
    heating = Category.objects.get(code="housing-heating")
    pinned = make_case(
        status=CaseStatus.ASSIGNED,
        category=heating,
        territory=region["engels"],
        address="ул. Тельмана, 12, кв. 45",
        lat=51.476543,
        lon=46.132109,
        understanding={"place": {"precision": "point"}},
    )
    town = make_case(
        status=CaseStatus.ASSIGNED,
        category=heating,
        territory=region["engels"],
        lat=51.5,
        lon=46.12,
        understanding={"place": {"precision": "settlement"}},
    )
    points = {p["id"]: p for p in problems.problem_map(problems.MapFilter()).points}
    assert points[pinned.number] == {
        "id": pinned.number,
        "lat": 51.477,
        "lon": 46.132,
        "closed": False,
        "town": False,
    }
    assert points[town.number]["town"] is True and points[town.number]["lat"] == 51.5
    row = open311.request_row(open311.find_request(pinned.number))
    assert (row["lat"], row["long"]) == (51.477, 46.132)
    assert "45" not in row["address"] and "Тельмана, 12" in row["address"]
