"""The demo at street level: a synthetic address layer loaded through the address registry, messages
naming its addresses as residents do, the place stage resolving them to building points, and the
public map and Open311 showing those points by the rule of decision 0008."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from shapely.geometry import Point, shape

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.demo.addresses import COMMON_STREETS, SOURCE, ensure_demo_addresses, town_streets
from otklik.demo.places import ensure_district_centers, region_places
from otklik.demo.run import demo_messages
from otklik.directory.models import Territory
from otklik.directory.regions import load_shipped_region
from otklik.public import open311, problems
from otklik.public.places import REGISTRY
from otklik.understanding.models import Building, Street


@pytest.mark.django_db
def test_the_demo_region_gets_a_synthetic_street_layer_through_the_registry():
    region = load_shipped_region("saratov").region
    ensure_district_centers(region)
    first = ensure_demo_addresses(region)
    places = region_places(region)
    assert len(first.created) == Building.objects.filter(street__region=region).count() > 5000
    streets = Street.objects.filter(region=region)
    assert streets.count() == streets.filter(source=SOURCE).count()
    assert set(streets.values_list("settlement", flat=True)) == {p.name for p in places}
    assert {f"{s.kind} {s.name}" for s in streets} <= {n.replace("ё", "е") for n in COMMON_STREETS}
    # a bigger town has more streets; every building lies in its town's district polygon
    saratov = next(p for p in places if p.name == "Саратов")
    baltay = next(p for p in places if p.name == "Балтай")
    assert len(town_streets(saratov)) > len(town_streets(baltay)) >= 4
    assert not Building.objects.filter(street__region=region, territory=None).exists()
    by_name = {p.name: p for p in places}
    buildings = Building.objects.filter(street__region=region).select_related("street", "territory")
    for building in buildings[::97]:
        place = by_name[building.street.settlement]
        district = Territory.objects.get(parent=region, name=place.municipality_name)
        assert building.territory == district
        assert shape(district.geometry).contains(Point(building.lon, building.lat))
    # loading it again changes nothing
    again = ensure_demo_addresses(region)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, len(first.created))


@pytest.mark.django_db
def test_the_demos_cases_sit_on_buildings_and_go_public_to_the_building():
    call_command("demo", messages=400, weeks=2, seed=7, stdout=StringIO())
    # the residents' messages (appeals to deputies never reach the public side: decision 0007)
    generated = demo_messages().values_list("case_id", flat=True)
    cases = list(Case.objects.filter(pk__in=generated).exclude(status=CaseStatus.MERGED).exclude(lat=None))
    precision = Counter(c.understanding.get("place", {}).get("precision", "none") for c in cases)
    at_building = precision["building"] + precision["house"]
    at_own_point = at_building + precision["street"] + precision["point"]
    # Placed by the address the resident wrote, not by the town (seed 7: 132 of 279 at a building,
    # 224 at their own point; the rest are problems of a whole town — a clinic, a bus route)
    assert at_building >= 0.35 * len(cases) and at_own_point >= 0.7 * len(cases), precision
    # a building point is the building of the street the case's address names, in the case's town
    for case in cases:
        if case.understanding["place"]["precision"] == "building":
            assert case.address
            street, _, _house = case.address.partition(", ")
            kind, name = street.split(" ", 1)
            assert Building.objects.filter(
                street__kind=kind, street__name=name.replace("ё", "е"), lat=case.lat, lon=case.lon
            ).exists(), case.address

    public = {p["id"]: p for p in problems.problem_map(problems.MapFilter()).points}
    assert public
    spread = {(p["lat"], p["lon"]) for p in public.values() if not p["town"]}
    towns = {(p["lat"], p["lon"]) for p in public.values() if p["town"]}
    assert len(spread) >= 0.5 * len(public) and len(spread) > 5 * len(towns)
    shown = Case.objects.filter(number__in=list(public))
    for case in shown:
        point = public[case.number]
        kind = case.understanding["place"]["precision"]
        digits = 4 if kind in REGISTRY else 3 if kind == "point" else None
        if digits is not None:  # the building to ≈ 11 m, a pin to the block: decision 0008
            assert (point["lat"], point["lon"]) == (round(case.lat, digits), round(case.lon, digits))
            assert point["town"] is False
        else:
            assert point["town"] is True
    # Open311 gives the same point and an address without flats for each public case
    for case in shown.filter(number__in=list(public)[:40]):
        row = open311.request_row(open311.find_request(case.number))
        assert (row["lat"], row["long"]) == (public[case.number]["lat"], public[case.number]["lon"])
        assert "кв" not in row["address"]
