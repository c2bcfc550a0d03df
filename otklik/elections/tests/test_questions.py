"""The questions asked at meetings: understood like appeals, answered at the meeting or later,
counted by topic, district and week, exported for the headquarters; the whole calendar by filters."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind
from otklik.deputies.models import Faction
from otklik.deputies.services import make_deputy
from otklik.directory.choices import TerritoryKind
from otklik.elections import campaign, questions
from otklik.elections.models import CampaignEvent
from otklik.testing.factories import PASSWORD, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def meetings(day):
    """A region with two districts; roads and lighting as topics; a faction's deputy with a past
    meeting in Энгельсский район and a coming one in Балаковский район, and another faction's."""
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    town = make_territory("Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels)
    balakovo = make_territory("Балаковский район", parent=region)
    roads = make_category("Дороги", keywords="дорога\nяма\nасфальт")
    light = make_category("Освещение", keywords="фонарь\nосвещение")
    ours = Faction.objects.create(name="Первая фракция")
    theirs = Faction.objects.create(name="Вторая фракция")
    deputy = make_deputy("Иванов Пётр Сергеевич", council="Областная дума", faction=ours)
    other = make_deputy("Кузнецова Анна Львовна", council="Областная дума", faction=theirs)
    now = timezone.now()
    past = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        starts_at=now - timedelta(days=9),
        place="ДК",
        territory=town,
    )
    coming = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        starts_at=now + timedelta(days=3),
        place="Школа",
        territory=balakovo,
    )
    foreign = CampaignEvent.objects.create(
        candidate=other.full_name,
        deputy=other,
        starts_at=now - timedelta(days=2),
        place="Клуб",
        territory=balakovo,
    )
    coordinator = make_user(Role.COORDINATOR, username="coord")
    ours.coordinators.add(coordinator)
    return {
        "engels": engels,
        "town": town,
        "balakovo": balakovo,
        "roads": roads,
        "light": light,
        "deputy": deputy,
        "past": past,
        "coming": coming,
        "foreign": foreign,
        "ours": ours,
    }


def test_a_question_is_understood_like_an_appeal(meetings):
    pothole = campaign.record_question(meetings["past"], text="Когда заделают яму на дороге у остановки?")
    assert pothole.category == meetings["roads"] and pothole.understood_at is not None
    # The text names no place: the meeting's is taken, and said so.
    assert pothole.territory == meetings["town"] and pothole.understanding["place_source"] == "meeting"
    placed = campaign.record_question(meetings["coming"], text="В Энгельсе на улицах не горит ни один фонарь")
    assert placed.category == meetings["light"] and placed.territory == meetings["town"]
    # Counted where it is about, not where it was asked.
    found = questions.analyse(CampaignEvent.objects.filter(pk=meetings["coming"].pk))
    assert [(t.label, t.questions) for t in found.districts] == [("Энгельсский район", 1)]
    urgent = campaign.record_question(
        meetings["past"], text="В доме пахнет газом, прорвало трубу, срочно помогите"
    )
    assert urgent.is_urgent and urgent.understanding["urgency_kinds"]


def test_answers_at_the_meeting_later_and_by_the_appeal_are_counted(meetings):
    past, foreign = meetings["past"], meetings["foreign"]
    at_meeting = campaign.record_question(past, text="Когда заделают яму на дороге у остановки?")
    later = campaign.record_question(past, text="Будет ли новый асфальт на улице Мира?")
    unanswered = campaign.record_question(past, text="Почему не горит освещение во дворе?")
    appealed = campaign.record_question(past, text="Когда отремонтируют дорогу до больницы?")
    campaign.record_question(foreign, text="Почему нет фонарей у школы в Балакове?")
    questions.record_answer(at_meeting, text="Ремонт в мае, подрядчик выбран.", at_meeting=True)
    questions.record_answer(later, text="Улица включена в план на следующий год.", at_meeting=False)
    campaign.to_appeal(appealed)
    case = appealed.case
    staff = make_user(Role.EXECUTOR, username="office", agency=meetings["deputy"].office)
    actions.start_work(case, staff)
    actions.write_answer(
        case, staff, text="Направлен депутатский запрос, ремонт до 1 июня.", kind=AnswerKind.FINAL
    )

    found = questions.analyse(CampaignEvent.objects.filter(pk=past.pk))
    total = found.total
    assert (total.questions, total.at_meeting, total.later, total.appeals) == (4, 1, 2, 1)
    assert total.answered_pct == 75.0 and total.appeals_answered == 1
    assert [(t.label, t.questions) for t in found.topics] == [("Дороги", 3), ("Освещение", 1)]
    assert [(t.label, t.questions) for t in found.districts] == [("Энгельсский район", 4)]
    assert len(found.weeks) == 1 and found.weeks[0].key == questions.week_of(past.starts_at)
    assert [a.case_id for a in found.appeals] == [case.pk] and found.appeals[0].answered_at is not None
    states = {r.pk: r.state for r in found.rows}
    assert states[unanswered.pk] == "" and states[appealed.pk] == questions.BY_APPEAL

    everything = questions.analyse(CampaignEvent.objects.all())
    assert everything.total.questions == 5 and everything.meetings == 3
    assert {t.label: t.questions for t in everything.districts} == {
        "Энгельсский район": 4,
        "Балаковский район": 1,
    }


