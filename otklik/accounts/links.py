"""Links that leave the site in emails and messages: absolute addresses, and the one-time link with
which a new user (an observer imported by the thousand, say) sets their own password.

The site's address is ``settings.OTKLIK_PUBLIC_BASE_URL`` (behind a proxy: "https://otklik.example.ru");
without it, the local server ``otklik serve`` starts (http://127.0.0.1:8000). An invitation is
Django's password-reset link (``default_token_generator``): it works once, stops working when the
password is set or after ``PASSWORD_RESET_TIMEOUT`` (three days by default), and carries no password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

if TYPE_CHECKING:
    from .models import User

LOCAL_SERVER = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    return urljoin(str(getattr(settings, "OTKLIK_PUBLIC_BASE_URL", "") or LOCAL_SERVER), path)


def invitation_url(user: User) -> str:
    """The one-time "set your password" link for ``user``."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("accounts:password_set", args=[uid, token]))
