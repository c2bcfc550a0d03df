"""Celery hooks: stamp every task with the moment it was sent (the pipeline's lag on /readyz), record
each run of a periodic job sent by beat, and serve a worker's metrics on its own port when
``OTKLIK_WORKER_METRICS_PORT`` is set."""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun, worker_init

from .broker import SENT_AT_HEADER

log = logging.getLogger("otklik.ops")


@before_task_publish.connect
def stamp_sent_at(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    if headers is not None:
        headers.setdefault(SENT_AT_HEADER, time.time())


@worker_init.connect
def serve_worker_metrics(**_kwargs: Any) -> None:
    port = os.environ.get("OTKLIK_WORKER_METRICS_PORT")
    if not port:
        return
    from prometheus_client import start_http_server

    from .metrics import registry

    start_http_server(
        int(port), addr=os.environ.get("OTKLIK_WORKER_METRICS_ADDR", "127.0.0.1"), registry=registry()
    )
    log.info("worker metrics on port %s", port)


# --- periodic jobs sent by beat: each run recorded on its JobRun row (the health page, /readyz) ----


def _beat_job(task: Any, args: Any) -> tuple[str, float] | None:
    """(name, interval in seconds) of the registered periodic job a task runs: beat sends
    ``otklik.periodic.run_job`` with the job's name (:mod:`otklik.periodic`)."""
    from otklik import periodic

    if getattr(task, "name", "") != periodic.TASK_NAME or not args:
        return None
    try:
        job = periodic.get(str(args[0]))
    except LookupError:
        return None
    return job.name, job.every


@task_prerun.connect
def job_started(task: Any = None, args: Any = None, **_kwargs: Any) -> None:
    job = _beat_job(task, args)
    if job is None:
        return
    from django.db.models import F
    from django.utils import timezone

    from .jobs import _host
    from .models import JobRun

    name, every = job
    JobRun.objects.get_or_create(name=name)
    JobRun.objects.filter(name=name).update(
        started_at=timezone.now(), finished_at=None, host=_host(), runs=F("runs") + 1, every=every
    )
    _started[name] = time.perf_counter()


@task_postrun.connect
def job_finished(
    task: Any = None, args: Any = None, state: str | None = None, retval: Any = None, **_kwargs: Any
) -> None:
    job = _beat_job(task, args)
    if job is None:
        return
    from django.utils import timezone

    from .models import JobRun

    name = job[0]
    ok = state == "SUCCESS"
    started = _started.pop(name, None)
    JobRun.objects.filter(name=name).update(
        finished_at=timezone.now(),
        ok=ok,
        error="" if ok else str(retval)[:2000],
        duration=None if started is None else round(time.perf_counter() - started, 3),
    )


_started: dict[str, float] = {}
