"""The REST API: scoped lists and details, filters, reference data and the OpenAPI schema."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import Channel, TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    district = make_territory("Энгельсский район", geometry={"type": "Point", "coordinates": [46.1, 51.5]})
    village = make_territory("Шумейка", kind=TerritoryKind.SETTLEMENT, parent=district)
    housing = make_category("ЖКХ")
    heating = make_category("Отопление", parent=housing)
    roads = make_category("Дороги")
    water, transport = make_agency("Водоканал"), make_agency("Минтранс")
    cases = {
        "heating": make_case(
            agency=water,
            category=heating,
            territory=village,
            status=CaseStatus.ASSIGNED,
            channel=Channel.VK,
            deadline_at=timezone.now() - timedelta(hours=2),
        ),
        "housing": make_case(
            agency=water,
            category=housing,
            territory=district,
            status=CaseStatus.IN_PROGRESS,
            channel=Channel.OFFICIAL,
            deadline_at=timezone.now() + timedelta(days=5),
        ),
        "roads": make_case(
            agency=transport,
            category=roads,
            status=CaseStatus.ASSIGNED,
            channel=Channel.TELEGRAM,
            deadline_at=timezone.now() - timedelta(days=1),
        ),
        "new": make_case(channel=Channel.EMAIL),
    }
    return {
        "district": district,
        "village": village,
        "housing": housing,
        "heating": heating,
        "roads": roads,
        "water": water,
        "transport": transport,
        "cases": cases,
        "moderator": make_user(Role.MODERATOR),
        "executor": make_user(Role.EXECUTOR, agency=water),
        "analyst": make_user(Role.ANALYST),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def listing(client, user, **params):
    client.force_login(user)
    return client.get(reverse("api:case-list"), params)


def test_anonymous_gets_no_cases(client, world):
    assert client.get(reverse("api:case-list")).status_code in (401, 403)


def test_moderator_lists_every_case_executor_only_own_agency(client, world):
    cases = world["cases"]
    assert ids(listing(client, world["moderator"])) == {c.pk for c in cases.values()}
    assert ids(listing(client, world["executor"])) == {cases["heating"].pk, cases["housing"].pk}


def test_executor_gets_404_for_other_agency_case(client, world):
    client.force_login(world["executor"])
    for other in (world["cases"]["roads"], world["cases"]["new"]):
        assert client.get(reverse("api:case-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("api:case-detail", args=["nope"])).status_code == 404


def test_detail_has_messages_answers_and_history(client, world):
    moderator, executor = world["moderator"], world["executor"]
    case = actions.assign_case(make_case(channel=Channel.VK), moderator, world["water"])
    actions.write_answer(case, executor, text="Бригада выехала, к вечеру подача воды восстановится.")
    client.force_login(executor)
    response = client.get(reverse("api:case-detail", args=[case.pk]))
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == case.number and body["agency"]["id"] == world["water"].pk
    assert body["status"] == CaseStatus.ANSWERED
    assert [m["text"] for m in body["messages"]] == [case.text]
    assert (
        body["answers"][0]["text"].startswith("Бригада выехала")
        and body["answers"][0]["author"] == executor.username
    )
    kinds = [e["kind"] for e in body["events"]]
    assert "assigned" in kinds and "answer_written" in kinds
    assert body["deadline_at"] is not None


def test_an_analyst_reads_no_case_through_the_api_and_a_moderator_reads_the_authors(client, world):
    """PRODUCT.md: analysts see aggregates with personal data masked, never a case (issue 11)."""
    case = world["cases"]["heating"]
    case.messages.update(author_name="Иван Петров", author_contact="+7 900 000-00-00")
    client.force_login(world["analyst"])
    assert client.get(reverse("api:case-detail", args=[case.pk])).status_code in {403, 404}
    listed = client.get(reverse("api:case-list"))
    assert listed.status_code == 403 or listed.json()["results"] == []
    client.force_login(world["moderator"])
    message = client.get(reverse("api:case-detail", args=[case.pk])).json()["messages"][0]
    assert message["author_name"] == "Иван Петров"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "assigned"}, {"heating", "roads"}),
        ({"status": "assigned,in_progress"}, {"heating", "housing", "roads"}),
        ({"channel": "vk,telegram"}, {"heating", "roads"}),
        ({"agency": "transport"}, {"roads"}),
        ({"category": "housing"}, {"heating", "housing"}),  # a top category covers its subcategories
        ({"category": "heating"}, {"heating"}),
        ({"territory": "district"}, {"heating", "housing"}),  # a district covers its settlements
        ({"territory": "village"}, {"heating"}),
        ({"overdue": "true"}, {"heating", "roads"}),
        ({"overdue": "false"}, {"housing", "new"}),
        ({"overdue": "true", "agency": "water"}, {"heating"}),
    ],
)
def test_filters(client, world, params, expected):
    query = {k: (str(world[v].pk) if v in world else v) for k, v in params.items()}
    got = ids(listing(client, world["moderator"], **query))
    assert got == {world["cases"][name].pk for name in expected}


def test_filters_stay_inside_the_scope(client, world):
    assert ids(listing(client, world["executor"], agency=str(world["transport"].pk))) == set()


@pytest.mark.parametrize("params", [{"status": "lost"}, {"category": "x"}, {"overdue": "maybe"}])
def test_bad_filter_is_a_400(client, world, params):
    assert listing(client, world["moderator"], **params).status_code == 400


def test_case_list_query_count_does_not_grow_with_cases(client, world, django_assert_max_num_queries):
    for _ in range(10):
        make_case(agency=world["water"], category=world["heating"], territory=world["village"])
    client.force_login(world["moderator"])
    with django_assert_max_num_queries(6):
        assert len(client.get(reverse("api:case-list")).json()["results"]) == 14


def test_reference_data(client, world):
    client.force_login(world["executor"])
    tree = client.get(reverse("api:category-list")).json()
    housing = next(row for row in tree if row["id"] == world["housing"].pk)
    assert [child["name"] for child in housing["children"]] == ["Отопление"]
    assert world["heating"].pk not in {row["id"] for row in tree}

    territories = client.get(reverse("api:territory-list"), {"parent": world["district"].pk}).json()[
        "results"
    ]
    assert [t["name"] for t in territories] == ["Шумейка"]
    district = client.get(reverse("api:territory-detail", args=[world["district"].pk])).json()
    assert district["name"] == "Энгельсский район" and "geometry" not in district

    agencies = client.get(reverse("api:agency-list")).json()["results"]
    assert {a["name"] for a in agencies} == {"Водоканал", "Минтранс"}


def test_schema_is_an_openapi_document_with_the_cases_paths(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/cases/",
        "/api/cases/{id}/",
        "/api/categories/",
        "/api/territories/",
        "/api/agencies/",
    } <= set(schema["paths"])
    names = {p["name"] for p in schema["paths"]["/api/cases/"]["get"]["parameters"]}
    assert {"status", "category", "territory", "agency", "channel", "overdue"} <= names
