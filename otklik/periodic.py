"""Periodic jobs, in one registry that the in-process runner and Celery beat both read.

Each app registers its own jobs in its ``AppConfig.ready()``, one line each::

    periodic.register("ask-about-deputies-replies", 3600, "otklik.deputies.tasks.run_periodic_jobs")

A job is a name (unique: beat's entry, the logs, the bookkeeping of its runs), an interval in seconds,
a function called without arguments (given as its dotted path, imported when the job first runs, so
that a scheduler process does not load every app's machinery) and the Celery queue its runs go to.

Who runs them: in the embedded mode the in-process runner (:mod:`otklik.intake.runner`) runs each
job when its interval has passed; with Celery, beat sends one task per run
(:func:`otklik.celery.run_periodic_job` with the job's name, on the job's queue; the schedule is
:func:`beat_schedule`). Both go through :func:`run`, which claims the job by name and interval
(:func:`otklik.ops.jobs.run_once`): a job runs once per interval however many web processes, runners
or beats schedule it, and each run is recorded (the health page, ``/readyz``, the metrics).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

log = logging.getLogger("otklik.periodic")

TASK_NAME = "otklik.periodic.run_job"  # the Celery task that runs a job by its name (otklik/celery.py)
DEFAULT_QUEUE = "periodic"


@dataclass(frozen=True)
class Job:
    name: str
    every: float  # seconds between two runs
    target: str | Callable[[], Any]  # the function, or its dotted path
    queue: str = DEFAULT_QUEUE

    @property
    def function(self) -> Callable[[], Any]:
        if callable(self.target):
            return self.target
        function: Callable[[], Any] = import_string(self.target)
        return function


_jobs: dict[str, Job] = {}

# Claims a job by name and interval and records its run (:func:`otklik.ops.jobs.run_once`), installed
# by the ops app's ``ready()``: this module stays below every app, which all register jobs here.
_run_once: Callable[..., Any] | None = None


def set_run_once(function: Callable[..., Any]) -> None:
    global _run_once
    _run_once = function


def register(name: str, every: float, target: str | Callable[[], Any], *, queue: str = DEFAULT_QUEUE) -> Job:
    """Add a job; registering the same job again (a second ``ready()``) changes nothing, a different
    job under a taken name is an error."""
    if every <= 0:
        raise ImproperlyConfigured(f"periodic job {name!r}: the interval must be positive, got {every}")
    job = Job(name, float(every), target, queue)
    known = _jobs.get(name)
    if known is not None and known != job:
        raise ImproperlyConfigured(f"periodic job {name!r} is registered twice: {known} and {job}")
    _jobs[name] = job
    return job


def unregister(name: str) -> None:
    """Remove a job (a deployment that runs it elsewhere; tests)."""
    _jobs.pop(name, None)


def jobs() -> list[Job]:
    """The registered jobs, in the order of registration (the apps' order in INSTALLED_APPS)."""
    return list(_jobs.values())


def get(name: str) -> Job:
    try:
        return _jobs[name]
    except KeyError:
        raise LookupError(f"no periodic job {name!r}; registered: {', '.join(_jobs) or 'none'}") from None


def run(job: Job) -> Any:
    """Run ``job`` unless another process ran it less than its interval ago; return what it returned
    (None when skipped or failed — a failure is logged and recorded, never raised). Every scheduler
    runs jobs through here."""
    if _run_once is None:
        raise ImproperlyConfigured("periodic jobs need the app otklik.ops (it claims and records each run)")
    log.debug("running periodic job %s", job.name)
    return _run_once(job.name, job.every, job.function).result


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's entries: one per job, the task :data:`TASK_NAME` with the job's name, on its queue."""
    return {
        job.name: {
            "task": TASK_NAME,
            "schedule": job.every,
            "args": (job.name,),
            "options": {"queue": job.queue},
        }
        for job in jobs()
    }
