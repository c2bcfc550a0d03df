"""What waits in the broker: the depth of each Celery queue and the age of its oldest task.

Tasks carry the moment they were sent (``otklik_sent_at``, added by :mod:`otklik.ops.signals`);
on Redis the oldest task of a queue is the list's last element, read without taking it. RabbitMQ
tells only the depth (a passive declare), not the age.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from django.conf import settings

SENT_AT_HEADER = "otklik_sent_at"


@dataclass(frozen=True)
class QueueState:
    name: str
    depth: int
    oldest_age: float | None  # seconds the oldest waiting task has waited; None: unknown or empty


def queue_names() -> list[str]:
    return list(settings.OTKLIK_CELERY_QUEUES)


def inspect_queues(timeout: float = 2.0) -> list[QueueState]:
    """Connect to the broker and read every queue; raises when the broker cannot be reached."""
    from otklik.celery import app

    states = []
    with app.connection_for_read(settings.CELERY_BROKER_URL) as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        channel = connection.default_channel
        redis = getattr(channel, "client", None) if connection.transport.driver_type == "redis" else None
        for name in queue_names():
            if redis is not None:
                depth = int(redis.llen(name))
                oldest = _age(redis.lindex(name, -1)) if depth else None
            else:
                try:
                    _name, depth, _consumers = channel.queue_declare(name, passive=True)
                except Exception:  # the queue was never declared: nothing waits in it
                    channel = connection.channel()
                    depth = 0
                oldest = None
            states.append(QueueState(name, depth, oldest))
    return states


def _age(raw: bytes | str | None) -> float | None:
    if not raw:
        return None
    try:
        sent = json.loads(raw).get("headers", {}).get(SENT_AT_HEADER)
    except (ValueError, AttributeError):
        return None
    return max(0.0, time.time() - float(sent)) if sent else None
