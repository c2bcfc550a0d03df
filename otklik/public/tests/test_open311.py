"""Open311 GeoReport v2: discovery, services, posting with an API key, reading requests (JSON and XML),
idempotent posting, dead letters for bad requests, and what the public list hides."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from xml.etree.ElementTree import fromstring

import pytest
from django.core.management import call_command
from django.utils import timezone

from otklik.cases import actions
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.directory.models import Category
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import Stage
from otklik.testing.factories import make_case, make_user

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
TEXT = "Третий день нет отопления в доме, батареи холодные, в квартире 14 градусов."


@pytest.fixture
def api_key(region) -> str:
    out = StringIO()
    call_command("open311_client", "city-app", "--name", "Приложение «Мой город»", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def post(client, api_key: str, fmt: str = "json", **fields: str):
    data = {
        "api_key": api_key,
        "service_code": "housing-heating",
        "lat": "51.49",
        "long": "46.12",
        "description": TEXT,
        "email": "irina@example.test",
        "first_name": "Ирина",
        "address_string": "Энгельс, ул. Тельмана, 12",
        **fields,
    }
    return client.post(f"{BASE}/requests.{fmt}", {k: v for k, v in data.items() if v is not None})


def test_discovery_and_services_list_the_leaf_categories_in_both_formats(client, region):
    discovery = client.get(f"{BASE}/discovery.json").json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and "text/xml" in endpoint["formats"]

    services = client.get(f"{BASE}/services.json").json()
    by_code = {s["service_code"]: s for s in services}
    heating = by_code["housing-heating"]
    assert heating["service_name"] == "Отопление" and heating["group"] == "ЖКХ"
    assert heating["metadata"] is False and heating["type"] == "realtime"
    assert "housing" not in by_code  # a category with subcategories is a group, not a service
    assert len(services) == Category.objects.filter(is_active=True, children__isnull=True).count()

    xml = fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services"
    codes = {s.findtext("service_code") for s in xml.findall("service")}
    assert codes == set(by_code)
    assert xml.find("service/metadata").text == "false"

    definition = client.get(f"{BASE}/services/housing-heating.json").json()
    assert definition == {"service_code": "housing-heating", "attributes": []}
    missing = client.get(f"{BASE}/services/no-such.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": "service_code 'no-such' not found"}]


def test_the_api_key_is_shown_once_and_stored_only_as_a_digest(api_key):
    source = Source.objects.get(code="city-app")
    assert source.connector == "open311" and source.channel == Channel.OPEN311
    assert api_key not in str(source.settings) and len(source.settings["api_key_sha256"]) == 64
    with pytest.raises(Exception, match="has a key already"):
        call_command("open311_client", "city-app", stdout=StringIO())
    out = StringIO()
    call_command("open311_client", "city-app", "--rotate", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] != api_key


def test_a_posted_request_becomes_a_routed_case_in_the_chosen_category(client, region, api_key):
    response = post(client, api_key)
    assert response.status_code == 201
    [answer] = response.json()
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.channel == Channel.OPEN311
    assert case.category.code == "housing-heating"  # the sender's choice, taken as decided
    assert case.understanding["decided_by"] == "sender"
    assert case.status == CaseStatus.ASSIGNED and case.agency == region["housing"]  # rule: housing × Engels
    assert case.territory == region["engels"] or case.territory.parent == region["engels_district"]
    message = case.messages.get()
    assert message.author_name == "Ирина" and message.author_contact == "irina@example.test"
    assert message.raw["open311"]["service_code"] == "housing-heating"

    # The token leads to the same request.
    token = client.get(f"{BASE}/tokens/{answer['token']}.json").json()
    assert token == [{"service_request_id": case.number, "token": answer["token"]}]


def test_the_same_request_posted_twice_is_one_case(client, region, api_key):
    first = post(client, api_key).json()[0]
    again = post(client, api_key).json()[0]
    assert again["service_request_id"] == first["service_request_id"]
    assert Message.objects.filter(source__code="city-app").count() == 1
    assert Case.objects.count() == 1


def test_without_a_valid_key_nothing_is_taken(client, region, api_key):
    for key in ("", "wrong-key"):
        response = post(client, key)
        assert response.status_code == 403
        assert response.json()[0]["code"] == 403
    Source.objects.filter(code="city-app").update(is_enabled=False)
    assert post(client, api_key).status_code == 403  # a disabled client
    assert not Message.objects.exists() and not DeadLetter.objects.exists()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"service_code": ""}, "“service_code” is required"),
        ({"service_code": "no-such"}, "service_code 'no-such' not found"),
        ({"service_code": "housing"}, "service_code 'housing' not found"),  # a group, not a service
        ({"description": " "}, "“description” is required"),
        ({"lat": "", "long": "", "address_string": ""}, "a location is required"),
        ({"long": ""}, "give both “lat” and “long”"),
        ({"lat": "север"}, "“lat” is not a number"),
        ({"lat": "95"}, "“lat” is out of range"),
        ({"description": "ы" * 4001}, "longer than 4000"),
    ],
)
def test_a_bad_request_is_a_400_and_a_dead_letter(client, region, api_key, fields, reason):
    response = post(client, api_key, **fields)
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400 and reason in error["description"]
    letter = DeadLetter.objects.get()
    assert letter.stage == Stage.CONNECTOR and reason in letter.reason
    assert letter.source.code == "city-app" and "api_key" not in letter.payload
    assert not Message.objects.exists()
    assert post(client, api_key, **fields).status_code == 400  # the client retries: one row, counted
    assert DeadLetter.objects.get().attempts == 2


def test_an_address_instead_of_a_point_is_read_by_the_place_stage(client, region, api_key):
    response = post(client, api_key, lat="", long="")
    case = Case.objects.get(number=response.json()[0]["service_request_id"])
    assert "ул. Тельмана, 12" in case.text
    assert case.territory is not None or case.suggested_territory is not None


def test_the_xml_answers_follow_georeport(client, region, api_key):
    response = post(client, api_key, fmt="xml")
    assert response.status_code == 201 and response["Content-Type"].startswith("text/xml")
    root = fromstring(response.content)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    detail = fromstring(client.get(f"{BASE}/requests/{number}.xml").content)
    assert detail.findtext("request/status") == "open"
    assert detail.findtext("request/service_code") == "housing-heating"
    error = fromstring(client.get(f"{BASE}/requests/0000-000000.xml").content)
    assert error.tag == "errors" and error.findtext("error/code") == "404"


def test_reading_requests_status_notes_and_masking(client, region, api_key):
    posted = post(client, api_key, description=TEXT + " Звоните +7 917 123-45-67.")
    number = posted.json()[0]["service_request_id"]
    case = Case.objects.get(number=number)
    [row] = client.get(f"{BASE}/requests/{number}.json").json()
    assert row["status"] == "open" and row["service_name"] == "Отопление"
    assert row["agency_responsible"] == region["housing"].name
    assert row["expected_datetime"] is not None and row["lat"] == pytest.approx(51.49)
    assert "123-45-67" not in row["description"]  # personal data masked

    executor = make_user("executor", agency=region["housing"])
    center = make_user("supervisor")
    answer = actions.write_answer(
        case, executor, text="Уважаемая Ирина! Отопление в доме восстановлено 12 марта, давление в норме."
    )
    actions.approve_answer(answer, center)
    actions.publish_answer(answer, center)
    [row] = client.get(f"{BASE}/requests/{number}.json").json()
    assert row["status"] == "closed" and "Отопление в доме восстановлено" in row["status_notes"]

    closed = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [number]
    assert client.get(f"{BASE}/requests.json", {"status": "open"}).json() == []
    assert client.get(f"{BASE}/requests.json", {"status": "maybe"}).status_code == 400


def test_the_public_list_filters_by_service_period_and_ids_and_hides_unchecked_cases(client, region):
    now = timezone.now()
    heating = Category.objects.get(code="housing-heating")
    roads = Category.objects.get(code="roads-potholes")
    taken = make_case(status=CaseStatus.ASSIGNED, category=heating, agency=region["housing"])
    pothole = make_case(status=CaseStatus.IN_PROGRESS, category=roads, text="Яма на дороге")
    old = make_case(status=CaseStatus.ASSIGNED, category=heating, created_at=now - timedelta(days=120))
    hidden = [
        make_case(status=CaseStatus.MODERATION, suggested_category=heating),  # not yet checked
        make_case(status=CaseStatus.REJECTED, category=heating),  # spam
        make_case(status=CaseStatus.MERGED, category=heating),
    ]
    numbers = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert set(numbers) == {taken.number, pothole.number}
    only_heating = client.get(f"{BASE}/requests.json", {"service_code": "housing-heating"}).json()
    assert [r["service_request_id"] for r in only_heating] == [taken.number]
    since = (now - timedelta(days=200)).isoformat()
    longer = client.get(f"{BASE}/requests.json", {"start_date": since}).json()
    assert old.number in {r["service_request_id"] for r in longer}
    ids = f"{old.number},{hidden[0].number}"
    by_ids = client.get(f"{BASE}/requests.json", {"service_request_id": ids}).json()
    assert [r["service_request_id"] for r in by_ids] == [old.number]  # ids override the period
    for case in hidden:
        assert client.get(f"{BASE}/requests/{case.number}.json").status_code == 404
    bad = client.get(f"{BASE}/requests.json", {"start_date": "вчера"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    later = (now + timedelta(days=1)).isoformat()
    backwards = {"start_date": later, "end_date": now.isoformat()}
    assert client.get(f"{BASE}/requests.json", backwards).status_code == 400


def test_another_jurisdiction_is_not_served(client, region, settings):
    settings.OTKLIK_OPEN311_JURISDICTION = "saratov.example.ru"
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "saratov.example.ru"}).status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    other = client.get(f"{BASE}/services.json", {"jurisdiction_id": "omsk.example.ru"})
    assert other.status_code == 404 and "jurisdiction_id" in other.json()[0]["description"]


def test_the_sender_category_field_of_the_pipeline(region):
    from otklik.intake.pipeline import run_batch

    now = timezone.now()
    items = [
        {"external_id": key, "text": "Во дворе яма", "posted_at": now.isoformat(), "category": code}
        for key, code in (("a", "roads-potholes"), ("b", "nonsense"))
    ]
    result = run_batch(items, source=region["source"])
    assert result.dead_letters == 1 and "unknown or inactive “category” 'nonsense'" in result.failures[0][1]
    case = Case.objects.get(pk=result.case_ids[0])
    assert case.suggested_category.code == "roads-potholes" and case.category_confidence == 1.0


def test_a_request_merged_into_another_case_follows_that_case(client, region, api_key):
    number = post(client, api_key).json()[0]["service_request_id"]
    mine = Case.objects.get(number=number)
    target = make_case(status=CaseStatus.IN_PROGRESS, category=mine.category, agency=region["housing"])
    actions.merge_cases(mine, target, make_user("moderator"))
    [row] = client.get(f"{BASE}/requests/{number}.json").json()
    assert row["service_request_id"] == number and row["status"] == "open"
    assert row["agency_responsible"] == region["housing"].name
    message = Message.objects.get(source__code="city-app")
    assert message.case == target  # merging moved the message
    token = client.get(f"{BASE}/tokens/{message.external_id}.json").json()
    assert token[0]["service_request_id"] == target.number  # the token leads to the live case
    listed = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert number not in listed and target.number in listed  # a list names each problem once


@pytest.mark.django_db
def test_a_category_kept_from_residents_is_no_service_and_its_cases_stay_private() -> None:
    from otklik.public import open311 as service_list
    from otklik.testing.factories import make_case, make_category

    shown = make_category("Дороги", code="roads-public")
    internal = make_category("Служебные проверки", code="internal-checks", is_public=False)
    codes = {c.code for c in service_list.services()}
    assert "roads-public" in codes and "internal-checks" not in codes
    visible = make_case(category=shown, status=CaseStatus.ASSIGNED)
    hidden = make_case(category=internal, status=CaseStatus.ASSIGNED)
    ids = set(service_list.public_cases().values_list("pk", flat=True))
    assert visible.pk in ids and hidden.pk not in ids
