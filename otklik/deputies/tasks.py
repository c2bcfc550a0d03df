"""The periodic jobs "ask-about-deputies-replies" (the follow-up question, :mod:`.followup`) and
"deputies-rating" (the stored rating and topics, :mod:`.ratings`) and "deputies-service-figures" (the
service's figures, :mod:`.service_counts`)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone

from . import followup, ratings, service_counts

log = logging.getLogger("otklik.deputies.tasks")


def run_periodic_jobs(now: datetime | None = None) -> dict[str, Any]:
    """Ask the residents whose appeals to deputies are two weeks old whether they got a reply."""
    asked = followup.ask_about_replies(now or timezone.now())
    if asked:
        log.info("asked about replies to %d appeal(s) to deputies", len(asked))
    return {"asked": len(asked)}


def refresh_ratings() -> dict[str, Any]:
    """Recompute the stored rating of each period (and the topics) whose data changed."""
    for days in ratings.PERIODS:
        ratings.ensure(days)
    ratings.ensure_topics()
    return {"periods": len(ratings.PERIODS)}


def refresh_service_figures() -> dict[str, Any]:
    """Bring «Мой депутат»'s service figures up to date (what changed since the last run)."""
    done = service_counts.refresh()
    return {"cases": done.cases, "deputies": done.deputies, "full": done.full}
