"""The authenticated webhook: HMAC or bearer token, one item or a list, 400 + dead letters, idempotent."""

from __future__ import annotations

import json

import pytest

from otklik.cases.choices import AnswerStatus
from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.intake.connectors.webhook import SIGNATURE_HEADER, sign
from otklik.intake.fakes.server import FakeServer, Request, Response
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.replies import publish_reply

pytestmark = pytest.mark.django_db
SECRET = "s3cr3t-hmac-key"
URL = "/intake/webhook/partner/"
ITEM = {
    "external_id": "p-1",
    "text": "Третий день нет горячей воды на ул. Тельмана в Энгельсе",
    "posted_at": "2026-03-03T08:00:00+04:00",
    "author_name": "Ирина",
}


@pytest.fixture
def source(monkeypatch) -> Source:
    monkeypatch.setenv("OTKLIK_TEST_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("OTKLIK_TEST_WEBHOOK_TOKEN", "bearer-token")
    return Source.objects.create(
        code="partner",
        name="Партнёрская система",
        channel=Channel.SOCIAL,
        connector="webhook",
        settings={"secret_env": "OTKLIK_TEST_WEBHOOK_SECRET", "token_env": "OTKLIK_TEST_WEBHOOK_TOKEN"},
    )


def post_signed(client, body: bytes, secret: str = SECRET, url: str = URL):
    return client.post(
        url, body, content_type="application/json", headers={SIGNATURE_HEADER: sign(secret, body)}
    )


def test_signed_item_makes_a_case(region, client, source):
    response = post_signed(client, json.dumps(ITEM).encode())

    assert response.status_code == 200, response.json()
    assert response.json()["accepted"] == 1 and response.json()["created_cases"] == 1
    message = Message.objects.get()
    assert (message.source, message.external_id, message.author_name) == (source, "p-1", "Ирина")


def test_the_same_delivery_twice_is_a_no_op(region, client, source):
    body = json.dumps(
        [ITEM, {**ITEM, "external_id": "p-2", "text": "Огромная яма на дороге у остановки"}]
    ).encode()
    assert post_signed(client, body).status_code == 200
    cases = Case.objects.count()

    again = post_signed(client, body)

    assert again.status_code == 200 and again.json()["duplicates"] == 2 and again.json()["accepted"] == 0
    assert Case.objects.count() == cases and Message.objects.count() == 2


def test_bearer_token_is_accepted(region, client, source):
    response = client.post(
        URL,
        json.dumps(ITEM),
        content_type="application/json",
        headers={"Authorization": "Bearer bearer-token"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({SIGNATURE_HEADER: "sha256=" + "0" * 64}, 401),
        ({"Authorization": "Bearer wrong"}, 401),
        ({}, 401),
    ],
)
def test_bad_or_missing_credentials_are_refused(region, client, source, headers, status):
    response = client.post(URL, json.dumps(ITEM), content_type="application/json", headers=headers)
    assert response.status_code == status and "error" in response.json()
    assert not Message.objects.exists()


def test_signature_of_another_body_is_refused(region, client, source):
    body = json.dumps(ITEM).encode()
    response = client.post(
        URL,
        body.replace(b"p-1", b"p-9"),
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(SECRET, body)},
    )
    assert response.status_code == 401


def test_webhook_without_configured_secret_accepts_nothing(region, client, source, monkeypatch):
    monkeypatch.delenv("OTKLIK_TEST_WEBHOOK_SECRET")
    monkeypatch.delenv("OTKLIK_TEST_WEBHOOK_TOKEN")
    response = post_signed(client, json.dumps(ITEM).encode())
    assert response.status_code == 403


def test_body_that_is_not_json_is_a_400_and_a_dead_letter(region, client, source):
    response = post_signed(client, b"{not json")

    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    letter = DeadLetter.objects.get()
    assert letter.payload == "{not json" and letter.source == source

    assert post_signed(client, b"{not json").status_code == 400  # sent again: kept once, read twice
    assert DeadLetter.objects.get().attempts == 2


def test_invalid_items_are_400_with_reasons_and_valid_ones_go_through(region, client, source):
    body = json.dumps(
        [ITEM, {"external_id": "p-2", "text": ""}, {**ITEM, "external_id": "p-3", "posted_at": "вчера"}]
    )

    response = post_signed(client, body.encode())

    assert response.status_code == 400
    data = response.json()
    assert data["accepted"] == 1 and data["dead_letters"] == 2
    assert [e["index"] for e in data["errors"]] == [1, 2]
    assert "“text”" in data["errors"][0]["reason"] and "ISO 8601" in data["errors"][1]["reason"]
    assert set(DeadLetter.objects.values_list("external_id", flat=True)) == {"p-2", "p-3"}
    assert list(Message.objects.values_list("external_id", flat=True)) == ["p-1"]

    post_signed(client, body.encode())  # sent again: no second dead letter, no second message
    assert DeadLetter.objects.count() == 2 and Message.objects.count() == 1


def test_unknown_source_get_and_other_connectors_are_refused(region, client, source):
    Source.objects.create(code="vk-x", name="VK", channel=Channel.VK, connector="vk")
    assert post_signed(client, json.dumps(ITEM).encode(), url="/intake/webhook/nope/").status_code == 404
    assert post_signed(client, json.dumps(ITEM).encode(), url="/intake/webhook/vk-x/").status_code == 404
    assert client.get(URL).status_code == 405


class ReplySink(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[Request] = []

    def handle(self, request: Request) -> Response:
        self.received.append(request)
        return Response(202, {"ok": True})


def test_reply_is_posted_back_signed(region, client, source, settings):
    post_signed(client, json.dumps(ITEM).encode())
    case = Message.objects.get().case
    answer = Answer.objects.create(case=case, text="Воду дадут к 18:00.", status=AnswerStatus.APPROVED)
    settings.OTKLIK_SEND_REPLIES = True
    with ReplySink() as sink:
        source.settings = {**source.settings, "reply_url": f"{sink.url}/replies"}
        source.save()

        result = publish_reply(case, answer)

    assert result["sent"] is True
    [request] = sink.received
    assert request.json() == {"external_id": "p-1", "case": case.number, "text": answer.text}
    assert request.headers[SIGNATURE_HEADER.lower()] == sign(SECRET, request.body)
