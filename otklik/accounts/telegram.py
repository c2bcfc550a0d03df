"""Linking a user's Telegram chat to their account, so staff notifications reach them there.

The profile page shows a link to the notification bot with a code (``t.me/<bot>?start=<code>``);
the bot (:mod:`otklik.cases.telegram_bot`) receives ``/start <code>`` from the user's chat and binds
that chat to the account. A code is ``<user id>_<time>_<signature>``: stateless, signed with the
project's secret, only letters, digits and "_" (what a Telegram start parameter allows), and valid
for :data:`CODE_DAYS` — nothing to store, nothing to clean up.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import User

SALT = "otklik.accounts.telegram-link"
CODE_DAYS = 1


def _signature(pk: int, stamp: str) -> str:
    return salted_hmac(SALT, f"{pk}:{stamp}").hexdigest()[:20]


def link_code(user: User, *, now: float | None = None) -> str:
    stamp = format(int(now if now is not None else time.time()), "x")
    return f"{user.pk}_{stamp}_{_signature(user.pk, stamp)}"


def user_for_code(code: str, *, now: float | None = None) -> User | None:
    """The active user a code was made for, or None (malformed, tampered, expired)."""
    parts = code.strip().split("_")
    if len(parts) != 3 or not parts[0].isdigit():
        return None
    pk, stamp, signature = int(parts[0]), parts[1], parts[2]
    if not constant_time_compare(signature, _signature(pk, stamp)):
        return None
    try:
        made = int(stamp, 16)
    except ValueError:
        return None
    if (now if now is not None else time.time()) - made > CODE_DAYS * 86400:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def bot_enabled() -> bool:
    """Whether this server has a notification bot (``OTKLIK_TELEGRAM_BOT_TOKEN``)."""
    return bool(getattr(settings, "OTKLIK_TELEGRAM_BOT_TOKEN", ""))


def bot_link(code: str) -> str | None:
    """The deep link to the bot, when its username is configured."""
    username = str(getattr(settings, "OTKLIK_TELEGRAM_BOT_USERNAME", "") or "").lstrip("@")
    return f"https://t.me/{username}?start={code}" if username else None
