"""The public map's points read by SQL compiled once and written as JSON kept per point give the page
the points it had: the same rows as the queryset for every filter, the same config script byte for byte
as ``json_script`` of the points' dicts (escapes, precisions, closed, towns, the cap)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import json_script

from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.directory.models import Category
from otklik.public import open311, problems
from otklik.public.places import PRECISION
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db

TRICKY = "<b>\"Кавычки\" & 'апостроф'</b>"
PRECISIONS = ("building", "point", "settlement", "district", "street", None, "")


@pytest.fixture
def placed(region) -> list:
    heating = Category.objects.get(code="housing-heating")
    potholes = Category.objects.get(code="roads-potholes")
    now = timezone.now()
    made = []
    for i, precision in enumerate(PRECISIONS * 3):
        made.append(
            make_case(
                status=(CaseStatus.ASSIGNED, CaseStatus.PUBLISHED, CaseStatus.IN_PROGRESS)[i % 3],
                category=(heating, potholes)[i % 2],
                lat=51.4 + i / 1234.5678,
                lon=46.0 + i / 9876.54321,
                understanding={"place": {"precision": precision}} if precision is not None else {},
                created_at=now - timedelta(days=i * 6, minutes=i),
            )
        )
    for case in made[1:6:3]:  # published answers: the list's status notes
        Answer.objects.create(
            case=case,
            text=f"Ответ {TRICKY}",
            status=AnswerStatus.PUBLISHED,
            kind=AnswerKind.FINAL,
            published_at=now,
        )
    make_case(status=CaseStatus.ASSIGNED, category=heating, created_at=now - timedelta(days=1))  # no point
    make_case(status=CaseStatus.MODERATION, category=heating, lat=51.4, lon=46.0)  # not public
    return made


FILTERS = [
    problems.MapFilter(),
    *(problems.MapFilter(days=days) for days in problems.PERIODS),
    problems.MapFilter(status="open"),
    problems.MapFilter(status="closed", days=365),
    problems.MapFilter(category="housing"),
    problems.MapFilter(category="roads-potholes", status="open", days=30),
]


def _queryset_rows(chosen: problems.MapFilter) -> list:
    """The points' rows as the map read them before (a queryset built and compiled each request)."""
    params = {"start_date": (timezone.now() - timedelta(days=chosen.days)).isoformat()}
    if chosen.status:
        params["status"] = chosen.status
    if chosen.category:
        params["service_code"] = ",".join(problems._service_codes(chosen.category))
    return list(
        open311.matching_requests(params)
        .filter(lat__isnull=False, lon__isnull=False)
        .prefetch_related(None)
        .annotate(place_precision=PRECISION)
        .values_list("number", "lat", "lon", "status", "place_precision")[: problems.MAX_POINTS]
    )


@pytest.mark.parametrize("chosen", FILTERS, ids=repr)
def test_the_compiled_points_are_the_querysets(placed, chosen):
    for _ in range(2):  # compiled, then reused
        found = problems.problem_map(chosen)
        assert found.placed_rows == _queryset_rows(chosen)
    assert found.placed_rows or chosen.status == "closed"


def test_the_config_script_is_json_script_of_the_points(placed):
    config = {"tiles": "https://tiles.test/{z}/{x}/{y}.png?a=1&b=<2>", "strings": {"open": "В работе «&»"}}
    for chosen in FILTERS:
        found = problems.problem_map(chosen)
        for _ in range(2):  # each point's JSON made, then kept
            got = problems.config_script(found, config, "public-map-config")
            assert got == json_script({"points": found.points, **config}, "public-map-config")
    kinds = {(p["closed"], p["town"]) for p in problems.problem_map(problems.MapFilter(days=365)).points}
    assert kinds == {(False, False), (True, False), (False, True), (True, True)}


def test_a_point_with_markup_in_its_number_is_escaped_as_json_script_escapes(placed):
    found = problems.ProblemMap(problems.MapFilter(), placed_rows=[("<b>&'\"", 51.5, 46.1, "assigned", None)])
    script = problems.config_script(found, {"tiles": ""}, "x")
    assert script == json_script({"points": found.points, "tiles": ""}, "x")
    assert "<b>" not in script and "\\u003Cb\\u003E\\u0026'\\\"" in script


def _config_script(response) -> str:
    html = response.content.decode()
    start = html.index('<script id="public-map-config" type="application/json">')
    return html[start : html.index("</script>", start) + len("</script>")]


def test_the_page_draws_the_points_once_compiled(client, placed, monkeypatch):
    first = client.get("/public/map/?days=365")
    script = _config_script(first)
    assert script == _config_script(client.get("/public/map/?days=365"))
    config = json.loads(script.partition(">")[2].removesuffix("</script>"))
    assert config["points"] == first.context["found"].points and len(config["points"]) == len(placed)
    assert config["strings"]["open"] == "В работе"
    monkeypatch.setattr(problems, "MAX_POINTS", 2)  # the cap is part of the compiled query's shape
    capped = client.get("/public/map/?days=365").content.decode()
    assert "показаны последние 2 из" in capped


@pytest.mark.parametrize("chosen", FILTERS, ids=repr)
def test_the_latest_list_is_the_querysets(placed, chosen):
    params = {"start_date": (timezone.now() - timedelta(days=chosen.days)).isoformat()}
    if chosen.status:
        params["status"] = chosen.status
    if chosen.category:
        params["service_code"] = ",".join(problems._service_codes(chosen.category))
    expected = [
        problems._listed(open311.request_row(case))
        for case in open311.matching_requests(params)[: problems.LATEST]
    ]
    for _ in range(2):  # compiled, then reused
        assert problems.problem_map(chosen).latest == expected
    assert expected or chosen.status == "closed"
    if chosen == problems.MapFilter(days=365):
        assert sum(row["closed"] for row in expected) >= 2
