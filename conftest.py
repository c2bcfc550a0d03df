"""Project-wide pytest set-up: shared fixtures live here, factories in otklik/testing/factories.py."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _russian_and_fast(settings):
    settings.LANGUAGE_CODE = "ru"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.OTKLIK_SEND_REPLIES = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.OTKLIK_ELECTIONS_BOARD_SECONDS = 0  # the dashboard built on every request (elections/live.py)
    settings.OTKLIK_QUEUE_COUNTS_SECONDS = 0  # the queue counted on every page (cases/counts.py)


@pytest.fixture
def bot(settings):
    """The local fake of the Telegram Bot API, set as the notification bot's."""
    from otklik.intake.fakes.telegram import FakeTelegram

    with FakeTelegram(token="123456:TEST-token") as fake:
        settings.OTKLIK_TELEGRAM_BOT_TOKEN = fake.token
        settings.OTKLIK_TELEGRAM_API_URL = fake.url
        settings.OTKLIK_TELEGRAM_BOT_USERNAME = "@cur_test_bot"
        yield fake
