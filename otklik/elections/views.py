"""The situational center's pages: the dashboard, an observer's station, an incident, a photo.
Views parse, call the app's services (access, reports, hotline, dashboard, campaign, …) and render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from otklik.accounts.permissions import observes_station
from otklik.accounts.telegram import bot_enabled
from otklik.analytics.heatmap import municipal_geometry_script
from otklik.security.uploads import image_response

from . import access, coordination, exit_polls, exports, hotline, live, reports, violations
from . import dashboard as situation  # the view below is named dashboard
from .forms import (
    CallForm,
    CloseIncidentForm,
    CoverageFilterForm,
    ExitPollForm,
    IncidentFilterForm,
    IncidentTypeForm,
    ObserverCallForm,
    ReportForm,
)
from .models import (
    ChecklistQuestion,
    ExitPollOption,
    Incident,
    PollingStation,
    Report,
    VoterCall,
)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    access.require_headquarters(request.user)
    election = access.active_election()
    if election is None:
        return render(request, "elections/dashboard.html", {"board": None})
    # Built once per interval and shared by every member of the center (live.py), not per request.
    head, built = live.shared(election)
    if getattr(request, "htmx", False):
        # The periodic refresh swaps the figures in; the map keeps its view and its geometry. Their
        # HTML is rendered once per snapshot and kind of member (who may log calls).
        variant = f"{access.may_call_observers(request.user):d}:{get_language()}"
        html = live.rendered(
            head,
            variant,
            lambda: render_to_string("elections/_live.html", _live_context(live.body(head, built)), request),
        )
        return HttpResponse(html)
    context = _live_context(live.body(head, built)) | {
        "violation_types": violations.active_types(),  # the map's filter, not refreshed
        "map_config": {
            "tiles": str(getattr(settings, "OTKLIK_MAP_TILES_URL", "") or ""),
            "station_url": reverse("elections:station_detail", args=[0]),
        },
        "geometry_script": municipal_geometry_script(),
    }
    return render(request, "elections/dashboard.html", context)


def _live_context(figures: live.Live) -> dict[str, Any]:
    return {
        "board": figures.board,
        "election": figures.board.election,
        "poll": figures.poll,
        "protocol_check": figures.protocol_check,
        "checklist": figures.checklist,
        "map_data": figures.map_data,
        "map_script": figures.map_script,
        "refresh_seconds": settings.OTKLIK_ELECTIONS_REFRESH_SECONDS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def station(request: HttpRequest) -> HttpResponse:
    mine = access.observer_station(request.user)  # PermissionDenied → 403 for everyone else
    election = access.active_election()
    options = list(ExitPollOption.objects.filter(election=election)) if election else []
    is_poll = request.POST.get("action") == "exitpoll"
    questions = list(ChecklistQuestion.objects.filter(election=election)) if election else []
    form = ReportForm(
        None if is_poll else (request.POST or None),
        None if is_poll else (request.FILES or None),
        questions=questions,
    )
    poll_form = ExitPollForm(request.POST if is_poll else None, options=options)
    if is_poll and election is not None and poll_form.is_valid():
        try:
            exit_polls.enter_sheet(
                observer=request.user,
                election=election,
                counts=poll_form.counts(),
                declined=poll_form.cleaned_data.get("declined") or 0,
            )
        except ValidationError as exc:
            poll_form.add_error(None, exc)
        else:
            messages.success(request, _("The exit poll sheet is saved."))
            return redirect("elections:station")
    if request.method == "POST" and not is_poll and election is not None and form.is_valid():
        data = form.cleaned_data
        try:
            reports.file_report(
                observer=request.user,
                election=election,
                kind=data["kind"],
                turnout=data["turnout"],
                text=data["text"],
                photo=data["photo"],
                client_id=data["client_id"],
                checklist=form.checklist(),
                violation_type=data.get("violation_type"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The report is sent to the situational center."))
            return redirect("elections:station")
    recent = (
        Report.objects.filter(station=mine)
        .select_related("incident", "violation_type")
        .order_by("-created_at")[:50]
    )
    context = {
        "station": mine,
        "election": election,
        "form": form,
        "poll_form": poll_form if options else None,
        "reports": recent,
        "telegram_bot": bot_enabled(),
        # How many, never who: the voters' names and phones stay with the center.
        "home_voting": hotline.home_voting_requests(election).filter(station=mine).count(),
    }
    return render(
        request, "elections/station.html", context, status=400 if form.errors or poll_form.errors else 200
    )


@login_required
@require_GET
def find_station(request: HttpRequest) -> HttpResponse:
    """The "go to station" box of the dashboard and of the observers' page."""
    access.require_stations(request.user)
    found = situation.find_station(request.GET.get("number", ""))
    if found is None:
        messages.error(request, _("No polling station with that number."))
        start = "elections:dashboard" if access.is_headquarters(request.user) else "elections:observers"
        return redirect(start)
    return redirect("elections:station_detail", number=found.number)


