"""Celery tasks and the periodic jobs of cases: thin wrappers around :mod:`otklik.cases.actions`.

With Celery, beat sends ``mark_overdue_task`` (``CELERY_BEAT_SCHEDULE``); in the embedded mode the
in-process runner calls :func:`run_periodic_jobs` every minute. Both do the same work.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from celery import shared_task
from django.utils import timezone

from . import actions

log = logging.getLogger("otklik.cases.tasks")


def run_periodic_jobs(now: datetime | None = None) -> dict[str, Any]:
    """Mark cases past their deadline as overdue and escalate them to the supervisors."""
    now = now or timezone.now()
    overdue = actions.mark_overdue(now=now)
    if overdue:
        log.info("marked %d case(s) overdue", len(overdue))
    return {"at": now.isoformat(), "overdue": len(overdue), "overdue_case_ids": overdue}


@shared_task(name="otklik.cases.tasks.mark_overdue_task", ignore_result=True)
def mark_overdue_task() -> int:
    return int(run_periodic_jobs()["overdue"])