def test_the_whole_calendar_by_filters(meetings):
    events = CampaignEvent.objects.all()
    assert list(campaign.filter_events(events, when="upcoming")) == [meetings["coming"]]
    assert list(campaign.filter_events(events, when="past")) == [meetings["foreign"], meetings["past"]]
    assert set(campaign.filter_events(events, district=meetings["engels"])) == {meetings["past"]}
    assert set(campaign.filter_events(events, deputy=meetings["deputy"])) == {
        meetings["past"],
        meetings["coming"],
    }
    assert list(campaign.filter_events(events, candidate="Кузнецова Анна Львовна")) == [meetings["foreign"]]
    week_ago = timezone.localdate() - timedelta(days=7)
    assert list(campaign.filter_events(events, date_from=week_ago, date_to=timezone.localdate())) == [
        meetings["foreign"]
    ]


def test_the_pages_and_the_spreadsheet_are_scoped_by_faction(client, meetings):
    campaign.record_question(meetings["past"], text="Когда заделают яму на дороге у остановки?")
    campaign.record_question(meetings["foreign"], text='=HYPERLINK("http://x") нет фонарей у школы')
    client.login(username="coord", password=PASSWORD)
    listed = client.get("/elections/events/", {"when": "all"})
    assert {e.pk for e in listed.context["events"]} == {meetings["past"].pk, meetings["coming"].pk}
    page = client.get("/elections/events/questions/")
    assert page.status_code == 200 and page.context["analysis"].total.questions == 1
    sheet = client.get("/elections/events/questions.xlsx")
    assert sheet.status_code == 200
    book = load_workbook(BytesIO(sheet.content))
    rows = list(book[book.sheetnames[0]].values)
    assert len(rows) == 2 and "яму" in rows[1][6]

    client.login(username="chief", password=PASSWORD)
    sheet = client.get("/elections/events/questions.xlsx", {"district": meetings["balakovo"].pk})
    book = load_workbook(BytesIO(sheet.content))
    cells = [row[6] for row in book[book.sheetnames[0]].iter_rows(min_row=2)]
    assert [c.value for c in cells] == ['=HYPERLINK("http://x") нет фонарей у школы']
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)  # text, never a formula
    assert set(book.sheetnames) >= {"Вопросы", "По темам", "По районам", "По неделям"}
    client.login(username="anna", password=PASSWORD)  # an observer
    assert client.get("/elections/events/questions/").status_code == 403


def test_answering_on_the_meeting_page(client, meetings):
    question = campaign.record_question(meetings["past"], text="Когда заделают яму на дороге у остановки?")
    client.login(username="coord", password=PASSWORD)
    page = f"/elections/events/{meetings['past'].pk}/"
    answered = client.post(
        page,
        {
            "action": "answer",
            "question": question.pk,
            "answer": "В мае, подрядчик выбран.",
            "at_meeting": "on",
        },
    )
    assert answered.status_code == 302
    question.refresh_from_db()
    assert question.answered_at_meeting and question.answer == "В мае, подрядчик выбран."
    assert "Ответ дан на встрече" in client.get(page).content.decode()
    foreign = campaign.record_question(meetings["foreign"], text="Почему нет фонарей у школы в Балакове?")
    stranger = f"/elections/events/{meetings['foreign'].pk}/"
    assert (
        client.post(
            stranger, {"action": "answer", "question": foreign.pk, "answer": "Чужой ответ"}
        ).status_code
        == 404
    )
