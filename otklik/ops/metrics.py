"""Prometheus metrics (prometheus-client) as ``/metrics`` serves them.

Counted where they happen (:mod:`otklik.metrics`, below every app): HTTP requests by view, method and
status with their durations (:class:`~otklik.ops.middleware.RequestContextMiddleware`), messages
into the pipeline by source and outcome and its stage times, failed fetches and replies by source.
Read from the database and the broker when scraped (:class:`StateCollector`): overdue cases, dead
letters of the last 24 hours, queue depth and the oldest task's age, each connector's failures in a
row, each periodic job's age.

Under gunicorn with several processes the counters go through ``PROMETHEUS_MULTIPROC_DIR`` (the web
server's own folder); every Celery worker counts in files too, in a folder of its own under
:func:`worker_dir` (its pool's children count the pipeline, not the process that starts them:
:mod:`otklik.ops.signals`). The web server's ``/metrics`` sums both, so one machine's pipeline
counters are at its ``/metrics``; a worker on another machine serves its own folder on
``OTKLIK_WORKER_METRICS_PORT``.
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("otklik.ops.metrics")


class StateCollector:
    """Gauges read when scraped, from the database and the broker (a failure is logged, not raised,
    so a scrape still returns the counters)."""

    def collect(self) -> Iterator[Metric]:
        from . import state

        started = time.perf_counter()
        try:
            yield from _gauges(state.snapshot())
        except Exception:
            log.exception("could not read the state for the metrics")
        scrape = GaugeMetricFamily("otklik_state_scrape_seconds", "Time to read the state gauges")
        scrape.add_metric([], time.perf_counter() - started)
        yield scrape


def _gauges(snap: Mapping[str, Any]) -> Iterable[Metric]:
    overdue = GaugeMetricFamily("otklik_overdue_cases", "Open cases past their deadline")
    overdue.add_metric([], snap["overdue_cases"])
    yield overdue
    dead = GaugeMetricFamily("otklik_dead_letters_24h", "Dead letters of the last 24 hours", labels=["stage"])
    for stage, n in snap["dead_letters_24h"].items():
        dead.add_metric([stage], n)
    yield dead
    depth = GaugeMetricFamily("otklik_queue_depth", "Tasks waiting in a Celery queue", labels=["queue"])
    age = GaugeMetricFamily(
        "otklik_queue_oldest_seconds", "Age of the oldest task waiting in a queue", labels=["queue"]
    )
    for queue in snap["queues"]:
        depth.add_metric([queue.name], queue.depth)
        age.add_metric([queue.name], queue.oldest_age or 0.0)
    yield depth
    yield age
    failing = GaugeMetricFamily(
        "otklik_connector_failures_in_row", "A source's failed fetches in a row", labels=["source"]
    )
    for source in snap["sources"]:
        failing.add_metric([source["code"]], source["retry_count"])
    yield failing
    job_age = GaugeMetricFamily(
        "otklik_periodic_job_age_seconds", "Seconds since a periodic job last started", labels=["job"]
    )
    job_ok = GaugeMetricFamily("otklik_periodic_job_ok", "1 when a job's last run succeeded", labels=["job"])
    for job in snap["jobs"]:
        if job["age"] is not None:
            job_age.add_metric([job["name"]], job["age"])
        job_ok.add_metric([job["name"]], 1.0 if job["ok"] else 0.0)
    yield job_age
    yield job_ok


class _Combined:
    def __init__(self, *collectors: Any) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def worker_dir() -> Path:
    """The folder under which each Celery worker of this machine keeps its counters' files."""
    from django.conf import settings

    return Path(settings.OTKLIK_WORKER_METRICS_DIR)


class _Files:
    """Counters of every process that wrote into ``folders`` (multiprocess files), merged into one
    family per metric — two collectors of the same names would repeat a family, which Prometheus
    refuses."""

    def __init__(self, *folders: Path) -> None:
        self.folders = folders

    def collect(self) -> Iterable[Metric]:
        files = sorted(f for folder in self.folders for f in glob.glob(str(folder / "*.db")))
        return MultiProcessCollector.merge(files, accumulate=True)


def registry(*, with_state: bool = False) -> Any:
    """What ``/metrics`` exposes: every process's counters (multiprocess mode) or this process's,
    plus, for the web, the state gauges and the counters of this machine's Celery workers."""
    extra = [StateCollector()] if with_state else []
    own = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if own:
        workers = sorted(p for p in worker_dir().glob("*") if p.is_dir()) if with_state else []
        folders = [Path(own), *(p for p in workers if p != Path(own))]
        return _Combined(_Files(*folders), *extra)
    return _Combined(REGISTRY, *extra)
