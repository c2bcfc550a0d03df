"""Types of violations: the seeded reference list, the type an observer's words name, on the form,
the Telegram report, the hotline and the API; the lawyers' list and spreadsheet by type; the map's
filter; a lawyer corrects a type."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from otklik.elections import dashboard, hotline, reports, violations
from otklik.elections.models import (
    CallKind,
    ChecklistQuestion,
    Incident,
    IncidentStatus,
    ReportKind,
    ViolationType,
)
from otklik.testing.factories import PASSWORD

from .test_api import basic

pytestmark = pytest.mark.django_db


def kind(code: str) -> ViolationType:
    return ViolationType.objects.get(code=code)


def test_the_common_kinds_are_seeded():
    codes = [t.code for t in violations.active_types()]
    assert codes == ["stuffing", "carousel", "pressure", "observers", "mobile_box", "campaigning", "other"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Вброс: пачку бюллетеней опустили в ящик", "stuffing"),
        ("вбросили бюллетени, наблюдателя удалили", "stuffing"),  # the earliest named decides
        ("Наблюдателя удалили после того, как он заметил вброс", "observers"),
        ("КАРУСЕЛЬ — автобус с людьми", "carousel"),
        ("Голосование на дому без заявлений, переносной ящик не опечатан", "mobile_box"),
        ("Агитационные листовки у входа", "campaigning"),
        ("Работников завода принуждают фотографировать бюллетени", "pressure"),
        ("Подвоз избирателей", "carousel"),
        ("Что-то непонятное происходит", "other"),
        ("Перевброс", "other"),  # keywords match at the start of a word only
    ],
)
def test_the_type_an_observers_words_name(text, code):
    assert violations.classify(text).code == code


def test_a_report_keeps_the_chosen_type_or_the_one_its_text_names(day):
    e, anna = day["election"], day["anna"]
    chosen = reports.file_report(
        observer=anna,
        election=e,
        kind=ReportKind.VIOLATION,
        text="Агитация у входа, раздают газеты кандидата",
        violation_type=kind("carousel"),
    )
    named = reports.file_report(
        observer=anna, election=e, kind=ReportKind.VIOLATION, text="Вброс пачки бюллетеней в 11:20"
    )
    turnout = reports.file_report(observer=anna, election=e, kind=ReportKind.TURNOUT, turnout=10)
    assert chosen.violation_type.code == "carousel" and named.violation_type.code == "stuffing"
    assert turnout.violation_type is None


def test_a_critical_no_at_the_opening_takes_the_questions_type(day):
    e = day["election"]
    sealed = ChecklistQuestion.objects.create(
        election=e, text="Ящики опечатаны?", critical=True, violation_type=kind("stuffing")
    )
    allowed = ChecklistQuestion.objects.create(election=e, text="Наблюдателей допустили?", critical=True)
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.OPENED, checklist={sealed.pk: False}
    )
    reports.file_report(
        observer=day["boris"], election=e, kind=ReportKind.OPENED, checklist={allowed.pk: False}
    )
    by_station = {i.report.station.number: i.report.violation_type.code for i in Incident.objects.all()}
    assert by_station == {101: "stuffing", 201: "other"}


def test_a_hotline_violation_carries_its_type_to_the_incident(day):
    call = hotline.take_call(
        operator=day["chief"],
        election=day["election"],
        kind=CallKind.VIOLATION,
        phone="+7 927 555-12-34",
        text="Сына заставляют голосовать при начальнике",
        station=day["s2"],
    )
    assert call.violation_type.code == "pressure" and call.report.violation_type.code == "pressure"
    question = hotline.take_call(
        operator=day["chief"],
        election=day["election"],
        kind=CallKind.QUESTION,
        phone="89270001122",
        text="Где мой участок?",
    )
    assert question.violation_type is None


def test_the_hotline_form_asks_for_the_type(client, day):
    client.login(username="chief", password=PASSWORD)
    data = {"kind": "violation", "phone": "89270001122", "station": "101", "text": "Вбросили бюллетени"}
    assert client.post("/elections/calls/", data).status_code == 400
    assert client.post("/elections/calls/", data | {"violation_type": kind("stuffing").pk}).status_code == 302
    assert Incident.objects.get().report.violation_type.code == "stuffing"


def _incidents(day) -> dict[str, Incident]:
    e = day["election"]
    made = {}
    for who, code, text in (
        ("anna", "stuffing", "Пачка бюллетеней в ящике"),
        ("boris", "campaigning", "Агитация у входа на участок"),
        ("anna", "observers", "Наблюдателя не пускают к столу"),
    ):
        report = reports.file_report(
            observer=day[who], election=e, kind=ReportKind.VIOLATION, text=text, violation_type=kind(code)
        )
        made[code] = report.incident
    reports.close_incident(
        reports.take_incident(made["observers"], day["lawyer"]),
        day["lawyer"],
        status=IncidentStatus.RESOLVED,
        resolution="Наблюдателя допустили после звонка в ТИК.",
    )
    return made


def test_the_lawyers_list_and_spreadsheet_by_type(client, day):
    made = _incidents(day)
    client.login(username="lawyer", password=PASSWORD)
    page = client.get("/elections/incidents/", {"type": kind("stuffing").pk})
    assert page.status_code == 200 and [i.pk for i in page.context["page"]] == [made["stuffing"].pk]
    assert "1 инцидент" in page.content.decode()
    both_open = client.get("/elections/incidents/", {"status": "open"}).context["page"]
    assert {i.pk for i in both_open} == {made["stuffing"].pk, made["campaigning"].pk}
    engels = day["s1"].commission
    by_commission = client.get("/elections/incidents/", {"commission": engels.pk}).context["page"]
    assert {i.pk for i in by_commission} == {made["stuffing"].pk, made["observers"].pk}
    sheet = client.get("/elections/incidents.xlsx", {"type": kind("campaigning").pk})
    ws = load_workbook(io.BytesIO(sheet.content)).active
    header = [c.value for c in ws[3]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert len(rows) == 1
    assert rows[0][header.index("Тип нарушения")] == "Агитация в день голосования"
    everything = load_workbook(io.BytesIO(client.get("/elections/incidents.xlsx").content)).active
    assert everything.max_row == 6  # title, blank, header and the three incidents


def test_the_map_knows_the_types_of_open_incidents(day):
    made = _incidents(day)
    day["s1"].lat, day["s1"].lon = 51.5, 46.1
    day["s1"].save()
    points = {p["n"]: p for p in dashboard.build(day["election"]).points}
    assert points[101]["v"] == [kind("stuffing").pk]  # the closed one ("observers") no longer counts
    assert made["stuffing"].report.station.number == 101


def test_a_lawyer_corrects_the_type_and_an_observer_cannot(client, day):
    made = _incidents(day)
    incident = made["campaigning"]
    client.login(username="lawyer", password=PASSWORD)
    page = client.get(f"/elections/incidents/{incident.pk}/")
    assert "Агитация в день голосования" in page.content.decode()
    changed = client.post(
        f"/elections/incidents/{incident.pk}/", {"action": "retype", "violation_type": kind("pressure").pk}
    )
    assert changed.status_code == 302
    incident.report.refresh_from_db()
    assert incident.report.violation_type.code == "pressure"
    with pytest.raises(PermissionDenied):
        reports.retype_incident(incident, day["anna"], kind("other"))
    client.login(username="anna", password=PASSWORD)
    assert client.get("/elections/incidents/").status_code == 403


def test_the_api_takes_a_types_code_and_lists_them(client, day):
    anna = basic("anna")
    listed = client.get("/api/elections/violation-types/", **anna).json()
    assert [t["code"] for t in listed["results"]][:2] == ["stuffing", "carousel"]
    sent = client.post(
        "/api/elections/reports/",
        {
            "kind": "violation",
            "text": "Выносят переносной ящик без заявлений",
            "violation_type": "mobile_box",
        },
        **anna,
    )
    assert sent.status_code == 201 and sent.json()["violation_type"] == "mobile_box"
    guessed = client.post(
        "/api/elections/reports/", {"kind": "violation", "text": "Карусель: автобус у школы"}, **anna
    )
    assert guessed.json()["violation_type"] == "carousel"
    wrong = client.post(
        "/api/elections/reports/",
        {"kind": "violation", "text": "Что-то не так", "violation_type": "x"},
        **anna,
    )
    assert wrong.status_code == 400 and "violation_type" in wrong.json()
    incidents = client.get("/api/elections/incidents/", **basic("lawyer")).json()["results"]
    assert {i["violation_type"] for i in incidents} == {"mobile_box", "carousel"}
