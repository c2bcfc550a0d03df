"""A resident who writes to the center on purpose is never filtered out as off-topic."""

import pytest

from otklik.intake.models import Message
from otklik.intake.pipeline import run_batch

from .conftest import NOW

pytestmark = pytest.mark.django_db

VAGUE = {
    "1": "Здравствуйте! Прошу разобраться с ситуацией у нас во дворе, сил уже нет.",
    "2": "Добрый день, звоню уже в третий раз, никто ничего не делает.",
    "3": "Уважаемые господа, обращаюсь к вам с просьбой помочь нашей семье.",
    "4": "Прошу рассмотреть моё заявление и дать ответ в установленный законом срок.",
    "5": "Доброе утро всем соседям, хорошего дня!",
}


def item(external_id: str, channel: str) -> dict:
    return {
        "source": f"src-{channel}",
        "external_id": external_id,
        "channel": channel,
        "text": VAGUE[external_id],
        "posted_at": NOW.isoformat(),
    }


def test_form_call_and_letter_always_open_a_case_while_a_vague_post_may_not(region):
    result = run_batch(
        [item("1", "web_form"), item("2", "phone"), item("3", "email"), item("4", "official")], now=NOW
    )
    assert result.created_cases == 4
    assert Message.objects.filter(is_relevant=True).count() == 4
    social = run_batch([item("5", "vk")], now=NOW)
    assert social.created_cases == 0 and social.irrelevant == 1
