"""The state of a running Otklik, read for /readyz, the metrics and the health page.

Each check is cheap (an indexed count, a broker round trip, a few rows) so that a proxy may ask
every few seconds. A check is *critical* when the web cannot serve without it (the database, the
broker in Celery mode, a configured Redis cache): only those make ``/readyz`` answer 503. The
pipeline's lag, periodic jobs and connectors are reported with their state for monitoring (and make
``/readyz?strict=1`` fail), but never take a web server out of the proxy's rotation.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .broker import QueueState, inspect_queues

log = logging.getLogger("otklik.ops.state")

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    key: str
    title: str
    status: str
    detail: str
    critical: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "critical": self.critical, "detail": self.detail, **self.data}


def celery_mode() -> bool:
    return settings.OTKLIK_PIPELINE == "celery"


def check_database() -> Check:
    title = _("Database")
    started = time.perf_counter()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Check("database", title, FAIL, _("not reachable: %s") % type(exc).__name__, critical=True)
    ms = (time.perf_counter() - started) * 1000
    pending = _unapplied_migrations()
    if pending:
        detail = ngettext("%(n)d migration not applied", "%(n)d migrations not applied", len(pending)) % {
            "n": len(pending)
        }
        return Check("database", title, FAIL, detail, critical=True, data={"unapplied": pending})
    vendor = connections["default"].vendor
    return Check(
        "database",
        title,
        OK,
        _("%(vendor)s answers in %(ms).1f ms") % {"vendor": vendor, "ms": ms},
        critical=True,
        data={"ms": round(ms, 1)},
    )


_MIGRATIONS_OK_UNTIL = 0.0


def _unapplied_migrations() -> list[str]:
    """Migrations on disk not applied to the database (checked at most once a minute per process
    once all were applied: loading the graph costs tens of milliseconds)."""
    global _MIGRATIONS_OK_UNTIL
    if time.monotonic() < _MIGRATIONS_OK_UNTIL:
        return []
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections["default"])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
    if not pending:
        _MIGRATIONS_OK_UNTIL = time.monotonic() + 60
    return pending


def read_queues() -> tuple[list[QueueState], str]:
    """The broker's queues, or the error that kept us from reading them."""
    if not celery_mode():
        return [], ""
    try:
        return inspect_queues(), ""
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc}"[:300]


def check_broker(queues: list[QueueState], error: str) -> Check:
    title = _("Broker (Celery)")
    if not celery_mode():
        return Check("broker", title, OK, _("not used: the pipeline runs in the web process"))
    if error:
        return Check("broker", title, FAIL, _("not reachable: %s") % error, critical=True)
    waiting = sum(q.depth for q in queues)
    return Check(
        "broker",
        title,
        OK,
        ngettext("%(n)d task waiting", "%(n)d tasks waiting", waiting) % {"n": waiting},
        critical=True,
        data={"waiting": waiting},
    )


def check_cache() -> Check:
    title = _("Shared cache")
    backend = settings.CACHES["default"]["BACKEND"]
    if "redis" not in backend.lower():
        return Check("cache", title, OK, _("local to each process"))
    from django.core.cache import cache

    try:
        cache.set("otklik:readyz", "1", 10)
        ok = cache.get("otklik:readyz") == "1"
    except Exception as exc:
        return Check("cache", title, FAIL, _("not reachable: %s") % type(exc).__name__, critical=True)
    if not ok:
        return Check("cache", title, FAIL, _("does not keep what is written"), critical=True)
    return Check("cache", title, OK, _("Redis answers"), critical=True)


def check_lag(queues: list[QueueState]) -> Check:
    """How long the oldest unprocessed item has waited: the oldest task in the broker (Celery) or
    the oldest file in the inbox (in-process)."""
    title = _("Pipeline lag")
    limit = settings.OTKLIK_READY_MAX_LAG_SECONDS
    if celery_mode():
        ages = [q.oldest_age for q in queues if q.oldest_age is not None]
        lag = max(ages) if ages else 0.0
        per_queue = {q.name: {"depth": q.depth, "oldest_seconds": q.oldest_age} for q in queues}
    else:
        lag = _oldest_inbox_file_age()
        per_queue = {}
    status = WARN if lag > limit else OK
    detail = _("the oldest unprocessed item waits %(s)d s (limit %(limit)d s)") % {"s": lag, "limit": limit}
    return Check("lag", title, status, detail, data={"seconds": round(lag, 1), "queues": per_queue})


def _oldest_inbox_file_age() -> float:
    inbox = Path(settings.VAR_DIR) / "inbox"
    if not inbox.is_dir():
        return 0.0
    mtimes = [p.stat().st_mtime for p in inbox.iterdir() if p.is_file() and p.suffix in (".jsonl", ".csv")]
    return max(0.0, time.time() - min(mtimes)) if mtimes else 0.0


