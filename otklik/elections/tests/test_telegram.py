"""Observers report through the notification bot (against the local fake of the Bot API): the
station opened, turnout, a violation with a photo, closed; checks as on the web form; an update read
twice makes one report; people who are not observers are not taken for them."""

from __future__ import annotations

import time

import pytest

from otklik.accounts.choices import Role
from otklik.cases.telegram_bot import NO_CODE, process_updates
from otklik.elections.models import Incident, Report, ReportKind
from otklik.elections.telegram import HELP, parse
from otklik.intake.fakes.telegram import FakeTelegram
from otklik.testing.factories import PASSWORD, make_user

from .test_elections import png

pytestmark = pytest.mark.django_db

TOKEN = "123456:TEST-token"


def say(bot: FakeTelegram, chat: int, text: str | None = None, **extra) -> None:
    bot.add_chat_message({"id": chat, "type": "private"}, text, date=int(time.time()), **extra)


def replies(bot: FakeTelegram, chat: int) -> list[str]:
    return [m["text"] for m in bot.sent if m["chat_id"] == str(chat)]


def test_messages_are_read_in_russian_and_as_commands():
    assert parse("Открыт") == (ReportKind.OPENED, "")
    assert parse("явка 1 250") == (ReportKind.TURNOUT, "1 250")
    assert parse("/turnout 450") == (ReportKind.TURNOUT, "450")
    assert parse("Нарушение: вброс бюллетеней") == (ReportKind.VIOLATION, "вброс бюллетеней")
    assert parse("закрылись") == (ReportKind.CLOSED, "")
    assert parse("явка много") is None and parse("привет") is None


def test_an_observer_reports_from_telegram(bot, day):
    anna = day["anna"]
    anna.telegram_chat_id = "4242"
    anna.save()
    say(bot, 4242, "открыт")
    say(bot, 4242, "явка 250")
    say(bot, 4242, "явка 100")  # going down: refused with the form's reason
    bot.add_file("ph-1", png().read())
    say(
        bot,
        4242,
        None,
        caption="Нарушение: у входа раздают продуктовые наборы",
        photo=[
            {"file_id": "ph-0", "width": 90, "height": 90},
            {"file_id": "ph-1", "width": 800, "height": 600},
        ],
    )
    say(bot, 4242, "как дела?")
    assert process_updates() == 5

    said = replies(bot, 4242)
    assert said[0] == "Принято: УИК № 101 открыт."
    assert said[1] == "Принято: явка 250 на УИК № 101 (25,0 %)."
    assert "не может уменьшиться" in said[2]
    incident = Incident.objects.get()
    assert said[3].startswith(
        f"Принято: нарушение на УИК № 101 — передано юристам, инцидент № {incident.pk}."
    )
    assert incident.report.photo and incident.report.text == "у входа раздают продуктовые наборы"
    assert said[4] == HELP
    assert list(Report.objects.order_by("pk").values_list("kind", flat=True)) == [
        "opened",
        "turnout",
        "violation",
    ]

    # The same update read again (a run that failed before confirming) makes no second report.
    bot.add_raw_update(
        {
            "update_id": 1,
            "message": {"message_id": 501, "chat": {"id": 4242, "type": "private"}, "text": "явка 250"},
        }
    )
    process_updates()
    assert Report.objects.filter(kind=ReportKind.TURNOUT).count() == 1


def test_only_linked_observers_report(bot, day):
    make_user(Role.MODERATOR, username="mod", telegram_chat_id="5151")
    say(bot, 5151, "явка 300")  # a moderator: not an observer, the message is not a report
    say(bot, 6161, "явка 300")  # nobody linked: how to connect
    process_updates()
    assert replies(bot, 6161) == [NO_CODE] and replies(bot, 5151) == []
    assert not Report.objects.exists()


def test_the_station_page_tells_observers_about_the_bot(client, day, settings):
    client.login(username="anna", password=PASSWORD)
    settings.OTKLIK_TELEGRAM_BOT_TOKEN = ""
    assert b"telegram-hint" not in client.get("/elections/station/").content
    settings.OTKLIK_TELEGRAM_BOT_TOKEN = TOKEN
    assert b"telegram-hint" in client.get("/elections/station/").content
    day["anna"].telegram_chat_id = "4242"
    day["anna"].save()
    assert b"telegram-hint" not in client.get("/elections/station/").content  # connected already
