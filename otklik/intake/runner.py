"""The in-process pipeline runner of the embedded mode.

A daemon thread that, every few seconds, ingests files dropped into the inbox folder
(``var/inbox/*.jsonl`` / ``*.csv``, moved to ``done/`` or ``failed/`` afterwards) through the same
pipeline as ``otklik ingest``, fetches the sources that are due (connectors, with back-off), and
answers the staff notification bot (linking Telegram chats), and once a minute runs the periodic
jobs (overdue → escalation, bursts, rollups, the deputies' two-week question).
With ``OTKLIK_PIPELINE=celery`` the same work runs in Celery workers and beat instead.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger("otklik.runner")

INBOX_SUFFIXES = (".jsonl", ".csv")


def inbox_dir() -> Path:
    path = Path(settings.VAR_DIR) / "inbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def drain_inbox(ingest: Callable[[Path], object] | None = None) -> list[Path]:
    """Ingest every file waiting in the inbox; return the files handled."""
    if ingest is None:
        from .ingest import ingest_file

        def ingest(path: Path) -> object:
            return ingest_file(path)

    handled = []
    inbox = inbox_dir()
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and p.suffix in INBOX_SUFFIXES):
        target = inbox / "done"
        try:
            result = ingest(path)
            log.info("ingested %s: %s", path.name, result)
        except Exception:
            log.exception("could not ingest %s", path.name)
            target = inbox / "failed"
        target.mkdir(exist_ok=True)
        shutil.move(str(path), target / f"{timezone.now():%Y%m%dT%H%M%S}-{path.name}")
        handled.append(path)
    return handled


class Runner(threading.Thread):
    def __init__(self, *, inbox_seconds: float = 5.0, jobs_seconds: float | None = None) -> None:
        super().__init__(name="otklik-runner", daemon=True)
        self.inbox_seconds = inbox_seconds
        self.jobs_seconds = jobs_seconds or float(settings.OTKLIK_OVERDUE_CHECK_SECONDS)
        self.stopping = threading.Event()

    def tick(self, *, jobs: bool) -> None:
        close_old_connections()
        try:
            drain_inbox()
            from .fetching import fetch_due_sources

            fetch_due_sources()
            from otklik.cases.telegram_bot import process_updates

            process_updates()  # staff linking their Telegram chats: answered within a tick
            if jobs:
                from otklik.analytics.tasks import run_periodic_jobs as refresh_analytics
                from otklik.cases.tasks import run_periodic_jobs
                from otklik.deputies.tasks import run_periodic_jobs as ask_deputies_residents
                from otklik.understanding.retraining import retrain_if_due

                run_periodic_jobs()
                refresh_analytics()
                ask_deputies_residents()
                retrain_if_due()
        except Exception:  # the runner must outlive one bad tick
            log.exception("runner tick failed")
        finally:
            close_old_connections()

    def run(self) -> None:
        try:
            from .pipeline import warm_up

            log.info("pipeline warmed up in %.1f s", warm_up())
        except Exception:
            log.exception("warm-up failed; the first batch builds the caches")
        finally:
            close_old_connections()
        since_jobs = self.jobs_seconds
        while not self.stopping.is_set():
            due = since_jobs >= self.jobs_seconds
            self.tick(jobs=due)
            since_jobs = 0.0 if due else since_jobs + self.inbox_seconds
            self.stopping.wait(self.inbox_seconds)

    def stop(self) -> None:
        self.stopping.set()