@login_required
@require_http_methods(["GET", "POST"])
def station_detail(request: HttpRequest, number: int) -> HttpResponse:
    """A station for the center, the lawyers and the call-center operators: observers with their
    phones, the calls to them (those who coordinate observers log a call here), reports, incidents.
    Its own observer is sent to their page; other observers get a 403."""
    station = get_object_or_404(PollingStation.objects.select_related("commission"), number=number)
    if observes_station(request.user, station.pk):
        return redirect("elections:station")
    access.require_stations(request.user)
    election = access.active_election()
    back = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    form = None
    if access.may_call_observers(request.user) and election is not None:
        form = ObserverCallForm(request.POST or None, station=station)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                coordination.log_call(
                    caller=request.user,
                    election=election,
                    station=station,
                    outcome=data["outcome"],
                    observer=data["observer"],
                    phone=data["phone"],
                    note=data["note"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("The call is logged."))
                return redirect(back or reverse("elections:station_detail", args=[station.number]))
    elif request.method == "POST":
        access.require_observer_calls(request.user)  # a lawyer cannot log calls: 403
    # Those who only call observers see whether reports came in and their status, not what they say.
    full = access.reads_reports_in_full(request.user)
    record = situation.station_record(station, election, content=full)
    context = {"record": record, "call_form": form, "next": back, "report_content": full}
    return render(
        request, "elections/station_detail.html", context, status=400 if form and form.errors else 200
    )


@login_required
@require_GET
def observers(request: HttpRequest) -> HttpResponse:
    """Coordinating observers: the silent stations to call, coverage by commission, stations without
    an observer, observers who never signed in, and the log of the calls to observers."""
    access.require_observer_calls(request.user)
    election = access.active_election()
    form = CoverageFilterForm(request.GET or None)
    chosen: dict[str, Any] = form.cleaned_data if form.is_valid() else {"commission": None, "outcome": ""}
    calls, silent = None, []
    if election is not None:
        log = coordination.call_log(election, outcome=chosen["outcome"], commission=chosen["commission"])
        calls = Paginator(log, 50).get_page(request.GET.get("page"))
        # The dashboard's silent stations (the shared snapshot): the call operator has no dashboard.
        silent = situation.silent_stations(live.current(election).board, chosen["commission"])
    context = {
        "form": form,
        "election": election,
        "silent": silent,
        "coverage": coordination.coverage(commission=chosen["commission"]),
        "summary": coordination.call_summary(election) if election else None,
        "calls": calls,
    }
    return render(request, "elections/observers.html", context)


@login_required
@require_GET
def incidents(request: HttpRequest) -> HttpResponse:
    """The election's incidents for the lawyers, by type of violation, status and commission."""
    access.require_headquarters(request.user)
    election = access.active_election()
    form = IncidentFilterForm(request.GET or None)
    found = (
        reports.incident_list(election, **_incident_filters(form)) if election else Incident.objects.none()
    )
    page = Paginator(found, 100).get_page(request.GET.get("page"))
    context = {"form": form, "election": election, "page": page, "query": request.GET.urlencode()}
    return render(request, "elections/incidents.html", context)


def _incident_filters(form: IncidentFilterForm) -> dict[str, Any]:
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {"violation_type": data["type"], "status": data["status"], "commission": data["commission"]}


@login_required
@require_http_methods(["GET", "POST"])
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    access.require_headquarters(request.user)
    found = get_object_or_404(
        Incident.objects.select_related("report__station__commission", "report__violation_type", "lawyer"),
        pk=pk,
    )
    action = request.POST.get("action")
    form = CloseIncidentForm(request.POST if action == "close" else None)
    type_form = IncidentTypeForm(
        request.POST if action == "retype" else None,
        initial={"violation_type": found.report.violation_type_id},
    )
    if request.method == "POST":
        try:
            if action == "take":
                reports.take_incident(found, request.user)
                messages.success(request, _("The incident is yours."))
                return redirect("elections:incident", pk=pk)
            if action == "retype" and type_form.is_valid():
                reports.retype_incident(found, request.user, type_form.cleaned_data["violation_type"])
                messages.success(request, _("The type of violation is changed."))
                return redirect("elections:incident", pk=pk)
            if action == "close" and form.is_valid():
                reports.close_incident(
                    found,
                    request.user,
                    status=form.cleaned_data["status"],
                    resolution=form.cleaned_data["resolution"],
                )
                messages.success(request, _("The incident is closed."))
                return redirect("elections:incident", pk=pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    context = {"incident": found, "form": form, "type_form": type_form}
    return render(request, "elections/incident.html", context)


@login_required
@require_GET
def photo(request: HttpRequest, pk: int) -> FileResponse:
    report = get_object_or_404(access.visible_reports(request.user), pk=pk)
    if not report.photo:
        raise Http404("No photo")
    return image_response(report.photo, stem=f"report-{report.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def calls(request: HttpRequest) -> HttpResponse:
    access.require_hotline(request.user)
    election = access.active_election()
    form = CallForm(request.POST or None)
    if request.method == "POST" and election is not None and form.is_valid():
        data = form.cleaned_data
        try:
            call = hotline.take_call(operator=request.user, election=election, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if call.report_id:
                messages.warning(request, _("The violation is passed to the lawyers as an incident."))
            messages.success(request, _("The call is recorded."))
            return redirect("elections:calls")
    recent = VoterCall.objects.filter(election=election).select_related("station", "report__incident")[:50]
    context = {"form": form, "election": election, "calls": recent}
    return render(request, "elections/calls.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def incidents_xlsx(request: HttpRequest) -> HttpResponse:
    """The active election's incidents as a spreadsheet, for the center and the lawyers."""
    access.require_headquarters(request.user)
    election = access.active_election()
    if election is None:
        raise Http404(_("No active election."))
    chosen = _incident_filters(IncidentFilterForm(request.GET or None))
    body = exports.incidents_xlsx(
        election,
        reports.incident_list(election, **chosen).order_by("report__created_at", "pk"),
        photo_url=lambda pk: request.build_absolute_uri(reverse("elections:photo", args=[pk])),
    )
    return exports.xlsx_response(body, f"incidents-{election.day:%Y-%m-%d}.xlsx")


@login_required
@require_GET
def home_voting_xlsx(request: HttpRequest) -> HttpResponse:
    """The hotline's requests to vote at home, by station, to pass to the commissions."""
    access.require_hotline(request.user)
    election = access.active_election()
    if election is None:
        raise Http404(_("No active election."))
    return exports.xlsx_response(
        exports.home_voting_xlsx(election), f"home-voting-{election.day:%Y-%m-%d}.xlsx"
    )
