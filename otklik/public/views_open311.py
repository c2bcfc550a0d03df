"""Open311 GeoReport v2 endpoints under ``/open311/v2/`` (``.json`` or ``.xml``); the answers are made
in :mod:`otklik.public.open311`. Errors are GeoReport's ``[{"code": …, "description": …}]``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from . import open311
from .services import absolute_url

View = Callable[..., HttpResponse]


def _answer(fmt: str, root: str, item: str | None, data: Any, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = open311.to_xml(root, item, data)
        return HttpResponse(body, content_type="text/xml; charset=utf-8", status=status)
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _with_media(request: HttpRequest, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows whose ``media_url`` (a path to a resident's photo) is made a full address."""
    return [
        {**r, "media_url": absolute_url(request, r["media_url"])} if r.get("media_url") else r for r in rows
    ]


def _georeport(view: View) -> View:
    """Checks the jurisdiction; an Open311Error becomes GeoReport's error list in the asked format."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            params = request.POST if request.method == "POST" else request.GET
            open311.check_jurisdiction(params.get("jurisdiction_id", ""))
            return view(request, *args, fmt=fmt, **kwargs)
        except open311.Open311Error as exc:
            errors = [{"code": exc.status, "description": exc.description}]
            return _answer(fmt, "errors", "error", errors, status=exc.status)

    return wrapped


@require_GET
@_georeport
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:root"))
    return _answer(fmt, "discovery", None, open311.discovery(base))


@require_GET
def root(request: HttpRequest) -> HttpResponse:
    url = reverse("open311:discovery", kwargs={"fmt": "json"})
    return JsonResponse({"discovery": request.build_absolute_uri(url)})


@require_GET
@_georeport
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    return _answer(fmt, "services", "service", open311.service_list())


@require_GET
@_georeport
def service(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return _answer(fmt, "service_definition", None, open311.service_definition(code))


@csrf_exempt
@require_http_methods(["GET", "POST"])
@_georeport
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        client = open311.client_for(request.POST.get("api_key", ""))
        fields = {key: request.POST.get(key, "") for key in request.POST if key not in open311.NOT_FIELDS}
        posted = open311.post_request(client, fields)
        return _answer(fmt, "service_requests", "request", open311.posted_rows(posted, fields), status=201)
    found = open311.find_requests({key: request.GET.get(key, "") for key in request.GET})
    return _answer(
        fmt, "service_requests", "request", _with_media(request, [open311.request_row(c) for c in found])
    )


@require_GET
@_georeport
def request_detail(request: HttpRequest, number: str, fmt: str) -> HttpResponse:
    rows = [open311.request_row(open311.find_request(number))]
    return _answer(fmt, "service_requests", "request", _with_media(request, rows))


@require_GET
@_georeport
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    return _answer(fmt, "service_requests", "request", _with_media(request, open311.token_rows(token)))
