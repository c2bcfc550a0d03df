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


def _received(bot) -> tuple[list[tuple[str, str, tuple[str, ...]]], list[tuple[str, str]]]:
    """What every recipient got: (subject, body, addresses) of each email, (chat, text) of each
    Telegram message — sorted, so the same things sent in another grouping compare equal."""
    emails = sorted((m.subject, m.body, tuple(sorted(m.to))) for m in mail.outbox)
    chats = sorted((str(s["chat_id"]), str(s["text"])) for s in bot.sent)
    return emails, chats


def test_a_pipeline_batch_is_one_task_and_everyone_gets_what_the_cases_one_by_one_gave(
    bot, water, django_capture_on_commit_callbacks
):
    """A batch's assignments go in one task, its urgent cases in another (theirs stays per case and
    is sent at the same moment, not put off): the same emails to the same people as one case at a
    time, the same urgent Telegram messages, and each agency's chat its digest."""
    other = make_agency("Минтранс")
    make_user(Role.EXECUTOR, agency=other, telegram_chat_id="3003")
    make_user(Role.MODERATOR, telegram_chat_id="4004")
    make_user(Role.SUPERVISOR, email="")  # no address, no chat: told nothing
    make_user(Role.SUPERVISOR)
    urgent = {"urgency": {"kinds": ["life"], "terms": ["обрушение"]}}
    cases = [make_case(agency=water["agency"], title=f"Нет воды в доме {n}") for n in range(25)]
    cases += [make_case(agency=other, title="Яма на дороге"), make_case(title="Без ведомства")]
    cases += [
        make_case(agency=other, title=f"Обрушение балкона {n}", is_urgent=True, understanding=urgent)
        for n in range(3)
    ]
    assigned = [c for c in cases if c.agency_id]
    with django_capture_on_commit_callbacks(execute=True):
        for case in assigned:
            notifications.case_assigned(case)
        for case in cases:
            if case.is_urgent:
                notifications.case_urgent(case)
    one_by_one_emails, one_by_one_chats = _received(bot)
    mail.outbox.clear()
    bot.sent.clear()

    with django_capture_on_commit_callbacks(execute=True) as tasks:
        notifications.cases_assigned(assigned)
        notifications.cases_urgent([c for c in cases if c.is_urgent])
    assert len(tasks) == 2  # one for the assignments, one for the urgent cases: not one a case
    emails, chats = _received(bot)
    assert emails == one_by_one_emails  # an email a case to the executors, each urgent one to the center
    urgent_chats = [(chat, text) for chat, text in one_by_one_chats if text.startswith("Срочно")]
    assert [(chat, text) for chat, text in chats if text.startswith("Срочно")] == urgent_chats
    assert len(urgent_chats) == 3 and all(chat == "4004" for chat, _ in urgent_chats)
    digests = {chat: text for chat, text in chats if not text.startswith("Срочно")}
    assert digests["1001"].startswith("Новых обращений: 25") and "… и ещё 5" in digests["1001"]
    assert digests["3003"].startswith("Новых обращений: 4")  # the pothole and the 3 urgent ones
    assert set(digests) == {"1001", "3003"}


def test_a_batchs_urgent_cases_go_out_first_and_a_failing_address_does_not_stop_the_rest(
    bot, water, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """The pipeline's batch (open_cases): the urgent cases' task is queued before the assignments'
    one, so a batch of many assignments does not hold the urgent message back."""
    from otklik.cases.actions import Opening, open_cases
    from otklik.cases.models import Case

    make_user(Role.MODERATOR, email="duty@example.test")
    openings = [Opening(Case(text=f"Нет воды {n}", title=f"Нет воды {n}"), water["agency"]) for n in range(3)]
    openings += [Opening(Case(text=f"Пожар {n}", title=f"Пожар {n}", is_urgent=True)) for n in range(2)]
    sent: list[str] = []
    original = notifications.EmailMessage.send

    def send(message, fail_silently=False):
        sent.append(message.subject)
        if message.subject == f"Срочно: {openings[3].case.number}":
            raise OSError("mail server down")
        return original(message, fail_silently=fail_silently)

    monkeypatch.setattr(notifications.EmailMessage, "send", send)
    with django_capture_on_commit_callbacks(execute=True) as tasks:
        open_cases(openings)
    assert len(tasks) == 2
    urgent = [f"Срочно: {o.case.number}" for o in openings[3:]]
    assert sent[:2] == urgent  # first, though their cases came last in the batch
    assert [m.subject for m in mail.outbox] == urgent[1:] + [
        f"Новое обращение {o.case.number}" for o in openings[:3]
    ]
    assert "could not be emailed" in caplog.text
