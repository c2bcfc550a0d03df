"""The supervisors' page of bursts: unusual rises of one category in one territory, with the cases
behind each alert, and "acknowledge" to mark an alert handled. Center roles only (403 otherwise).

Alerts are raised by :func:`otklik.cases.tasks.check_bursts` (the periodic job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.accounts.models import User
from otklik.accounts.permissions import AnyUser, Capability, require
from otklik.understanding.models import BurstAlert

from .models import Case

RECENTLY_HANDLED_DAYS = 7
HANDLED_SHOWN = 20


def _require_center(user: AnyUser) -> User:
    return require(user, Capability.MODERATE, _("Only the center's moderators and supervisors see bursts."))


def acknowledge_alert(alert_id: int, user: AnyUser, *, now: datetime | None = None) -> bool:
    """Mark an open alert handled by ``user``; False when it was acknowledged already."""
    user = _require_center(user)
    now = now or timezone.now()
    updated = BurstAlert.objects.filter(pk=alert_id, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=user
    )
    if not updated and not BurstAlert.objects.filter(pk=alert_id).exists():
        raise Http404("No such alert")
    return bool(updated)


def _with_cases(alerts: list[BurstAlert], user: AnyUser) -> None:
    """Attach the cases behind each alert (one query for all alerts, scoped to the user)."""
    ids = {case_id for alert in alerts for case_id in alert.case_ids}
    cases = {
        case.pk: case
        for case in Case.objects.visible_to(user)
        .filter(pk__in=ids)
        .only("pk", "number", "title", "text", "status", "created_at", "is_urgent")
    }
    for alert in alerts:
        alert.cases = [cases[i] for i in alert.case_ids if i in cases]  # type: ignore[attr-defined]


@login_required
def bursts(request: HttpRequest) -> HttpResponse:
    _require_center(request.user)
    related = ("category__parent", "territory", "acknowledged_by")
    open_alerts = list(
        BurstAlert.objects.filter(acknowledged_at__isnull=True)
        .select_related(*related)
        .order_by("-window_start", "-score")
    )
    handled = list(
        BurstAlert.objects.filter(acknowledged_at__gte=timezone.now() - timedelta(days=RECENTLY_HANDLED_DAYS))
        .select_related(*related)
        .order_by("-acknowledged_at")[:HANDLED_SHOWN]
    )
    _with_cases([*open_alerts, *handled], request.user)
    return render(request, "cases/bursts.html", {"open_alerts": open_alerts, "handled": handled})


@login_required
@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    if acknowledge_alert(alert_id, request.user):
        messages.success(request, _("The alert is marked handled."))
    else:
        messages.info(request, _("The alert was handled already."))
    return redirect("cases:bursts")
