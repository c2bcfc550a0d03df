"""Requests no view should see: a NUL byte in the path or the query string.

``/public/problems/%00/`` or ``?service_code=%00`` used to reach the database, whose driver refuses
NUL in text (``ValueError: A string literal cannot contain NUL``): a 500 for anyone, without a login.
No URL of the project has a use for NUL, so :class:`RejectNulMiddleware` answers 400 with a clear
message before any view (and any database query) runs. NUL inside a form's or a JSON body's fields
is refused where the fields are read: the pipeline's ``normalize`` stage, :mod:`.parsers`, Django's
and DRF's ``CharField``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    query = request.META.get("QUERY_STRING", "")
    return bool(query) and b"\x00" in unquote_to_bytes(query)


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            message = _("The request contains a NUL character, which no address of the site accepts.")
            body = {"error": message, "detail": message}
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)
