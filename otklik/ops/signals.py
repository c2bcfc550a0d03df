"""Celery hooks: stamp every task with the moment it was sent (the pipeline's lag on /readyz), and
serve a worker's metrics on its own port when ``OTKLIK_WORKER_METRICS_PORT`` is set."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from typing import Any

from celery.signals import before_task_publish, worker_init

from .broker import SENT_AT_HEADER

log = logging.getLogger("otklik.ops")


@before_task_publish.connect
def stamp_sent_at(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    if headers is not None:
        headers.setdefault(SENT_AT_HEADER, time.time())


@worker_init.connect
def count_in_files(sender: Any = None, **_kwargs: Any) -> None:
    """A worker's pool runs the tasks in child processes: their counters go to files in a folder of
    this worker's own (emptied at its start), which the web server's ``/metrics`` and this worker's
    port sum. Set before the pool forks; a metric's value is made on its first ``labels()``, in the
    child."""
    from prometheus_client import values

    from .metrics import worker_dir

    name = re.sub(r"[^\w.@-]", "_", str(getattr(sender, "hostname", "") or os.getpid()))
    folder = worker_dir() / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)
    values.ValueClass = values.MultiProcessValue()


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
