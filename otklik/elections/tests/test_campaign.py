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
    assert list(client.get("/elections/events/", {"from": later}).context["events"]) == []
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
