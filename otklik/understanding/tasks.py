"""Periodic jobs of the understanding app on Celery beat."""

from __future__ import annotations

from celery import shared_task

from .retraining import retrain_if_due


@shared_task(name="otklik.understanding.tasks.retrain_models_task", ignore_result=True)
def retrain_models_task() -> dict[str, str | None]:
    """Retrain the learned models that are due (hourly on beat; see :mod:`.retraining`)."""
    done = retrain_if_due()
    return {"category": done.category, "agency": done.agency}
