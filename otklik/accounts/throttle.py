"""Throttling of password guessing (finding 5 of issue 11).

Logins — the form, the admin, HTTP Basic on the API — go through django-axes: after
``AXES_FAILURE_LIMIT`` failures an account, and separately an address, is refused until
``AXES_COOLOFF_TIME`` after the failure that locked it, whatever the password. Password-reset emails
are counted here per account and per address within an hour. Every counter lives in the
``throttle`` cache (Redis when configured, else a database table), which every web process shares.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_cache_keys, get_cool_off
from axes.signals import user_locked_out
from django.conf import settings
from django.core.cache import caches
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, status
from rest_framework.authentication import BasicAuthentication

RESET_WINDOW = timedelta(hours=1)


def _cache() -> Any:
    return caches[settings.AXES_CACHE]


def client_ip(request: Any) -> str:
    """The client's address: ``REMOTE_ADDR`` as the request-context middleware set it from a trusted
    proxy's X-Forwarded-For (otklik.ops.middleware)."""
    return str(request.META.get("REMOTE_ADDR", "") or "")


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' check before the password's. A call without a request (a management command, the
    test client's ``login``) is no login over the network and is not counted."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _until_key(cache_key: str) -> str:
    return f"otklik-locked-until:{cache_key}"


@receiver(user_locked_out, dispatch_uid="otklik.accounts.throttle.remember_until")
def remember_until(sender: Any, request: Any, **kwargs: Any) -> None:
    """Keep when the lockout ends, to tell the user (the cache does not tell a key's expiry)."""
    if request is None:
        return
    cool_off = get_cool_off(request) or timedelta(0)
    until = timezone.now() + cool_off
    for cache_key in get_client_cache_keys(request, getattr(request, "axes_credentials", None)):
        _cache().add(_until_key(cache_key), until.timestamp(), int(cool_off.total_seconds()) or None)


def locked_until(request: Any, credentials: dict | None = None) -> datetime:
    """When the lockout of this request's account or address ends (the later of the two)."""
    stamps = [
        _cache().get(_until_key(cache_key)) for cache_key in get_client_cache_keys(request, credentials)
    ]
    known = [stamp for stamp in stamps if stamp]
    if known:
        return datetime.fromtimestamp(max(known), tz=timezone.get_current_timezone())
    return timezone.now() + (get_cool_off(request) or timedelta(0))


def _try_again_message(until: datetime) -> str:
    local = timezone.localtime(until)
    when = (
        local.strftime("%H:%M") if local.date() == timezone.localdate() else local.strftime("%d.%m.%Y %H:%M")
    )
    return _("Too many failed login attempts. Try again after %(time)s.") % {"time": when}


def _retry_after(until: datetime) -> int:
    return max(1, int((until - timezone.now()).total_seconds()) + 1)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """The answer to a locked-out login: 429, in Russian, saying when to try again."""
    until = locked_until(request, credentials)
    message = _try_again_message(until)
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "accounts/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(_retry_after(until))
    return response


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, until: datetime) -> None:
        super().__init__(detail=_try_again_message(until))
        self.wait = _retry_after(until)  # DRF's handler sends it as Retry-After


class ThrottledBasicAuthentication(BasicAuthentication):
    """HTTP Basic whose lockout is a 429 saying when to try again, not a bare 401."""

    def authenticate_credentials(self, userid: str, password: str, request: Any = None) -> Any:
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and getattr(request, "axes_locked_out", False):
                raise LockedOut(locked_until(request, {"username": userid})) from None
            raise


class ThrottledBasicScheme(OpenApiAuthenticationExtension):
    """The OpenAPI schema's description of :class:`ThrottledBasicAuthentication`: HTTP Basic."""

    target_class = ThrottledBasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "basic"}


def _hit(key: str, limit: int) -> datetime | None:
    """Count one event under ``key`` in a window of RESET_WINDOW; past ``limit``, when it ends."""
    cache = _cache()
    window = int(RESET_WINDOW.total_seconds())
    now = timezone.now().timestamp()
    cache.add(f"{key}:start", now, window)
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    if count <= limit:
        return None
    start = cache.get(f"{key}:start") or now
    return datetime.fromtimestamp(float(start) + window, tz=timezone.get_current_timezone())


def reset_email_refused(request: HttpRequest, email: str) -> str | None:
    """Count a password-reset request for ``email`` from this address; a message when over a limit."""
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    ends = [
        _hit(f"otklik-reset:account:{account}", settings.OTKLIK_RESET_EMAILS_PER_ACCOUNT),
        _hit(f"otklik-reset:address:{client_ip(request)}", settings.OTKLIK_RESET_EMAILS_PER_ADDRESS),
    ]
    refused = [end for end in ends if end is not None]
    if not refused:
        return None
    local = timezone.localtime(max(refused))
    return _("Too many requests for a new password. Try again after %(time)s.") % {
        "time": local.strftime("%H:%M")
    }
