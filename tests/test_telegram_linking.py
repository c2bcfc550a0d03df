"""Staff link their Telegram chat from the profile page: a signed code, /start <code> to the bot
(against the local fake of the Bot API), /stop, expired and forged codes, group chats."""

from __future__ import annotations

import time

import pytest

from otklik.accounts.choices import Role
from otklik.accounts.telegram import link_code, user_for_code
from otklik.cases import notifications
from otklik.cases.telegram_bot import BAD_CODE, NO_CODE, PRIVATE_ONLY, STOPPED, process_updates
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

NOW = 1_780_000_000


def private(chat_id: int) -> dict:
    return {"id": chat_id, "type": "private", "first_name": "Ольга"}


def test_a_code_is_signed_short_lived_and_fits_a_start_parameter():
    olga = make_user(Role.MODERATOR, username="olga")
    code = link_code(olga, now=NOW)
    assert len(code) <= 64 and code.replace("_", "").isalnum()
    assert user_for_code(code, now=NOW + 3600) == olga
    assert user_for_code(code, now=NOW + 2 * 86400) is None  # expired
    forged = f"{olga.pk + 1}_{code.split('_', 1)[1]}"
    assert user_for_code(forged, now=NOW) is None and user_for_code("garbage", now=NOW) is None
    olga.is_active = False
    olga.save()
    assert user_for_code(code, now=NOW) is None


def test_start_with_the_code_links_the_chat_and_stop_unlinks_it(bot, client):
    olga = make_user(Role.MODERATOR, username="olga", first_name="Ольга", last_name="Белова")
    client.login(username="olga", password=PASSWORD)
    page = client.get("/accounts/profile/")
    code = page.context["code"]
    assert page.context["bot_link"] == f"https://t.me/cur_test_bot?start={code}"
    bot.add_chat_message(private(777), f"/start {code}", date=int(time.time()))
    bot.add_chat_message(private(778), "/start", date=int(time.time()))
    bot.add_chat_message(private(779), "/start 1_abc_forged", date=int(time.time()))
    bot.add_chat_message({"id": -100, "type": "group"}, f"/start@cur_test_bot {code}", date=int(time.time()))
    bot.add_chat_message(private(780), "привет", date=int(time.time()))  # a stranger: how to connect

    assert process_updates() == 5
    olga.refresh_from_db()
    assert olga.telegram_chat_id == "777"
    said = {m["chat_id"]: m["text"] for m in bot.sent}
    assert said["777"].startswith("Готово, Ольга Белова") and said["778"] == NO_CODE
    assert said["779"] == BAD_CODE and said["-100"] == PRIVATE_ONLY and said["780"] == NO_CODE
    assert bot.updates == []  # confirmed: Telegram keeps nothing for the next run
    assert b'data-testid="telegram-linked"' in client.get("/accounts/profile/").content

    # Notifications now reach the chat.
    notifications.send_telegram([olga.telegram_chat_id], "Новое обращение 2611-000001")
    assert bot.sent[-1]["chat_id"] == "777"

    bot.add_chat_message(private(777), "/stop", date=int(time.time()))
    process_updates()
    olga.refresh_from_db()
    assert olga.telegram_chat_id == "" and bot.sent[-1]["text"] == STOPPED


def test_the_profile_unlinks_and_works_without_a_bot(client, settings):
    settings.OTKLIK_TELEGRAM_BOT_TOKEN = ""
    make_user(Role.EXECUTOR, username="exec", telegram_chat_id="555")
    client.login(username="exec", password=PASSWORD)
    client.post("/accounts/profile/", {"action": "unlink-telegram"})
    page = client.get("/accounts/profile/")
    assert b'data-testid="telegram-off"' in page.content
    assert process_updates() == 0  # no token: nothing to do
    client.logout()
    assert client.get("/accounts/profile/").status_code == 302
