"""Operations endpoints: /healthz, /readyz, /metrics and the health page for supervisors.

``/healthz`` says the process is alive (no database touched: a proxy's or systemd's liveness probe
must not restart web servers because PostgreSQL is slow). ``/readyz`` runs the checks of
:mod:`otklik.ops.state` and answers 503 when a critical one fails (``?strict=1``: any). Their
details, and ``/metrics``, are given only to the monitoring addresses (``OTKLIK_METRICS_ALLOWED``)
or with the token (``OTKLIK_METRICS_TOKEN``, as ``Authorization: Bearer …``).
"""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from otklik.accounts.permissions import Capability, can

from . import metrics, state
from .middleware import _trusted


def may_monitor(request: HttpRequest) -> bool:
    token = settings.OTKLIK_METRICS_TOKEN
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        return True
    import ipaddress

    try:
        ip = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(ip in net for net in _trusted(tuple(settings.OTKLIK_METRICS_ALLOWED)))


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    checks = state.checks()
    strict = request.GET.get("strict") in ("1", "true", "yes")
    failing = [c for c in checks if c.status == state.FAIL and (c.critical or strict)]
    if strict:
        failing += [c for c in checks if c.status == state.WARN]
    body: dict[str, Any] = {"status": "not ready" if failing else "ready"}
    if may_monitor(request):
        body["checks"] = {c.key: c.as_json() for c in checks}
    return JsonResponse(body, status=503 if failing else 200, json_dumps_params={"default": str})


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_monitor(request):
        raise PermissionDenied
    return HttpResponse(generate_latest(metrics.registry(with_state=True)), content_type=CONTENT_TYPE_LATEST)


@never_cache
@login_required
def health_page(request: HttpRequest) -> HttpResponse:
    """The same checks in Russian, with the jobs, queues, connectors and recent dead letters."""
    user = request.user
    if not (user.is_staff or can(user, Capability.MONITOR)):
        raise PermissionDenied
    checks = state.checks()
    ready = not any(c.status == state.FAIL and c.critical for c in checks)
    by_key = {c.key: c for c in checks}
    queues = (by_key["lag"].data.get("queues") if "lag" in by_key else None) or {}
    context = {
        "checks": checks,
        "ready": ready,
        "jobs": state.read_jobs() if "jobs" in by_key else [],
        "sources": state.read_sources() if "connectors" in by_key else [],
        "queues": sorted(queues.items()),
        "dead_letters": sorted(state.read_dead_letters().items()) if "jobs" in by_key else [],
        "overdue": state.read_overdue() if "jobs" in by_key else None,
        "pipeline": settings.OTKLIK_PIPELINE,
    }
    return render(request, "ops/health.html", context)
