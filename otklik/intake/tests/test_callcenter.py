"""The call-center operator's form: who may use it, and a call becoming a case in the queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.intake.callers import find_caller_cases, phone_digits
from otklik.intake.connectors.base import connector_for
from otklik.intake.models import DeadLetter, Message
from otklik.intake.pipeline import Stage
from otklik.testing.factories import PASSWORD, make_agency, make_case, make_source, make_user
from otklik.understanding import places

pytestmark = pytest.mark.django_db
URL = "/callcenter/"


def call(**overrides) -> dict:
    data = {
        "phone": "+7 927 555-12-34",
        "caller_name": "Пётр Иванович",
        "transcript": "Звонит житель: во дворе дома 7 на улице Мира прорвало трубу, вода заливает подвал",
        "district": "",
        "address": "ул. Мира, 7",
        "callback_wanted": "on",
        "form_token": uuid.uuid4().hex,
    }
    data.update(overrides)
    return data


def login(client, user) -> None:
    assert client.login(username=user.username, password=PASSWORD)


def test_only_center_staff_enter_calls(client, region):
    assert reverse("callcenter:form") == URL
    assert client.get(URL).status_code == 302  # anonymous: to the login page
    executor = make_user(Role.EXECUTOR, agency=make_agency())
    login(client, executor)
    assert client.get(URL).status_code == 403
    assert client.post(URL, call()).status_code == 403
    login(client, make_user(Role.ANALYST))
    assert client.get(URL).status_code == 403
    assert not Message.objects.exists()
    for role in (Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR):
        login(client, make_user(role))
        assert client.get(URL).status_code == 200


def test_a_call_becomes_a_phone_case_in_the_queue(client, region):
    operator = make_user(Role.MODERATOR)
    login(client, operator)
    district = Territory.objects.get(name="Энгельсский район")
    response = client.post(URL, call(district=str(district.pk)))
    message = Message.objects.get()
    case = message.case
    assert case is not None
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk])
    assert (message.channel, case.channel, message.source.code) == (
        Channel.PHONE,
        Channel.PHONE,
        "call-center",
    )
    assert (message.author_contact, message.author_name) == ("+7 927 555-12-34", "Пётр Иванович")
    assert message.author_id == "tel:79275551234"
    assert message.raw["call"] == {
        "callback_wanted": True,
        "operator": operator.username,
        "district_id": district.pk,
        "address": "ул. Мира, 7",
    }
    assert message.text.endswith("Энгельсский район, ул. Мира, 7")
    answer = Answer.objects.create(case=case, text="Трубу заменят завтра.")
    reply = connector_for(message.source).publish_reply(case, answer, message)
    assert (reply.sent, reply.detail) == (False, "call back +7 927 555-12-34")  # a person calls back
    queue = client.get(reverse("cases:queue"), {"tab": "all"})
    assert f'data-case="{case.number}"' in queue.content.decode()


def test_a_double_submit_registers_one_call(client, region):
    login(client, make_user(Role.SUPERVISOR))
    data = call()
    first, second = client.post(URL, data), client.post(URL, data)
    assert first["Location"] == second["Location"]
    assert Message.objects.count() == 1 and Case.objects.count() == 1


def test_a_call_without_phone_or_transcript_is_refused(client, region):
    login(client, make_user(Role.MODERATOR))
    response = client.post(URL, call(phone="нет", transcript=""))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"phone", "transcript"}
    assert not Message.objects.exists()


def test_a_call_the_pipeline_fails_on_is_kept_in_dead_letters_and_the_operator_sees_why(
    client, region, monkeypatch
):

    def broken(*args, **kwargs):
        raise RuntimeError("gazetteer unavailable")

    monkeypatch.setattr(places, "locate", broken)
    login(client, make_user(Role.MODERATOR))
    data = call()
    response = client.post(URL, data)

    assert response.status_code == 400
    assert "gazetteer unavailable" in response.content.decode()
    assert not Message.objects.exists() and not Case.objects.exists()
    letter = DeadLetter.objects.get()
    assert letter.stage == Stage.PLACE and "прорвало трубу" in letter.payload
    assert letter.external_id == f"call-{data['form_token']}"


# --- finding the caller -------------------------------------------------------------------------


def caller_message(case: Case, *, phone_id: str = "", name: str = "") -> Message:
    return Message.objects.create(
        source=make_source("call-center", channel=Channel.PHONE),
        external_id=f"call-{uuid.uuid4().hex}",
        channel=Channel.PHONE,
        case=case,
        text=case.text,
        author_id=phone_id,
        author_name=name,
        posted_at=case.created_at,
    )


@pytest.mark.parametrize(
    "written", ["+7 927 555-12-34", "8 (927) 555 12 34", "89275551234", "927-555-12-34", "+79275551234"]
)
def test_phone_digits_drop_the_prefix_spaces_and_dashes(written):
    assert phone_digits(written) == "9275551234"


def test_a_registered_call_is_found_by_its_phone_written_any_way(client, region):
    login(client, make_user(Role.MODERATOR))
    client.post(URL, call())
    case = Message.objects.get().case
    for written in ("8 927 555 12 34", "+7(927)555-12-34", "9275551234"):
        page = client.get(URL, {"caller": written})
        assert page.status_code == 200
        assert [c.pk for c in page.context["lookup"].cases] == [case.pk]
        html = page.content.decode()
        assert reverse("cases:detail", args=[case.pk]) in html and case.number in html
        assert case.get_status_display() in html
        assert timezone.localtime(case.created_at).strftime("%d.%m.%Y") in html  # the local day
    # the call form is filled in with the number looked up
    assert page.context["form"].initial["phone"] == "9275551234"
    assert client.get(URL, {"caller": "8 927 555 00 00"}).context["lookup"].cases == []


def test_a_caller_is_found_by_name_ignoring_yo_and_case(client, region):
    nine_days_ago = timezone.now() - timedelta(days=9)
    older = make_case(text="Не вывозят мусор", with_message=False, created_at=nine_days_ago)
    newer = make_case(text="Яма во дворе", with_message=False)
    other = make_case(text="Шумят соседи", with_message=False)
    caller_message(older, phone_id="tel:79270000001", name="Пётр Иванович Семёнов")
    caller_message(newer, phone_id="tel:89270000002", name="Петр Семенов")
    caller_message(other, phone_id="tel:79270000003", name="Анна Петрова")
    login(client, make_user(Role.SUPERVISOR))
    page = client.get(URL, {"caller": "семенов"})
    assert [c.pk for c in page.context["lookup"].cases] == [newer.pk, older.pk]  # newest first
    assert [c.pk for c in client.get(URL, {"caller": "ПЁТР ИВАНОВИЧ"}).context["lookup"].cases] == [older.pk]
    assert client.get(URL, {"caller": "Пе"}).context["lookup"].too_short


def test_the_look_up_shows_only_the_cases_the_user_may_see(region):
    mine, theirs = make_agency(), make_agency()
    own = make_case(agency=mine, with_message=False)
    foreign = make_case(agency=theirs, with_message=False)
    for case in (own, foreign):
        caller_message(case, phone_id="tel:79275551234", name="Пётр")
    executor = make_user(Role.EXECUTOR, agency=mine)
    assert [c.pk for c in find_caller_cases(executor, "8 927 555-12-34").cases] == [own.pk]
    assert {c.pk for c in find_caller_cases(make_user(Role.MODERATOR), "Пётр").cases} == {own.pk, foreign.pk}


def test_the_look_up_shows_the_latest_cases_and_says_there_are_more(region):
    for _ in range(3):
        caller_message(make_case(with_message=False), phone_id="tel:9275551234")
    lookup = find_caller_cases(make_user(Role.MODERATOR), "+7 927 555 12 34", limit=2)
    assert len(lookup.cases) == 2 and lookup.more


def test_a_call_center_operator_enters_calls_and_sees_only_the_cases_they_registered(client, region):
    operator, colleague = make_user(Role.CALL_OPERATOR), make_user(Role.CALL_OPERATOR)
    login(client, colleague)
    client.post(
        URL,
        call(phone="+7 927 111-22-33", transcript="На остановке у рынка разбит павильон", address=""),
    )
    theirs = Message.objects.get().case
    login(client, operator)
    assert client.get(URL).status_code == 200
    response = client.post(URL, call())
    mine = Message.objects.get(author_id="tel:79275551234").case
    assert response["Location"] == reverse("cases:detail", args=[mine.pk])
    assert client.get(reverse("cases:detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("cases:detail", args=[theirs.pk])).status_code == 404
    other = make_case()  # a message from a social network: not the operator's
    assert list(Case.objects.visible_to(operator)) == [mine]
    assert other not in find_caller_cases(operator, "Пётр").cases
    assert [c.pk for c in find_caller_cases(operator, "+7 927 111-22-33").cases] == []
    assert [c.pk for c in find_caller_cases(colleague, "+7 927 111-22-33").cases] == [theirs.pk]
