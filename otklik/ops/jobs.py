"""Periodic jobs that run once however many processes run them.

Every web process with the in-process runner, every Celery beat (one is enough, a second by mistake
is harmless) calls :func:`run_once` for each job on its own clock. The first process whose
conditional ``UPDATE`` moves the job's ``started_at`` forward runs it; the others find it claimed
and skip. The claim is one statement, so it holds on PostgreSQL (a concurrent ``UPDATE`` waits for
the first and re-reads the row) and on SQLite (writes are serialized) alike, and no transaction is
held while the job runs. A process killed mid-job only delays the next run by one interval.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import JobRun

log = logging.getLogger("otklik.ops.jobs")

# A job is due again after this share of its interval: clocks of processes started at different
# moments do not line up, and a beat firing a little early must not skip a whole interval.
DUE_SHARE = 0.8


@dataclass(frozen=True)
class Outcome:
    ran: bool
    result: Any = None
    error: str = ""


def claim(name: str, every: float, *, now: datetime | None = None) -> bool:
    """Take the job ``name`` for this process if it is due; True when this process must run it."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            JobRun.objects.get_or_create(name=name)
    except IntegrityError:  # another process created the row at the same moment
        pass
    due_before = now - timedelta(seconds=every * DUE_SHARE)
    claimed = JobRun.objects.filter(
        Q(started_at__isnull=True) | Q(started_at__lte=due_before), name=name
    ).update(started_at=now, finished_at=None, host=_host(), runs=F("runs") + 1, every=every)
    return claimed == 1


def run_once(name: str, every: float, job: Callable[[], Any], *, now: datetime | None = None) -> Outcome:
    """Run ``job`` if no other process ran it in the last ``every`` seconds; record how it went.

    An exception is recorded on the job's row and logged, never raised: one failing job must not
    stop the runner's or the worker's other jobs."""
    if not claim(name, every, now=now):
        return Outcome(ran=False)
    start = time.perf_counter()
    try:
        result = job()
    except Exception as exc:
        log.exception("periodic job %s failed", name)
        _finish(name, start, ok=False, error=f"{type(exc).__name__}: {exc}"[:2000])
        return Outcome(ran=True, error=str(exc))
    _finish(name, start, ok=True, error="")
    return Outcome(ran=True, result=result)


def _finish(name: str, start: float, *, ok: bool, error: str) -> None:
    JobRun.objects.filter(name=name).update(
        finished_at=timezone.now(), ok=ok, error=error, duration=round(time.perf_counter() - start, 3)
    )


def _host() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"[:200]
