"""Celery application: the scale-out engine of the pipeline (Redis or RabbitMQ broker).

Beat's schedule is the registry of periodic jobs (:mod:`otklik.periodic`): :class:`Scheduler` adds an
entry per registered job, and :func:`run_periodic_job` runs a job by its name on a worker.
"""

import os
from typing import Any

from celery import Celery
from celery.beat import PersistentScheduler

from otklik import periodic

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

app = Celery("otklik")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name=periodic.TASK_NAME, ignore_result=True)
def run_periodic_job(name: str) -> Any:
    """Run the registered periodic job ``name`` (sent by beat)."""
    return periodic.run(periodic.get(name))


class Scheduler(PersistentScheduler):  # type: ignore[misc]
    """Beat's scheduler with the registered periodic jobs (``CELERY_BEAT_SCHEDULER``). The apps are
    ready when beat sets its schedule up, so every app's ``ready()`` has registered its jobs."""

    def setup_schedule(self) -> None:
        self.app.conf.beat_schedule = {**periodic.beat_schedule(), **(self.app.conf.beat_schedule or {})}
        super().setup_schedule()
