"""Campaign meetings across regions (issue 17, point 6): a regional coordinator sees only the
meetings of their factions held in their regions — the calendar, a meeting's page, the analysis of
the questions and its spreadsheet — and enters meetings only there; the party's headquarters (a
coordinator bound to no region) and the center see every region's, and may pick one region."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from otklik.accounts.choices import Role
from otklik.deputies.models import Faction, RegionalCoordinator
from otklik.deputies.services import make_deputy
from otklik.directory.choices import TerritoryKind
from otklik.elections import campaign
from otklik.elections.models import CampaignEvent
from otklik.testing.factories import make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def regions() -> dict:
    saratov = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    samara = make_territory("Самарская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=saratov)
    syzran = make_territory("Сызранский район", parent=samara)
    village = make_territory("село Заборовка", kind=TerritoryKind.SETTLEMENT, parent=syzran)
    party = Faction.objects.create(name="Фракция «Созидание»")
    ivanov = make_deputy(
        "Иванов Пётр Сергеевич", council="Саратовская областная дума", region=saratov, faction=party
    )
    orlov = make_deputy(
        "Орлов Игорь Семёнович", council="Самарская губернская дума", region=samara, faction=party
    )
    past = timezone.now() - timedelta(days=3)

    def meeting(candidate: str, question: str, **fields) -> CampaignEvent:
        event = CampaignEvent.objects.create(candidate=candidate, starts_at=past, place="ДК", **fields)
        campaign.record_question(event, text=question)
        return event

    held = {
        "engels": meeting(
            ivanov.full_name, "Когда починят мост через Волгу в Энгельсе?", deputy=ivanov, territory=engels
        ),
        "syzran": meeting(
            orlov.full_name, "Когда откроют поликлинику в Сызрани?", deputy=orlov, territory=syzran
        ),
        # a party candidate's meeting in a village of the Samara region, no deputy
        "village": meeting(
            "Новиков Олег", "Будет ли автобус до Заборовки зимой?", faction=party, territory=village
        ),
        # entered without a territory: the deputy's region
        "orlov": meeting(orlov.full_name, "Где взять справку о газификации дома?", deputy=orlov),
    }
    hq = make_user(Role.COORDINATOR, username="party-hq")
    regional = make_user(Role.COORDINATOR, username="samara-coordinator")
    party.coordinators.add(hq, regional)
    RegionalCoordinator.objects.create(user=regional, region=samara)
    return {
        "saratov": saratov,
        "samara": samara,
        "engels": engels,
        "syzran": syzran,
        "party": party,
        "ivanov": ivanov,
        "orlov": orlov,
        "held": held,
        "hq": hq,
        "regional": regional,
    }


def _pks(events) -> set[int]:
    return {e.pk for e in events}


def test_a_regional_coordinator_sees_only_their_regions_meetings(regions):
    held = regions["held"]
    samara = {held["syzran"].pk, held["village"].pk, held["orlov"].pk}
    assert _pks(campaign.visible_events(regions["regional"])) == samara
    assert _pks(campaign.visible_events(regions["hq"])) == samara | {held["engels"].pk}
    assert list(campaign.territories_for(regions["regional"]).filter(pk=regions["engels"].pk)) == []


def test_the_calendar_and_a_meetings_page_of_a_regional_coordinator(client, regions):
    held = regions["held"]
    client.force_login(regions["regional"])
    listed = client.get("/elections/events/", {"when": "all"})
    assert _pks(listed.context["events"]) == {held["syzran"].pk, held["village"].pk, held["orlov"].pk}
    assert "Иванов" not in listed.content.decode()  # not even in the deputy filter
    # Asking for the other region changes nothing: it is not a choice of theirs.
    other = client.get("/elections/events/", {"when": "all", "region": regions["saratov"].pk})
    assert held["engels"].pk not in _pks(other.context["events"])
    assert client.get(f"/elections/events/{held['engels'].pk}/").status_code == 404
    assert client.get(f"/elections/events/{held['village'].pk}/").status_code == 200


def test_the_questions_analysis_and_its_spreadsheet_keep_to_the_region(client, regions):
    client.force_login(regions["regional"])
    page = client.get("/elections/events/questions/")
    assert page.context["analysis"].total.questions == 3 and page.context["analysis"].meetings == 3
    assert "Энгельсский" not in page.content.decode()
    answer = client.get("/elections/events/questions.xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "Заборовки" in cells and "мост через Волгу" not in cells and "Энгельсский" not in cells


def test_the_headquarters_sees_every_region_and_picks_one(client, regions):
    held = regions["held"]
    client.force_login(regions["hq"])
    everything = client.get("/elections/events/", {"when": "all"})
    assert len(everything.context["events"]) == 4 and "region" in everything.context["filters"].fields
    samara = client.get("/elections/events/", {"when": "all", "region": regions["samara"].pk})
    assert _pks(samara.context["events"]) == {held["syzran"].pk, held["village"].pk, held["orlov"].pk}
    book = load_workbook(
        io.BytesIO(client.get("/elections/events/questions.xlsx", {"region": regions["saratov"].pk}).content)
    )
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value)
    assert "мост через Волгу" in cells and "Заборовки" not in cells
    # The situational center too.
    client.force_login(make_user(Role.SUPERVISOR, username="chief"))
    assert len(client.get("/elections/events/", {"when": "all"}).context["events"]) == 4


def test_a_regional_coordinator_enters_meetings_only_in_their_region(client, regions):
    client.force_login(regions["regional"])
    starts = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    base = {
        "candidate": "Новиков Олег",
        "starts_at": starts,
        "place": "Школа № 2",
        "faction": regions["party"].pk,
    }
    before = CampaignEvent.objects.count()
    assert client.post("/elections/events/", {**base, "territory": regions["engels"].pk}).status_code == 400
    assert client.post("/elections/events/", {**base, "deputy": regions["ivanov"].pk}).status_code == 400
    assert client.post("/elections/events/", base).status_code == 400  # where is it held?
    assert CampaignEvent.objects.count() == before
    added = client.post("/elections/events/", {**base, "territory": regions["syzran"].pk})
    assert added.status_code == 302
    event = CampaignEvent.objects.get(candidate="Новиков Олег", territory=regions["syzran"])
    assert event.pk in _pks(campaign.visible_events(regions["regional"]))
