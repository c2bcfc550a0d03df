"""Notifications to staff: email and the Telegram bot (against the local fake of the Bot API), the
digest for a pipeline batch, deadlines in the region's time, failures that never fail an action."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import notifications
from otklik.intake.fakes.telegram import tg_error
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db

TOKEN = "123456:TEST-token"


@pytest.fixture
def water():
    agency = make_agency("Водоканал")
    return {
        "agency": agency,
        "with_chat": make_user(Role.EXECUTOR, agency=agency, telegram_chat_id="1001"),
        "email_only": make_user(Role.EXECUTOR, agency=agency),
        "elsewhere": make_user(Role.EXECUTOR, agency=make_agency(), telegram_chat_id="2002"),
    }


def test_the_deadline_is_written_in_the_regions_time(water, settings, django_capture_on_commit_callbacks):
    settings.TIME_ZONE = "Europe/Saratov"
    deadline = datetime(2026, 3, 3, 12, 0, tzinfo=ZoneInfo("Europe/Saratov"))
    case = make_case(agency=water["agency"], deadline_at=deadline)
    with django_capture_on_commit_callbacks(execute=True), timezone.override("Europe/Saratov"):
        notifications.case_assigned(case)
    [message] = mail.outbox
    assert "Срок ответа: 03.03.2026 12:00" in message.body  # not 08:00, the same moment in UTC


def test_an_assigned_case_reaches_the_agencys_executors_by_email_and_telegram(
    bot, water, django_capture_on_commit_callbacks
):
    case = make_case(agency=water["agency"], title="Нет воды на Тельмана, 12")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.case_assigned(case)
    assert sorted(mail.outbox[0].to) == sorted([water["with_chat"].email, water["email_only"].email])
    [sent] = bot.sent
    assert sent["chat_id"] == "1001" and case.number in sent["text"] and "Тельмана" in sent["text"]


def test_a_batch_sends_each_chat_one_digest_and_each_address_an_email_a_case(
    bot, water, django_capture_on_commit_callbacks
):
    cases = [make_case(agency=water["agency"], title=f"Нет воды в доме {n}") for n in range(25)]
    with django_capture_on_commit_callbacks(execute=True):
        notifications.cases_assigned(cases)
    assert len(mail.outbox) == 25
    [digest] = bot.sent
    assert digest["chat_id"] == "1001" and digest["text"].startswith("Новых обращений: 25")
    assert cases[0].number in digest["text"] and "… и ещё 5" in digest["text"]


def test_without_a_token_or_with_a_failing_bot_the_action_still_goes_through(
    bot, water, settings, django_capture_on_commit_callbacks, caplog
):
    case = make_case(agency=water["agency"])
    bot.fail_next(tg_error(429, "Too Many Requests: retry after 3", retry_after=3))
    with django_capture_on_commit_callbacks(execute=True):
        notifications.case_assigned(case)
    assert bot.sent == [] and len(mail.outbox) == 1  # the email went anyway
    assert "refused: 429" in caplog.text

    settings.OTKLIK_TELEGRAM_BOT_TOKEN = ""
    assert notifications.send_telegram(["1001"], "проверка") == 0
    settings.OTKLIK_TELEGRAM_BOT_TOKEN = TOKEN
    settings.OTKLIK_TELEGRAM_API_URL = "http://127.0.0.1:9"  # nothing listens there
    assert notifications.send_telegram(["1001"], "проверка") == 0


def test_a_long_text_is_cut_to_what_the_bot_api_takes(bot):
    assert notifications.send_telegram(["1001"], "я" * 5000) == 1
    assert len(bot.sent[0]["text"]) == notifications.TELEGRAM_LIMIT
