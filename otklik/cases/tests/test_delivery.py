"""The outbox of replies: queued with the publication, sent after the commit outside the case's lock,
retried with back-off, shown on the card and in the queue, sent again by the center."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions, delivery, notifications
from otklik.cases.choices import AnswerStatus, CaseStatus, DeliveryStatus, EventKind
from otklik.cases.models import Answer, ReplyDelivery
from otklik.testing.factories import PASSWORD, make_agency, make_case, make_category, make_user

pytestmark = pytest.mark.django_db


class Network:
    """A fake reply publisher: answers what it is told, one outcome per call, and records the calls."""

    def __init__(self, *outcomes: dict) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[int, int, bool]] = []

    def __call__(self, case, answer):
        # how deep in transactions the network is called (the test's own wraps each test)
        self.calls.append((case.pk, answer.pk, len(connection.atomic_blocks)))
        return self.outcomes.pop(0)


SENT = {"sent": True, "external_id": "wall-1_2_r3", "detail": "https://vk.com/wall-1_2?reply=3"}
DOWN = {"sent": False, "reason": "VK: HTTP 503", "retriable": True}
REFUSED = {"sent": False, "reason": "VK wall.createComment: error 15 Access denied", "retriable": False}


@pytest.fixture
def network(monkeypatch, settings):
    settings.OTKLIK_SEND_REPLIES = True
    settings.OTKLIK_REPLY_RETRY_SECONDS = 60
    settings.OTKLIK_REPLY_MAX_ATTEMPTS = 3
    fake = Network()
    monkeypatch.setattr(notifications, "_reply_publisher", fake)
    return fake


@pytest.fixture
def approved():
    agency = make_agency("Администрация Энгельсского района")
    case = make_case(status=CaseStatus.APPROVED, agency=agency, category=make_category("Дороги"))
    answer = Answer.objects.create(case=case, text="Яму заделают до пятницы.", status=AnswerStatus.APPROVED)
    return answer


def publish(answer, user, capture, **kw):
    with capture(execute=True):
        return actions.publish_answer(answer, user, **kw)


def test_reply_is_queued_in_the_transaction_and_sent_after_commit(
    approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [SENT]
    moderator = make_user(Role.MODERATOR)
    outside = len(connection.atomic_blocks)

    publish(approved, moderator, django_capture_on_commit_callbacks)

    reply = ReplyDelivery.objects.get(answer=approved)
    assert reply.status == DeliveryStatus.SENT and reply.attempts == 1
    assert reply.url == "https://vk.com/wall-1_2?reply=3" and reply.external_id == "wall-1_2_r3"
    [(case_id, answer_id, depth)] = network.calls
    assert (case_id, answer_id) == (approved.case_id, approved.pk)
    assert depth == outside  # never inside the transaction that publishes and holds the case's lock
    approved.case.refresh_from_db()
    assert approved.case.status == CaseStatus.PUBLISHED
    assert approved.case.events.filter(kind=EventKind.REPLY_SENT).count() == 1


def test_nothing_is_sent_for_a_publication_that_rolls_back(
    approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [SENT]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.publish_answer(approved, make_user(Role.MODERATOR))
    assert network.calls == [] and len(callbacks) == 1  # the send waits for the commit


def test_a_retriable_failure_backs_off_exponentially_then_gives_up(
    approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [DOWN, DOWN, DOWN]
    now = timezone.now()
    publish(approved, make_user(Role.MODERATOR), django_capture_on_commit_callbacks, now=now)
    reply = ReplyDelivery.objects.get(answer=approved)
    # the after-commit attempt ran with the clock of the moment, the first retry is 60 s after it
    assert reply.status == DeliveryStatus.QUEUED and reply.attempts == 1
    first_retry = reply.next_attempt_at - reply.last_attempt_at
    assert first_retry == timedelta(seconds=60)

    assert delivery.send_due_replies(now=reply.last_attempt_at + timedelta(seconds=59)) == 0  # not yet
    at = reply.next_attempt_at
    assert delivery.send_due_replies(now=at) == 1
    reply.refresh_from_db()
    assert reply.attempts == 2 and reply.next_attempt_at - at == timedelta(seconds=120)

    assert delivery.send_due_replies(now=reply.next_attempt_at) == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED and reply.attempts == 3 and reply.next_attempt_at is None
    assert "HTTP 503" in reply.reason
    assert approved.case.events.filter(kind=EventKind.REPLY_FAILED).count() == 3


def test_a_refusal_fails_at_once_and_the_center_sends_it_again(
    approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [REFUSED, SENT]
    moderator = make_user(Role.MODERATOR)
    publish(approved, moderator, django_capture_on_commit_callbacks)
    reply = ReplyDelivery.objects.get(answer=approved)
    assert reply.status == DeliveryStatus.FAILED and "error 15" in reply.reason

    with pytest.raises(PermissionDenied):
        delivery.retry_delivery(reply, make_user(Role.EXECUTOR, agency=approved.case.agency))
    with django_capture_on_commit_callbacks(execute=True):
        delivery.retry_delivery(reply, moderator)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.reason == ""
    retry = approved.case.events.get(kind=EventKind.REPLY_RETRY)
    assert retry.actor == moderator
    with pytest.raises(ValidationError):
        delivery.retry_delivery(reply, moderator)  # a delivered reply is not sent twice


def test_staging_queues_nothing_and_says_so(
    approved, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.OTKLIK_SEND_REPLIES = False
    fake = Network(SENT)
    monkeypatch.setattr(notifications, "_reply_publisher", fake)
    publish(approved, make_user(Role.MODERATOR), django_capture_on_commit_callbacks)
    reply = ReplyDelivery.objects.get(answer=approved)
    assert reply.status == DeliveryStatus.STAGING and fake.calls == []
    assert delivery.send_due_replies() == 0
    assert not delivery.can_retry(reply)
    settings.OTKLIK_SEND_REPLIES = True  # switched on later: the center may send it now
    assert delivery.can_retry(reply)


def test_a_channel_without_automatic_replies_is_manual(approved, network, django_capture_on_commit_callbacks):
    network.outcomes = [{"sent": False, "reason": "call back +7 900 000-00-00"}]
    publish(approved, make_user(Role.MODERATOR), django_capture_on_commit_callbacks)
    reply = ReplyDelivery.objects.get(answer=approved)
    assert reply.status == DeliveryStatus.MANUAL and "call back" in reply.reason
    assert not delivery.can_retry(reply)


def test_a_worker_that_died_mid_send_is_taken_again(approved, network, django_capture_on_commit_callbacks):
    network.outcomes = [SENT]
    now = timezone.now()
    reply = ReplyDelivery.objects.create(
        answer=approved,
        case=approved.case,
        status=DeliveryStatus.SENDING,
        attempts=1,
        last_attempt_at=now - timedelta(minutes=20),
    )
    assert delivery.send_due_replies(now=now) == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.attempts == 2


def test_the_card_and_the_queue_show_the_delivery_and_the_retry_button(
    client, approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [REFUSED, SENT]
    moderator = make_user(Role.MODERATOR, username="mod")
    publish(approved, moderator, django_capture_on_commit_callbacks)
    reply = ReplyDelivery.objects.get(answer=approved)
    client.login(username="mod", password=PASSWORD)

    card = client.get(reverse("cases:detail", args=[approved.case_id])).content.decode()
    assert 'data-delivery="failed"' in card and "error 15" in card
    retry_url = reverse("cases:retry-reply", args=[approved.case_id, reply.pk])
    assert retry_url in card
    queue = client.get(reverse("cases:queue") + "?tab=all").content.decode()
    assert 'data-delivery="failed"' in queue and retry_url in queue

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url, {"next": reverse("cases:queue")})
    assert response.status_code == 302 and response["Location"] == reverse("cases:queue")
    card = client.get(reverse("cases:detail", args=[approved.case_id])).content.decode()
    assert 'data-delivery="sent"' in card and 'href="https://vk.com/wall-1_2?reply=3"' in card


def test_an_executor_sees_the_delivery_but_cannot_retry(
    client, approved, network, django_capture_on_commit_callbacks
):
    network.outcomes = [REFUSED]
    publish(approved, make_user(Role.MODERATOR), django_capture_on_commit_callbacks)
    reply = ReplyDelivery.objects.get(answer=approved)
    make_user(Role.EXECUTOR, agency=approved.case.agency, username="ex")
    client.login(username="ex", password=PASSWORD)
    card = client.get(reverse("cases:detail", args=[approved.case_id])).content.decode()
    retry_url = reverse("cases:retry-reply", args=[approved.case_id, reply.pk])
    assert 'data-delivery="failed"' in card and retry_url not in card
    client.post(retry_url)
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.FAILED
