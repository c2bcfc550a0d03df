"""Side effects after commit: a Celery task sent once the current transaction commits.

An action writes, then schedules what leaves the system (an email, a Telegram message, a reply to a
social network) with :func:`task_after_commit`. Nothing is sent for a transaction that rolls back,
and the task finds committed whatever it reads. With Celery (``OTKLIK_PIPELINE=celery``) the task
goes to a worker, on the queue its route names (``notify`` for ``send_*``, ``notify_*`` and
``publish_*`` tasks, ``CELERY_TASK_ROUTES``); in the embedded mode tasks run eagerly, in this
process, right after the commit. A broker that cannot be reached makes the task run here and now
rather than lose it.

Arguments travel as JSON: ids and strings, never model instances (a task reloads what it needs).
Outside a transaction the task is sent at once.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnavailable

log = logging.getLogger("otklik.aftercommit")


def task_after_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task(*args, **kwargs)`` once the current transaction commits."""

    def send() -> None:
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except BrokerUnavailable:
            log.exception("could not queue %s; running it in this process", task.name)
            task.apply(args=args, kwargs=kwargs)

    transaction.on_commit(send)
