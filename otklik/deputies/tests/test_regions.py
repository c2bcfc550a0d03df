"""The deputies' service across regions and levels: the directory by region, the stored rating's
federal view (the party's headquarters) and regional view (a regional coordinator, who sees their
region only), and the topics of appeals to deputies by territory and week (counts only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.deputies import ratings, services
from otklik.deputies.models import Level, RatingRow, RatingState, RegionalCoordinator
from otklik.deputies.tasks import refresh_ratings
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Category
from otklik.testing.factories import make_case, make_territory, make_user

pytestmark = pytest.mark.django_db

SECRET = "Прошу помочь лично мне с долгом за квартиру"  # an appeal's text: never on a rating page


@pytest.fixture
def regions(council) -> dict:
    """A second region (Самарская) with a regional deputy and a councillor of the capital."""
    samara = make_territory("Самарская область", kind=TerritoryKind.REGION)
    syzran = make_territory("Сызрань", kind=TerritoryKind.OKRUG, parent=samara)
    orlov = services.make_deputy(
        "Орлов Игорь Семёнович", council="Самарская губернская дума", region=samara, faction=council["party"]
    )
    orlov.territories.add(syzran)
    lebedeva = services.make_deputy(
        "Лебедева Мария Олеговна",
        council="Дума городского округа Самара",
        level=Level.CAPITAL,
        region=samara,
        faction=council["party"],
    )
    return {**council, "samara": samara, "syzran": syzran, "orlov": orlov, "lebedeva": lebedeva}


def _appeals(deputy, n: int, *, answered: int, territory=None, category=None) -> None:
    now = timezone.now()
    for i in range(n):
        make_case(
            agency=deputy.office,
            addressed_to=deputy.office,
            channel=Channel.DEPUTY,
            text=SECRET,
            status=CaseStatus.CLOSED if i < answered else CaseStatus.ASSIGNED,
            created_at=now - timedelta(days=2),
            deadline_at=now + timedelta(days=20),
            answered_at=now - timedelta(days=1) if i < answered else None,
            territory=territory,
            category=category,
        )


def test_deputies_belong_to_a_region_and_a_level(regions):
    assert regions["ivanov"].region == regions["oblast"]  # the installation's only region then
    assert regions["lebedeva"].level == Level.CAPITAL and regions["lebedeva"].region == regions["samara"]


def test_the_directory_filters_by_region_and_puts_the_parliament_first(client, regions):
    def names(**params) -> list[str]:
        return [d.full_name for d in client.get("/deputies/", params).context["deputies"]]

    assert names(region=str(regions["samara"].pk)) == ["Орлов Игорь Семёнович", "Лебедева Мария Олеговна"]
    assert names(region=str(regions["samara"].pk), level=Level.CAPITAL) == ["Лебедева Мария Олеговна"]
    page = client.get("/deputies/", {"region": str(regions["samara"].pk)}).content.decode()
    assert "Сызрань" in page and "Энгельсский район" not in page  # the region's municipalities only


def test_the_directory_is_paged(client, regions):
    for n in range(55):
        services.make_deputy(
            f"Депутат {n:02d}", council="Самарская губернская дума", region=regions["samara"]
        )
    first = client.get("/deputies/", {"region": str(regions["samara"].pk)})
    assert len(first.context["deputies"]) == 50 and first.context["page"].paginator.count == 57
    second = client.get("/deputies/", {"region": str(regions["samara"].pk), "page": "2"})
    assert len(second.context["deputies"]) == 7


def test_the_party_headquarters_sees_every_region_a_regional_coordinator_only_theirs(client, regions):
    _appeals(regions["ivanov"], 6, answered=6)
    _appeals(regions["orlov"], 6, answered=2)
    rebuild_rollups()
    hq = make_user(Role.COORDINATOR, username="hq")
    regions["party"].coordinators.add(hq)
    client.force_login(hq)
    federal = client.get("/deputies/rating/")
    assert federal.status_code == 200 and federal.context["region"] is None
    by_region = {r.region: r for r in federal.context["by_region"]}
    assert set(by_region) == {regions["oblast"], regions["samara"]}
    assert (by_region[regions["samara"]].deputies, by_region[regions["samara"]].received) == (2, 6)
    assert by_region[regions["samara"]].by_level == {Level.REGIONAL: 1, Level.CAPITAL: 1}
    assert by_region[regions["oblast"]].mean_score > by_region[regions["samara"]].mean_score
    assert [r.deputy for r in federal.context["rows"]][:2] == [regions["ivanov"], regions["orlov"]]
    # Петрова is of the other faction: not the party's
    assert regions["petrova"] not in {r.deputy for r in federal.context["rows"]}

    samara_coordinator = make_user(Role.COORDINATOR, username="samara-coordinator")
    regions["party"].coordinators.add(samara_coordinator)
    RegionalCoordinator.objects.create(user=samara_coordinator, region=regions["samara"])
    client.force_login(samara_coordinator)
    own = client.get("/deputies/rating/")
    assert own.status_code == 200 and own.context["region"] == regions["samara"]  # lands on the region
    assert {r.deputy for r in own.context["rows"]} == {regions["orlov"], regions["lebedeva"]}
    assert own.context["by_region"] is None and "Саратовская область" not in own.content.decode()
    assert client.get("/deputies/rating/", {"region": str(regions["oblast"].pk)}).status_code == 403
    # the service's figures and the API are scoped alike
    stats = client.get("/deputies/statistics/")
    assert stats.status_code == 200 and stats.context["stats"].deputies == 2
    api = client.get("/api/deputies/rating/").json()["results"]
    assert {r["full_name"] for r in api} == {"Орлов Игорь Семёнович", "Лебедева Мария Олеговна"}


def test_the_score_is_the_same_in_the_federal_and_the_regional_view(client, regions):
    _appeals(regions["ivanov"], 5, answered=4)
    _appeals(regions["orlov"], 8, answered=3)
    rebuild_rollups()
    client.force_login(make_user(Role.ANALYST, username="analyst"))
    federal = {r.deputy: r.score for r in client.get("/deputies/rating/").context["rows"]}
    regional = client.get("/deputies/rating/", {"region": str(regions["samara"].pk)}).context["rows"]
    assert {r.deputy: r.score for r in regional} == {
        d: s for d, s in federal.items() if d in (regions["orlov"], regions["lebedeva"])
    }


def test_the_stored_rating_follows_new_appeals(client, regions):
    client.force_login(make_user(Role.ANALYST, username="analyst"))
    assert client.get("/deputies/rating/").status_code == 200
    assert RatingRow.objects.get(days=365, deputy=regions["orlov"]).received == 0
    _appeals(regions["orlov"], 3, answered=1)
    rebuild_rollups()
    refresh_ratings()  # the periodic job
    assert RatingRow.objects.get(days=365, deputy=regions["orlov"]).received == 3
    rows = client.get("/deputies/rating/").context["rows"]
    assert {r.deputy_id: r.received for r in rows}[regions["orlov"].pk] == 3
    state = RatingState.objects.get(days=365)
    refresh_ratings()
    again = RatingState.objects.get(days=365)
    assert (again.fingerprint, again.computed_at) == (state.fingerprint, state.computed_at)  # not recomputed


def test_topics_of_appeals_to_deputies_by_territory_and_week_counts_only(client, regions):
    roads = Category.objects.get(code="roads")
    housing = Category.objects.get(code="housing")
    _appeals(regions["orlov"], 3, answered=0, territory=regions["syzran"], category=roads)
    _appeals(regions["lebedeva"], 1, answered=0, territory=regions["syzran"], category=housing)
    _appeals(regions["ivanov"], 2, answered=0, territory=regions["engels_district"], category=housing)
    rebuild_rollups()
    found = ratings.topics(regions["samara"].pk)
    assert found.total == 4
    assert [(name, total) for name, _series, total in found.categories] == [
        (roads.name, 3),
        (housing.name, 1),
    ]
    assert found.territories == [("Сызрань", 4, roads.name)]
    # The same appeals feed the center's analytics: they are cases in the rollups by territory.
    from otklik.analytics.models import TerritoryDay

    assert (
        sum(TerritoryDay.objects.filter(territory=regions["syzran"].pk).values_list("cases", flat=True)) == 4
    )

    coordinator = make_user(Role.COORDINATOR, username="samara-coordinator")
    regions["party"].coordinators.add(coordinator)
    RegionalCoordinator.objects.create(user=coordinator, region=regions["samara"])
    client.force_login(coordinator)
    page = client.get("/deputies/rating/").content.decode()
    assert roads.name in page and "Сызрань" in page
    assert SECRET not in page  # decision 0007: counts, never an appeal


def test_the_api_gives_the_stored_rating_the_pages_show(client, regions):
    _appeals(regions["ivanov"], 6, answered=5)
    _appeals(regions["orlov"], 4, answered=1)
    _appeals(regions["lebedeva"], 3, answered=3)
    rebuild_rollups()
    hq = make_user(Role.COORDINATOR, username="hq")
    regions["party"].coordinators.add(hq)
    client.force_login(hq)
    page = client.get("/deputies/rating/", {"days": "90"}).context["rows"]
    api = client.get("/api/deputies/rating/", {"days": "90"}).json()
    assert api["days"] == 90
    # The same deputies in the same order with the same figures as the page (Петрова is of the
    # other faction: in neither).
    assert [(r["deputy"], r["rank"], r["score"], r["received"], r["answered"]) for r in api["results"]] == [
        (r.deputy_id, r.rank, r.score, r.received, r.answered) for r in page
    ]
    stored = {r.deputy_id: r for r in RatingRow.objects.filter(days=90)}
    first = api["results"][0]
    assert first["rank"] == 1 and first["shares"] == stored[first["deputy"]].shares
    assert first["faction"] == "Созидание" and first["answered"] == stored[first["deputy"]].answered
    assert first["reply_questions"] == {"asked": 0, "yes": 0, "no": 0}
    # A new appeal shows once the stored rating is computed again (the periodic job's work).
    _appeals(regions["orlov"], 2, answered=2)
    rebuild_rollups()
    ratings.refresh(90)
    again = {
        r["deputy"]: r["received"]
        for r in client.get("/api/deputies/rating/", {"days": "90"}).json()["results"]
    }
    assert again[regions["orlov"].pk] == 6


def test_a_page_serves_a_young_stored_rating_and_computes_a_missing_or_old_one(client, regions):
    _appeals(regions["ivanov"], 2, answered=2)
    rebuild_rollups()
    client.force_login(make_user(Role.ANALYST, username="analyst"))
    client.get("/deputies/rating/")  # none stored: the page computes it
    computed = RatingState.objects.get(days=365).computed_at
    _appeals(regions["orlov"], 1, answered=0)
    rebuild_rollups()
    rows = client.get("/deputies/rating/").context["rows"]
    assert RatingState.objects.get(days=365).computed_at == computed  # served as stored
    assert regions["orlov"].pk not in {r.deputy_id for r in rows if r.received}
    RatingState.objects.filter(days=365).update(
        computed_at=computed - ratings.SERVED_FOR - timedelta(minutes=1)
    )
    rows = client.get("/deputies/rating/").context["rows"]  # the job stopped: the page computes it
    assert {r.deputy_id: r.received for r in rows}[regions["orlov"].pk] == 1
    # The periodic job recomputes whenever the figures moved, however young the stored rating.
    _appeals(regions["orlov"], 1, answered=1)
    rebuild_rollups()
    refresh_ratings()
    assert RatingRow.objects.get(days=365, deputy=regions["orlov"]).received == 2


def test_a_deputys_page_shows_their_row_of_the_stored_rating(client, regions):
    _appeals(regions["ivanov"], 4, answered=3)
    rebuild_rollups()
    counted = services.public_record(regions["ivanov"])  # nothing stored: from the rollups
    ratings.refresh(services.RATING_DAYS)
    assert services.public_record(regions["ivanov"]) == counted
    page = client.get(f"/deputies/{regions['ivanov'].pk}/")
    assert page.status_code == 200 and page.context["record"].received == 4
