"""Request and response hardening that every page shares (finding 8 of issue 11).

- :class:`ForwardedProtoMiddleware` (first in the chain): ``X-Forwarded-Proto`` and
  ``X-Forwarded-Host`` are believed only from a trusted proxy (``OTKLIK_TRUSTED_PROXIES``); from
  anyone else they are dropped, so a client cannot pretend to have come over HTTPS and dodge the
  redirect or the Secure cookies (``SECURE_PROXY_SSL_HEADER``).
- :class:`PublicErrorPagesMiddleware`: with ``DEBUG`` on (the embedded default) Django's technical
  error pages — tracebacks, settings, the URL conf — are shown only to a signed-in superuser;
  everybody else gets the project's own Russian pages, exactly as with ``DEBUG`` off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.debug import ExceptionReporter

from otklik.ops.middleware import is_trusted_proxy

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")
# Every technical page of django.views.debug (404, 500, CSRF failure) carries this line.
TECHNICAL_MARK = b'<meta name="robots" content="NONE,NOARCHIVE">'


class ForwardedProtoMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


def may_see_technical_pages(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(settings.DEBUG and user is not None and user.is_authenticated and user.is_superuser)


API_DETAIL = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    500: "Server error.",
}


def error_page(request: HttpRequest | None, status: int) -> HttpResponse:
    """The project's own page for ``status`` (400, 403, 404, 500): no technical detail; under /api/
    the API's JSON ({"detail": ...}) as its schema documents (otklik/api/schema.py)."""
    if request is not None and request.path.startswith("/api/"):
        return JsonResponse({"detail": gettext(API_DETAIL[status])}, status=status)
    template = loader.get_template(f"{status}.html")
    body = template.render({}, request if status != 500 else None)
    return HttpResponse(body, status=status)


# Django's handlers when DEBUG is off (otklik/urls.py).
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(request, 500)


class PublicExceptionReporter(ExceptionReporter):
    """Django's reporter for a request that may not see tracebacks: the project's 500 page."""

    def get_traceback_html(self) -> SafeString:
        return mark_safe(loader.get_template("500.html").render({}))  # our own template, escaped

    def get_traceback_text(self) -> SafeString:
        return mark_safe("Server error (500)\n")


class PublicErrorPagesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.DEBUG:
            return self.get_response(request)
        # Before the view: an uncaught exception is reported by this class (django.views.debug).
        request.exception_reporter_class = PublicExceptionReporter  # type: ignore[attr-defined]
        response = self.get_response(request)
        if may_see_technical_pages(request):
            return response
        if response.status_code in (400, 403, 404) and TECHNICAL_MARK in _body(response):
            return error_page(request, response.status_code)
        return response

    def process_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        # Signed in by now: a superuser gets Django's own reporter back.
        if may_see_technical_pages(request):
            del request.exception_reporter_class  # type: ignore[attr-defined]


def _body(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b""
    return bytes(response.content[:4000])
