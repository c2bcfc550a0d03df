"""The public problem map and a problem's public page: what residents see without logging in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.directory.models import Category
from otklik.public import problems
from otklik.testing.factories import make_case, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def shown(region) -> dict:
    heating = Category.objects.get(code="housing-heating")
    potholes = Category.objects.get(code="roads-potholes")
    now = timezone.now()
    cold = make_case(
        status=CaseStatus.ASSIGNED,
        category=heating,
        agency=region["housing"],
        territory=region["engels"],
        text="Нет отопления в доме, звоните Ирине Петровой +7 917 123-45-67",
        lat=51.49,
        lon=46.12,
        created_at=now - timedelta(days=2),
    )
    hole = make_case(
        status=CaseStatus.PUBLISHED,
        category=potholes,
        agency=region["roads"],
        text="Яма на дороге у остановки <script>alert(1)</script>",
        lat=51.50,
        lon=46.10,
        created_at=now - timedelta(days=5),
    )
    Answer.objects.create(
        case=hole,
        author=make_user("supervisor"),
        text="Яма заделана 3 марта, дорожное покрытие восстановлено.",
        status=AnswerStatus.PUBLISHED,
        published_at=now,
    )
    unplaced = make_case(status=CaseStatus.IN_PROGRESS, category=heating, created_at=now - timedelta(days=1))
    old = make_case(
        status=CaseStatus.ASSIGNED, category=heating, lat=51.4, lon=46.0, created_at=now - timedelta(days=200)
    )
    spam = make_case(status=CaseStatus.REJECTED, category=heating, lat=51.4, lon=46.0)
    waiting = make_case(status=CaseStatus.MODERATION, suggested_category=heating, lat=51.4, lon=46.0)
    return locals()


def config(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="public-map-config" type="application/json">') + len(
        '<script id="public-map-config" type="application/json">'
    )
    return json.loads(html[start : html.index("</script>", start)])


def test_the_map_shows_problems_taken_into_work_without_a_login(client, shown):
    response = client.get("/public/map/")
    assert response.status_code == 200
    points = {p["id"]: p for p in config(response)["points"]}
    assert set(points) == {shown["cold"].number, shown["hole"].number}  # old, spam, waiting are not shown
    cold, hole = points[shown["cold"].number], points[shown["hole"].number]
    # A point is where and whether answered; its popup reads the rest from the Open311 API.
    assert cold == {"id": shown["cold"].number, "lat": 51.49, "lon": 46.12, "closed": False, "town": False}
    assert hole["closed"] is True
    found = response.context["found"]
    assert found.open == 2 and found.closed == 1 and found.unplaced == 1
    assert [p["id"] for p in found.latest] == [shown[k].number for k in ("unplaced", "cold", "hole")]
    listed = {p["id"]: p for p in found.latest}[shown["cold"].number]
    assert listed["category"] == "Отопление"
    assert "123-45-67" not in listed["text"] and "Петровой" not in listed["text"]  # personal data masked
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html and "123-45-67" not in html  # escaped, masked
    popup = client.get(config(response)["requestUrl"] + shown["hole"].number + ".json").json()[0]
    assert popup["status"] == "closed" and "Яма заделана" in popup["status_notes"]


def test_the_map_filters_by_category_status_and_period(client, shown):
    def ids(**params: str) -> set[str]:
        return {p["id"] for p in config(client.get("/public/map/", params))["points"]}

    assert ids(category="roads") == {shown["hole"].number}  # a top category covers its subcategories
    assert ids(category="housing-heating") == {shown["cold"].number}
    assert ids(status="closed") == {shown["hole"].number}
    assert ids(status="open") == {shown["cold"].number}
    assert shown["old"].number in ids(days="365")
    # Unknown values fall back to the defaults instead of failing.
    assert ids(days="7", status="maybe") == {shown["cold"].number, shown["hole"].number}
    assert ids(category="no-such") == set()


def test_a_problem_page_shows_the_masked_text_and_the_answer(client, shown):
    response = client.get(f"/public/problems/{shown['hole'].number}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Яма заделана 3 марта" in html and shown["hole"].agency.name in html
    assert "&lt;script&gt;" in html
    cold = client.get(f"/public/problems/{shown['cold'].number}/").content.decode()
    assert "123-45-67" not in cold
    for hidden in ("spam", "waiting"):
        assert client.get(f"/public/problems/{shown[hidden].number}/").status_code == 404


def test_map_filter_reads_a_query_safely():
    assert problems.MapFilter.from_query({"days": "abc", "status": "x"}) == problems.MapFilter()
    assert problems.MapFilter.from_query({"days": "30", "status": "closed", "category": " roads "}) == (
        problems.MapFilter(category="roads", status="closed", days=30)
    )


def test_a_crowded_map_draws_the_newest_points_and_counts_them_all(client, shown, monkeypatch):
    monkeypatch.setattr(problems, "MAX_POINTS", 1)
    response = client.get("/public/map/")
    assert [p["id"] for p in config(response)["points"]] == [shown["cold"].number]
    found = response.context["found"]
    assert (found.open, found.closed, found.placed, found.drawn_all) == (2, 1, 2, False)
    assert "показаны последние 1 из 2" in response.content.decode()
