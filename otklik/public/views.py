"""Public pages for residents: the appeal form and the status page of one's own case (no login).

Views parse, call :mod:`otklik.public.services` and render. The status page opens only with the
token given after the appeal; anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from otklik.analytics.heatmap import municipal_geometry_script
from otklik.directory.models import Agency
from otklik.intake.direct import SubmissionError
from otklik.security.uploads import image_response

from . import problems, services
from .forms import AppealForm, RatingForm, new_form_token
from .open311 import Open311Error


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _status_url(case_number: str, token: str) -> str:
    return reverse("public:status", args=[case_number, token])


@never_cache
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest) -> HttpResponse:
    return take_appeal(request, template="public/appeal.html")


def take_appeal(
    request: HttpRequest,
    *,
    template: str,
    context: dict[str, Any] | None = None,
    office: Agency | None = None,
) -> HttpResponse:
    """The appeal form's whole flow (shown, rate-limited, checked, taken, the status link given and
    emailed); ``office``: the appeal is addressed to this agency (a deputy's reception office)."""
    context = {
        **(context or {}),
        # The pin map's district outlines and optional tiles (as on the problem map).
        "geometry_script": municipal_geometry_script(),
        "map_tiles": str(getattr(settings, "OTKLIK_MAP_TILES_URL", "") or ""),
    }
    if request.method != "POST":
        form = AppealForm(initial={"form_token": new_form_token()})
        return render(request, template, {**context, "form": form})
    form = AppealForm(request.POST, request.FILES)
    limit = int(getattr(settings, "OTKLIK_PUBLIC_APPEALS_PER_HOUR", services.RATE_LIMIT_PER_HOUR))
    if not services.allow_submission(_client_ip(request), limit=limit):
        form.add_error(None, _("Too many appeals from your address. Please try again in an hour."))
        return render(request, template, {**context, "form": form}, status=429)
    if form.is_bot:
        # Say nothing useful to a bot, keep nothing.
        return render(request, "public/received.html", {})
    if not form.is_valid():
        return render(request, template, {**context, "form": form}, status=400)
    data = form.cleaned_data
    try:
        submitted = services.submit_appeal(
            form_token=data["form_token"],
            name=data["name"],
            contact=data["contact"],
            text=data["text"],
            district=data["district"],
            address=data["address"],
            office=office,
            photo=data.get("photo"),
            lat=data.get("lat"),
            lon=data.get("lon"),
        )
    except SubmissionError:
        form.add_error(None, _("We could not accept the appeal. Please check it and send it again."))
        return render(request, template, {**context, "form": form}, status=400)
    if submitted.case is None:
        return render(request, "public/received.html", {"no_case": True})
    token = services.status_token(submitted.case)
    status_url = _status_url(submitted.case.number, token)
    if submitted.is_new:
        messages.success(
            request,
            _("Your appeal is registered under number %(number)s. Keep this page's address to follow it.")
            % {"number": submitted.case.number},
        )
    emailed = services.email_status_link(
        submitted,
        contact=data["contact"],
        name=data["name"],
        status_url=services.absolute_url(request, status_url),
    )
    if emailed:
        messages.info(request, _("We have also sent the link to %(email)s.") % {"email": emailed})
    return redirect(status_url)


def _panels(request: HttpRequest, case: Any, token: str) -> list[str]:
    """The status page's panels other apps registered (:func:`services.register_status_panel`)."""
    return [
        render_to_string(name, context, request=request)
        for name, context in services.status_panels(case, token)
    ]


def _case_or_404(number: str, token: str):  # type: ignore[no-untyped-def]
    case = services.case_for_status(number, token)
    if case is None:
        raise Http404("No such appeal")
    return case


def problem_map(request: HttpRequest) -> HttpResponse:
    chosen = problems.MapFilter.from_query({k: request.GET.get(k, "") for k in request.GET})
    found = problems.problem_map(chosen)
    config = {  # after the points (problems.config_script)
        "tiles": str(getattr(settings, "OTKLIK_MAP_TILES_URL", "") or ""),
        "detailUrl": reverse("public:problem", args=["0"]).removesuffix("0/"),
        "requestUrl": reverse("open311:request", kwargs={"number": "0", "fmt": "json"}).removesuffix(
            "0.json"
        ),
        "strings": {
            "open": _("In work"),
            "closed": _("Answered"),
            "more": _("Open the page"),
            "loading": _("Loading…"),
            "failed": _("Could not load the problem. Open its page instead."),
            "town": _("The place is known only to the town or district: the point is its centre."),
        },
    }
    context = {
        "found": found,
        "categories": problems.top_categories(),
        "periods": problems.PERIODS,
        "map_config_script": problems.config_script(found, config, "public-map-config"),
        "geometry_script": municipal_geometry_script(),
    }
    return render(request, "public/map.html", context)


def problem(request: HttpRequest, number: str) -> HttpResponse:
    try:
        row = problems.problem(number)
    except Open311Error as exc:
        raise Http404(exc.description) from exc
    return render(request, "public/problem.html", {"row": row})


def problem_photo(request: HttpRequest, number: str, message_id: int) -> FileResponse:
    """A resident's photo of a public problem that no moderator hid (re-encoded on upload, served
    sandboxed by :func:`image_response`); anything else is a 404."""
    try:
        photo = problems.public_photo(number, message_id)
    except Open311Error as exc:
        raise Http404(exc.description) from exc
    response = image_response(photo, stem=f"{number}-{message_id}")
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # Open311 clients show media_url
    return response


@never_cache
def status(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = _case_or_404(number, token)
    view = services.public_view(case)
    context = {
        "view": view,
        "token": token,
        "rating_form": RatingForm() if view.can_rate else None,
        "panels": _panels(request, case, token),
    }
    response = render(request, "public/status.html", context)
    # The link is the key: never leak it to other sites ("same-origin": the rating form still
    # carries its Origin, which the CSRF check needs; "no-referrer" makes browsers send "null").
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def rate(request: HttpRequest, number: str, token: str) -> HttpResponse:
    case = _case_or_404(number, token)
    view = services.public_view(case)
    form = RatingForm(request.POST)
    if not view.can_rate or not form.is_valid():
        if not view.can_rate:
            messages.error(request, _("This answer can no longer be rated."))
        context = {
            "view": view,
            "token": token,
            "rating_form": form if view.can_rate else None,
            "panels": _panels(request, case, token),
        }
        return render(request, "public/status.html", context, status=400)
    try:
        services.rate(
            case,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            not_solved=form.cleaned_data["not_solved"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if form.cleaned_data["not_solved"]:
            messages.success(request, _("Thank you. The case is reopened and returned to work."))
        else:
            messages.success(request, _("Thank you for your rating."))
    return redirect(_status_url(number, token))
