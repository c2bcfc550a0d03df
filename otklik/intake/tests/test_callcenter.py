"""The call-center operator's form: who may use it, and a call becoming a case in the queue."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.intake.connectors.base import connector_for
from otklik.intake.models import DeadLetter, Message
from otklik.intake.pipeline import Stage
from otklik.testing.factories import PASSWORD, make_agency, make_user
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
