"""Analytics pages: thin views over heatmap / dynamics / kpi / summary, which read the rollups only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from otklik.accounts.permissions import agency_of, works_queue
from otklik.directory.models import Agency

from . import charts, dynamics, export_cache, exports, heatmap, kpi, rollups, summary
from .access import can_see_agency, can_see_analytics
from .filters import Scope, scope_from


def _fresh() -> None:
    """Refresh lazily when the periodic job has not run for a while (or never)."""
    max_age = int(getattr(settings, "OTKLIK_ANALYTICS_MAX_AGE_SECONDS", 300))
    rollups.ensure_fresh(max_age=timedelta(seconds=max_age))


def analytics_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_see_analytics(request.user):
            raise PermissionDenied
        _fresh()
        return view(request, *args, **kwargs)

    return wrapped


def _metric(request: HttpRequest) -> str:
    metric: str = request.GET.get("metric") or ""
    return metric if metric in heatmap.METRICS else heatmap.DEFAULT_METRIC


def _query(scope: Scope, **extra: Any) -> str:
    params = {
        "date_from": scope.date_from.isoformat(),
        "date_to": scope.date_to.isoformat(),
        **({"territory": scope.territory} if scope.territory else {}),
        **({"category": scope.subcategory or scope.category} if scope.category else {}),
        **({"channel": scope.channel} if scope.channel else {}),
        **{k: v for k, v in extra.items() if v},
    }
    return urlencode(params)


def _base(request: HttpRequest, section: str) -> dict[str, Any]:
    form, scope = scope_from(request.GET)
    return {
        "form": form,
        "scope": scope,
        "section": section,
        "query": _query(scope),
        "refreshed_at": rollups.last_refresh(),
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    if can_see_analytics(request.user):
        return redirect("analytics:heatmap")
    agency_id = agency_of(request.user)
    if agency_id is not None:
        return redirect("analytics:agency", agency_id=agency_id)
    raise PermissionDenied


# --- heat map -------------------------------------------------------------------------------------


@analytics_view
def heatmap_page(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "heatmap")
    metric = _metric(request)
    values = heatmap.territory_values(ctx["scope"])
    ctx.update(
        metric=metric,
        metrics=heatmap.METRICS,
        values=values,
        rows=[{"t": v, "value": v.value(metric)} for v in values],
        unplaced=heatmap.unplaced(ctx["scope"]),
        geometry_script=heatmap.municipal_geometry_script(),
        map_config={
            "dataUrl": reverse("analytics:heatmap-data"),
            "hexUrl": reverse("analytics:heatmap-hex"),
            "queueUrl": reverse("cases:queue") if works_queue(request.user) else "",
            "queueQuery": urlencode(
                {k: v for k, v in ctx["scope"].case_params().items() if k != "territory"}
            ),
            "query": ctx["query"],
            "metric": metric,
            "tiles": getattr(settings, "OTKLIK_MAP_TILES_URL", ""),
            "hexResolutions": list(heatmap.RESOLUTIONS),
        },
    )
    return render(request, "analytics/heatmap.html", ctx)


@analytics_view
def heatmap_data(request: HttpRequest) -> JsonResponse:
    _form, scope = scope_from(request.GET)
    metric = _metric(request)
    values = heatmap.territory_values(scope)
    return JsonResponse(
        {
            "metric": metric,
            "territories": [v.as_dict(metric) for v in values],
            "unplaced": heatmap.unplaced(scope),
        }
    )


def _bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    try:
        parts = [float(p) for p in (raw or "").split(",")]
    except ValueError:
        return None
    if len(parts) != 4:
        return None
    return parts[0], parts[1], parts[2], parts[3]


@analytics_view
def heatmap_hex(request: HttpRequest) -> JsonResponse:
    _form, scope = scope_from(request.GET)
    metric = _metric(request)
    try:
        resolution = int(request.GET.get("res", heatmap.RESOLUTIONS[0]))
    except ValueError:
        resolution = heatmap.RESOLUTIONS[0]
    cells = heatmap.hexagons(scope, resolution=resolution, bbox=_bbox(request.GET.get("bbox")), metric=metric)
    return JsonResponse({"metric": metric, "resolution": resolution, "cells": cells})


# --- dynamics -------------------------------------------------------------------------------------


def _axis_labels(days: list[Any], step: str) -> list[str]:
    return [date_format(d, "m.Y" if step == "month" else "d.m") for d in days]


@analytics_view
def dynamics_page(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "dynamics")
    dim = request.GET.get("by", "category")
    step = request.GET.get("step", "day")
    measure = request.GET.get("measure", "messages")
    result = dynamics.dynamics(ctx["scope"], dimension=dim, step=step, measure=measure)
    labels = _axis_labels(result.periods, result.step)
    chart = charts.for_page(
        charts.line_chart,
        labels,
        [(result.total.label, result.total.values)] + [(s.label, s.values) for s in result.series],
    )
    growing = dynamics.fastest_growing(ctx["scope"])
    ctx.update(
        result=result,
        chart=chart,
        growing=growing,
        dimensions=dynamics.DIMENSIONS,
        steps=dynamics.STEPS,
        measures=dynamics.MEASURES,
    )
    return render(request, "analytics/dynamics.html", ctx)


# --- agencies -------------------------------------------------------------------------------------


@analytics_view
def agencies_page(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "agencies")
    order = request.GET.get("order", "on_time")
    ctx.update(
        groups=kpi.ranking_groups(ctx["scope"], order=order),
        order=order,
        orders=kpi.RANKINGS,
        min_cases=kpi.min_cases(),
    )
    return render(request, "analytics/agencies.html", ctx)


@login_required
def agency_page(request: HttpRequest, agency_id: int) -> HttpResponse:
    if not can_see_agency(request.user, agency_id):
        raise Http404("No such agency")
    agency = Agency.objects.filter(pk=agency_id).first()
    if agency is None:
        raise Http404("No such agency")
    _fresh()
    ctx = _base(request, "agencies")
    figures = kpi.agency_kpis(ctx["scope"], agency=agency_id).get(agency_id) or kpi.AgencyKpi(agency_id)
    weeks, series = kpi.agency_weekly(ctx["scope"], agency_id)
    names = {"received": _("Received"), "answered": _("Answered"), "on_time": _("Answered on time")}
    chart = charts.for_page(
        charts.line_chart,
        [date_format(w, "d.m") for w in weeks],
        [(str(names[k]), v) for k, v in series.items()],
    )
    ctx.update(
        agency=agency,
        k=figures,
        chart=chart,
        full_access=can_see_analytics(request.user),
    )
    ctx["works_queue"] = works_queue(request.user)
    return render(request, "analytics/agency.html", ctx)


# --- summary of problems --------------------------------------------------------------------------


@analytics_view
def summary_page(request: HttpRequest) -> HttpResponse:
    ctx = _base(request, "summary")
    s = summary.summary(ctx["scope"])
    ctx.update(
        s=s,
        chart=charts.for_page(charts.bar_chart, [(p.label, p.cases) for p in s.problems]),
        trends={p.label: exports.trend_text(p.trend) for p in s.problems},
    )
    return render(request, "analytics/summary.html", ctx)


def _filename(scope: Scope, ext: str) -> str:
    return f"svod-{scope.date_from:%Y%m%d}-{scope.date_to:%Y%m%d}.{ext}"


@analytics_view
def summary_xlsx(request: HttpRequest) -> HttpResponse:
    _form, scope = scope_from(request.GET)
    response = HttpResponse(
        export_cache.rendered(scope, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(scope, "xlsx")}"'
    return response


@analytics_view
def summary_pdf(request: HttpRequest) -> HttpResponse:
    _form, scope = scope_from(request.GET)
    response = HttpResponse(export_cache.rendered(scope, "pdf"), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(scope, "pdf")}"'
    return response
