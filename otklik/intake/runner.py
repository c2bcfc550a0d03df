"""The in-process pipeline runner of the embedded mode.

A daemon thread that, every few seconds, ingests files dropped into the inbox folder
(``var/inbox/*.jsonl`` / ``*.csv``, moved to ``done/`` or ``failed/`` afterwards) through the same
pipeline as ``otklik ingest`` and runs each registered periodic job (:mod:`otklik.periodic`: the
connectors' fetch, the notification bot, overdue → escalation, bursts, rollups, the deputies'
two-week question, retraining…) once its interval has passed.
With ``OTKLIK_PIPELINE=celery`` the same jobs run in Celery workers, sent by beat, instead.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from otklik import periodic

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
    def __init__(self, *, inbox_seconds: float = 5.0) -> None:
        super().__init__(name="otklik-runner", daemon=True)
        self.inbox_seconds = inbox_seconds
        self.stopping = threading.Event()
        self.last_run: dict[str, float] = {}  # job name → when it last started (time.monotonic)

    def due_jobs(self, clock: float) -> list[periodic.Job]:
        return [
            job
            for job in periodic.jobs()
            if job.name not in self.last_run or clock - self.last_run[job.name] >= job.every
        ]

    def tick(self, clock: float | None = None) -> list[str]:
        """Drain the inbox, then run the jobs that are due; one failing step never stops the others.
        Returns the names of the jobs run."""
        clock = time.monotonic() if clock is None else clock
        ran = []
        close_old_connections()
        try:
            try:
                drain_inbox()
            except Exception:
                log.exception("draining the inbox failed")
            for job in self.due_jobs(clock):
                self.last_run[job.name] = clock
                ran.append(job.name)
                try:
                    periodic.run(job)
                except Exception:  # the runner must outlive one bad job
                    log.exception("periodic job %s failed", job.name)
                finally:
                    close_old_connections()
        finally:
            close_old_connections()
        return ran

    def run(self) -> None:
        try:
            from .pipeline import warm_up

            log.info("pipeline warmed up in %.1f s", warm_up())
        except Exception:
            log.exception("warm-up failed; the first batch builds the caches")
        finally:
            close_old_connections()
        while not self.stopping.is_set():
            self.tick()
            self.stopping.wait(self.inbox_seconds)

    def stop(self) -> None:
        self.stopping.set()
