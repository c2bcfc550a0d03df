"""The periodic jobs of cases: thin wrappers around :mod:`otklik.cases.actions`.

:func:`run_periodic_jobs` is the job "mark-overdue" (registered in :mod:`otklik.cases.apps`, run
every ``OTKLIK_OVERDUE_CHECK_SECONDS`` by the in-process runner or Celery beat, :mod:`otklik.periodic`):
overdue cases, bursts of one category in one territory (a new alert emails the supervisors once) and
the similar-cases index when it is stale.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from otklik.understanding.bursts import Observation, detect_bursts
from otklik.understanding.models import BurstAlert

from . import actions, notifications, similar
from .choices import CaseStatus
from .models import Case

log = logging.getLogger("otklik.cases.tasks")


BURST_HISTORY_DAYS = 29  # the baseline's 28 days and the current one


def burst_observations(now: datetime) -> list[Observation]:
    """Cases of the last days as (id, category, territory, created): the confirmed category and place,
    else the pipeline's suggestion; rejected cases (spam, off-topic) do not count."""
    rows = (
        Case.objects.filter(created_at__gte=now - timedelta(days=BURST_HISTORY_DAYS), created_at__lte=now)
        .exclude(status=CaseStatus.REJECTED)
        .values_list(
            "pk",
            "category_id",
            "suggested_category_id",
            "territory_id",
            "suggested_territory_id",
            "created_at",
        )
    )
    return [
        (pk, category or suggested_category, territory or suggested_territory, created)
        for pk, category, suggested_category, territory, suggested_territory, created in rows.iterator()
    ]


def check_bursts(now: datetime) -> list[BurstAlert]:
    """Detect bursts of the current window; the new alerts (each emailed to the supervisors once)."""
    with transaction.atomic():
        known = set(BurstAlert.objects.values_list("pk", flat=True).filter(window_end__gt=now))
        alerts = detect_bursts(now, burst_observations(now))
        new = [alert for alert in alerts if alert.pk not in known]
        for alert in new:
            notifications.burst_detected(alert)  # sent after commit
    return new


def run_periodic_jobs(now: datetime | None = None) -> dict[str, Any]:
    """Mark overdue cases and escalate them; raise burst alerts; refresh the similar-cases index."""
    now = now or timezone.now()
    overdue = actions.mark_overdue(now=now)
    if overdue:
        log.info("marked %d case(s) overdue", len(overdue))
    bursts = check_bursts(now)
    if bursts:
        log.info("raised %d burst alert(s)", len(bursts))
    rebuilt = similar.refresh()
    return {
        "at": now.isoformat(),
        "overdue": len(overdue),
        "overdue_case_ids": overdue,
        "bursts": len(bursts),
        "burst_alert_ids": [alert.pk for alert in bursts],
        "similar_index_rebuilt": rebuilt,
    }
