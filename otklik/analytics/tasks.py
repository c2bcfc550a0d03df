"""The periodic job of analytics: bring the rollups up to date (incremental; cheap when nothing changed),
then render the default summaries ahead so their download is served from the cache.

The job "refresh-analytics-rollups", registered in :mod:`otklik.analytics.apps` (:mod:`otklik.periodic`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from . import export_cache
from .rollups import refresh_rollups

log = logging.getLogger("otklik.analytics.tasks")


def run_periodic_jobs(now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    result = refresh_rollups(now=now)
    rendered = 0
    try:  # a failed rendering must not stop the refresh; the page renders on request then
        rendered = export_cache.prerender_defaults(timezone.localdate(now))
        export_cache.prune(now)
    except Exception:
        log.exception("could not render the default summaries")
    return {
        "at": now.isoformat(),
        "rollup_cases": result.cases,
        "rollup_rows": result.rows,
        "exports_rendered": rendered,
    }
