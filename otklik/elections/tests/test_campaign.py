"""The campaign calendar: meetings, questions from voters, a question to a deputy as an appeal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.deputies.services import make_deputy
from otklik.directory.choices import Channel
from otklik.elections import campaign
from otklik.elections.models import CampaignEvent, EventQuestion
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(day) -> CampaignEvent:
    deputy = make_deputy("Иванов Пётр Сергеевич", council="Саратовская областная дума")
    return CampaignEvent.objects.create(
        candidate="Иванов Пётр Сергеевич",
        deputy=deputy,
        starts_at=timezone.now() + timedelta(days=2),
        place="Дом культуры, Энгельс",
    )


def test_a_question_to_a_deputy_becomes_an_appeal_once(meeting):
    question = campaign.record_question(
        meeting,
        text="Когда отремонтируют дорогу на улице Тельмана?",
        asked_by="Ольга",
        contact="+7 927 111-22-33",
    )
    question = campaign.to_appeal(question)
    case = question.case
    assert case is not None and case.agency == meeting.deputy.office and case.channel == Channel.DEPUTY
    assert case.status == CaseStatus.ASSIGNED and "Дом культуры" in case.text
    assert campaign.to_appeal(question).case == case  # a second click changes nothing
    with pytest.raises(ValidationError):
        campaign.record_question(meeting, text="дорога")


def test_a_meeting_without_a_deputy_keeps_its_questions(meeting):
    meeting.deputy = None
    meeting.save()
    question = campaign.record_question(meeting, text="Будет ли новый автобусный маршрут до больницы?")
    with pytest.raises(ValidationError):
        campaign.to_appeal(question)


def test_the_calendar_pages_and_who_sees_them(client, day, meeting):
    client.login(username="chief", password=PASSWORD)
    listed = client.get("/elections/events/")
    assert [e.pk for e in listed.context["events"]] == [meeting.pk]
    later = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert list(client.get("/elections/events/", {"date_from": later}).context["events"]) == []
    starts = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    added = client.post(
        "/elections/events/",
        {"candidate": "Орлова Наталья", "starts_at": starts, "place": "Школа № 5, Балаково"},
    )
    assert added.status_code == 302 and CampaignEvent.objects.count() == 2
    page = f"/elections/events/{meeting.pk}/"
    assert (
        client.post(page, {"action": "question", "text": "Почему нет света во дворе дома 7?"}).status_code
        == 302
    )
    question = EventQuestion.objects.get()
    assert client.post(page, {"action": "appeal", "question": str(question.pk)}).status_code == 302
    question.refresh_from_db()
    assert question.case is not None

    make_user(Role.COORDINATOR, username="coord")
    client.login(username="coord", password=PASSWORD)
    assert client.get("/elections/events/").status_code == 200
    client.login(username="anna", password=PASSWORD)  # an observer
    assert client.get("/elections/events/").status_code == 403


@pytest.fixture
def two_factions(day):
    """Faction 1's deputy has a meeting with a question; a coordinator of each faction."""
    from otklik.deputies.models import Faction

    first = Faction.objects.create(name="Первая фракция")
    second = Faction.objects.create(name="Вторая фракция")
    deputy = make_deputy("Сидоров Иван Петрович", council="Саратовская областная дума", faction=first)
    other_deputy = make_deputy("Кузнецова Анна Львовна", council="Саратовская областная дума", faction=second)
    event = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        starts_at=timezone.now() + timedelta(days=1),
        place="Клуб, Маркс",
    )
    question = campaign.record_question(
        event, text="Когда починят водопровод на улице Ленина?", asked_by="Мария Иванова"
    )
    coord1 = make_user(Role.COORDINATOR, username="coord1")
    coord2 = make_user(Role.COORDINATOR, username="coord2")
    first.coordinators.add(coord1)
    second.coordinators.add(coord2)
    return {
        "first": first,
        "second": second,
        "deputy": deputy,
        "other_deputy": other_deputy,
        "event": event,
        "question": question,
    }


def test_a_meeting_takes_its_deputys_faction(two_factions):
    assert two_factions["event"].faction == two_factions["first"]


def test_a_coordinator_of_another_faction_sees_nothing_of_the_meeting(client, two_factions):
    event, question = two_factions["event"], two_factions["question"]
    client.login(username="coord2", password=PASSWORD)
    listed = client.get("/elections/events/")
    assert listed.status_code == 200
    assert list(listed.context["events"]) == []
    assert "Мария Иванова" not in listed.content.decode()
    page = f"/elections/events/{event.pk}/"
    assert client.get(page).status_code == 404
    asked = client.post(page, {"action": "question", "text": "Чужой вопрос на чужой встрече, длинный"})
    assert asked.status_code == 404
    assert client.post(page, {"action": "appeal", "question": str(question.pk)}).status_code == 404
    question.refresh_from_db()
    assert question.case is None and event.questions.count() == 1


def test_a_coordinator_sees_and_works_their_factions_meetings(client, two_factions):
    event, question = two_factions["event"], two_factions["question"]
    client.login(username="coord1", password=PASSWORD)
    assert [e.pk for e in client.get("/elections/events/").context["events"]] == [event.pk]
    page = f"/elections/events/{event.pk}/"
    assert "Мария Иванова" in client.get(page).content.decode()
    assert client.post(page, {"action": "appeal", "question": str(question.pk)}).status_code == 302
    question.refresh_from_db()
    assert question.case is not None and question.case.agency == two_factions["deputy"].office


def test_a_coordinator_adds_meetings_only_for_their_faction(client, two_factions):
    client.login(username="coord1", password=PASSWORD)
    starts = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    base = {"candidate": "Новиков Олег", "starts_at": starts, "place": "Школа № 2, Маркс"}
    # Another faction's deputy or faction is refused; so is a meeting of no faction.
    other = client.post("/elections/events/", {**base, "deputy": two_factions["other_deputy"].pk})
    assert other.status_code == 400
    foreign = client.post("/elections/events/", {**base, "faction": two_factions["second"].pk})
    assert foreign.status_code == 400
    assert client.post("/elections/events/", base).status_code == 400
    assert CampaignEvent.objects.count() == 1
    added = client.post("/elections/events/", {**base, "faction": two_factions["first"].pk})
    assert added.status_code == 302
    assert CampaignEvent.objects.get(candidate="Новиков Олег").faction == two_factions["first"]
    # A deputy of another faction than the one chosen is refused for anyone, the center included.
    client.login(username="chief", password=PASSWORD)
    mixed = {**base, "deputy": two_factions["deputy"].pk, "faction": two_factions["second"].pk}
    assert client.post("/elections/events/", mixed).status_code == 400


def test_the_center_sees_every_factions_meetings(client, two_factions):
    CampaignEvent.objects.create(
        candidate="Кузнецова Анна Львовна",
        deputy=two_factions["other_deputy"],
        starts_at=timezone.now() + timedelta(days=1),
        place="Библиотека, Вольск",
    )
    client.login(username="chief", password=PASSWORD)
    assert len(client.get("/elections/events/").context["events"]) == 2
