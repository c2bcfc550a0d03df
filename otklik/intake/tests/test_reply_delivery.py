"""The outbox against the VK connector's fake: a published answer reaches VK after the commit, a
network failure is retried by the periodic job with back-off, a refusal waits for the center."""

from __future__ import annotations

from datetime import timedelta

import pytest

from otklik.accounts.choices import Role
from otklik.cases import actions, delivery
from otklik.cases.choices import AnswerStatus, CaseStatus, DeliveryStatus
from otklik.cases.models import Answer, Case, ReplyDelivery
from otklik.intake.fakes.vk import FakeVK, vk_error
from otklik.intake.fetching import fetch_source
from otklik.intake.models import Message
from otklik.testing.factories import make_user

from .conftest import NOW
from .test_connectors_vk import GROUP, OWNER, seed_wall, vk_source

pytestmark = pytest.mark.django_db


@pytest.fixture
def vk(monkeypatch):
    monkeypatch.setenv("OTKLIK_TEST_VK_TOKEN", "vk-test-token")
    with FakeVK(token="vk-test-token") as fake:
        fake.server_time = int(NOW.timestamp())
        fake.add_group(GROUP, "Администрация Энгельсского района")
        fake.add_user(11, "Ирина", "Петрова")
        fake.add_user(12, "Пётр", "Сидоров")
        yield fake


def approved_answer(external_id: str) -> Answer:
    case = Message.objects.get(external_id=external_id).case
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED)
    return Answer.objects.create(
        case=case, text="Подачу воды восстановят до 18:00.", status=AnswerStatus.APPROVED
    )


@pytest.fixture
def published(region, vk, settings, django_capture_on_commit_callbacks):
    settings.OTKLIK_SEND_REPLIES = True
    settings.OTKLIK_REPLY_RETRY_SECONDS = 60
    seed_wall(vk)
    fetch_source(vk_source(vk), now=NOW)
    moderator = make_user(Role.MODERATOR)

    def publish(external_id: str) -> ReplyDelivery:
        answer = approved_answer(external_id)
        with django_capture_on_commit_callbacks(execute=True):
            actions.publish_answer(answer, moderator, now=NOW)
        return ReplyDelivery.objects.get(answer=answer)

    return publish


def test_the_reply_reaches_vk_with_a_link_to_the_comment(published, vk):
    reply = published("wall-1001_100_r501")

    assert reply.status == DeliveryStatus.SENT
    [sent] = vk.created_comments
    assert sent["reply_to_comment"] == "501"
    assert reply.external_id == f"wall-1001_100_r{sent['comment_id']}"
    assert reply.url.startswith("https://vk.com/wall-1001_100")


def test_vk_down_is_retried_by_the_periodic_job(published, vk):
    vk.fail_method("wall.createComment", vk_error(10, "wall.createComment"))  # internal server error

    reply = published("wall-1001_100_r501")

    assert reply.status == DeliveryStatus.QUEUED and reply.attempts == 1 and vk.created_comments == []
    assert reply.next_attempt_at > reply.last_attempt_at
    assert delivery.send_due_replies(now=reply.next_attempt_at - timedelta(seconds=1)) == 0
    assert delivery.send_due_replies(now=reply.next_attempt_at) == 1
    reply.refresh_from_db()
    assert reply.status == DeliveryStatus.SENT and reply.attempts == 2 and len(vk.created_comments) == 1


def test_a_deleted_post_fails_with_the_reason_until_the_center_acts(published, vk):
    vk.blocked_posts[(OWNER, 101)] = 15

    reply = published("wall-1001_101")

    assert reply.status == DeliveryStatus.FAILED and "15" in reply.reason
    assert delivery.send_due_replies(now=NOW + timedelta(days=1)) == 0  # not retried by itself
    assert vk.created_comments == []
