"""The Prometheus counters every layer bumps where things happen (prometheus-client): HTTP requests
by view, method and status with their durations (the ops app's middleware), messages into the
pipeline by source and outcome and its stage times (:func:`observe_batch`, from the pipeline's
runner in every mode), failed fetches by source (:func:`observe_connector_error`), replies out by
source (:func:`observe_reply`).

This module stays below every app (it imports none), so intake counts without importing ops;
``/metrics`` (:mod:`otklik.ops.metrics`) exposes them with the gauges read from the state.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Histogram

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)

HTTP_REQUESTS = Counter("otklik_http_requests", "HTTP requests served", ["method", "view", "status"])
HTTP_DURATION = Histogram(
    "otklik_http_request_duration_seconds",
    "Time to serve a request",
    ["method", "view"],
    buckets=_LATENCY_BUCKETS,
)
PIPELINE_ITEMS = Counter(
    "otklik_pipeline_items", "Items through the pipeline by source and outcome", ["source", "outcome"]
)
PIPELINE_BATCHES = Counter("otklik_pipeline_batches", "Batches through the pipeline", ["mode"])
PIPELINE_STAGE = Histogram(
    "otklik_pipeline_stage_seconds",
    "Seconds a batch spent in each pipeline stage",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REPLIES = Counter("otklik_replies", "Answers published back to sources", ["source", "sent"])
CONNECTOR_ERRORS = Counter("otklik_connector_errors", "Failed fetches by source", ["source", "retriable"])


def observe_batch(
    outcomes: Mapping[str, Mapping[str, int]], timings: Mapping[str, float] | None = None, *, mode: str
) -> None:
    """Count one pipeline batch: ``outcomes`` is {source: {outcome: n}}, ``timings`` {stage: seconds}."""
    PIPELINE_BATCHES.labels(mode).inc()
    for source, counts in outcomes.items():
        for outcome, n in counts.items():
            if n:
                PIPELINE_ITEMS.labels(source or "-", outcome).inc(n)
    for stage, seconds in (timings or {}).items():
        PIPELINE_STAGE.labels(stage).observe(seconds)


def observe_connector_error(source: str, retriable: bool) -> None:
    CONNECTOR_ERRORS.labels(source or "-", "yes" if retriable else "no").inc()


def observe_reply(source: str, sent: bool) -> None:
    REPLIES.labels(source or "-", "yes" if sent else "no").inc()