def read_jobs() -> list[dict[str, Any]]:
    """Every registered periodic job with its last run (a job never run yet shows as late)."""
    from otklik import periodic

    from .models import JobRun

    now = timezone.now()
    rows = {row.name: row for row in JobRun.objects.all()}
    for job in periodic.jobs():
        rows.setdefault(job.name, JobRun(name=job.name, every=job.every))
    jobs = []
    for row in sorted(rows.values(), key=lambda r: r.name):
        age = (now - row.started_at).total_seconds() if row.started_at else None
        stale = age is None or (row.every is not None and age > 3 * row.every + 60)
        jobs.append(
            {
                "name": row.name,
                "age": age,
                "every": row.every,
                "ok": row.ok,
                "error": row.error,
                "started_at": row.started_at,
                "finished_at": row.finished_at,
                "duration": row.duration,
                "host": row.host,
                "stale": stale,
                "running": row.started_at is not None and row.finished_at is None,
            }
        )
    return jobs


def check_jobs(jobs: list[dict[str, Any]]) -> Check:
    title = _("Periodic jobs")
    if not jobs:
        return Check("jobs", title, WARN, _("no periodic job has run yet"), data={"jobs": {}})
    failed = [j["name"] for j in jobs if not j["ok"]]
    stale = [j["name"] for j in jobs if j["stale"]]
    data = {
        "jobs": {
            j["name"]: {
                "age_seconds": None if j["age"] is None else round(j["age"]),
                "ok": j["ok"],
                "every": j["every"],
            }
            for j in jobs
        }
    }
    if failed or stale:
        detail = "; ".join(
            part
            for part in (
                _("failed: %s") % ", ".join(failed) if failed else "",
                _("not run for three intervals: %s") % ", ".join(stale) if stale else "",
            )
            if part
        )
        return Check("jobs", title, WARN, detail, data=data)
    return Check(
        "jobs",
        title,
        OK,
        ngettext("%(n)d job runs on time", "%(n)d jobs run on time", len(jobs)) % {"n": len(jobs)},
        data=data,
    )


def read_sources() -> list[dict[str, Any]]:
    from otklik.intake.models import Source

    return [
        {
            "code": s.code,
            "name": s.name,
            "retry_count": s.retry_count,
            "last_error": s.last_error,
            "last_fetched_at": s.last_fetched_at,
            "next_attempt_at": s.next_attempt_at,
            "health": s.health,
        }
        for s in Source.objects.filter(is_enabled=True).order_by("code")
    ]


def check_connectors(sources: list[dict[str, Any]]) -> Check:
    title = _("Connectors")
    failing = [s["code"] for s in sources if s["retry_count"] or (s["health"] or {}).get("ok") is False]
    data = {"failing": failing, "sources": len(sources)}
    if failing:
        return Check("connectors", title, WARN, _("failing: %s") % ", ".join(failing), data=data)
    return Check(
        "connectors",
        title,
        OK,
        ngettext("%(n)d source is healthy", "%(n)d sources are healthy", len(sources)) % {"n": len(sources)},
        data=data,
    )


def read_dead_letters(hours: int = 24) -> dict[str, int]:
    from otklik.intake.models import DeadLetter

    since = timezone.now() - timedelta(hours=hours)
    rows = DeadLetter.objects.filter(created_at__gte=since).values("stage").annotate(n=Count("id"))
    return {row["stage"]: row["n"] for row in rows}


def read_overdue() -> int:
    from otklik.cases.choices import AWAITING_AGENCY
    from otklik.cases.models import Case

    # The partial index case_overdue covers exactly the overdue rows: no scan of all cases.
    return Case.objects.filter(is_overdue=True, status__in=AWAITING_AGENCY).count()


def snapshot() -> dict[str, Any]:
    """Everything the metrics expose, read once."""
    queues, _error = read_queues()
    return {
        "overdue_cases": read_overdue(),
        "dead_letters_24h": read_dead_letters(),
        "queues": queues,
        "sources": read_sources(),
        "jobs": read_jobs(),
    }


def checks() -> list[Check]:
    """Every check, critical ones first; a check that itself breaks is reported failed, not raised."""
    result = [check_database()]
    if result[0].status == FAIL:
        return result
    queues, error = read_queues()
    result += [check_broker(queues, error), check_cache(), check_lag(queues)]
    for reader, check in ((read_jobs, check_jobs), (read_sources, check_connectors)):
        try:
            result.append(check(reader()))
        except Exception as exc:
            log.exception("health check failed")
            result.append(Check(check.__name__.removeprefix("check_"), check.__name__, FAIL, str(exc)))
    return result
