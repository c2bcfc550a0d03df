"""Real Celery worker processes for the tests that need them (Redis and RabbitMQ over PostgreSQL).

Each test starts its workers on a queue of its own, so tests running side by side (pytest-xdist)
never take each other's tasks; the queue is purged when the test ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
CELERY = ROOT / ".venv" / "bin" / "celery"
BROKERS = {
    "redis": os.environ.get("OTKLIK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
    "rabbitmq": os.environ.get("OTKLIK_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"),
}


def unavailable(reason: str) -> None:
    """Skip with the reason, or fail where the services are required (CI)."""
    if os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (OTKLIK_REQUIRE_SERVICES=1: services are required)")
    pytest.skip(reason)


def reachable_broker(name: str) -> str:
    """The URL of broker ``name`` ("redis", "rabbitmq"), or skip/fail when it does not answer."""
    from kombu import Connection

    url = BROKERS[name]
    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:
        unavailable(f"{name} broker is not reachable at {url}: {exc}")
    return url


def require_postgresql() -> None:
    if connection.vendor != "postgresql":
        unavailable("Celery workers need PostgreSQL (DATABASE_URL=postgres://…): SQLite is one process")


def database_url() -> str:
    """The test database as a URL, for the worker processes."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def start_worker(
    queue: str, broker: str, *, name: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """One worker process (``-c 1``) on ``queue``, in a session of its own (so it can be killed whole)."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "OTKLIK_PIPELINE": "celery",
        "PYTHONPATH": str(ROOT),
        **(env or {}),
    }
    command = [str(CELERY), "-A", "otklik", "worker", "-Q", queue, "-c", "1", "-n", f"{name}@%h"]
    command += ["--without-gossip", "--without-mingle", "-l", "warning"]
    return subprocess.Popen(command, env=environment, cwd=ROOT, start_new_session=True)


def stop_workers(procs: list[subprocess.Popen], queue: str, broker: str) -> None:
    """Stop the workers still running (SIGTERM, then SIGKILL) and purge the queue."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
    from otklik.celery import app

    with app.connection_for_write(broker) as conn:
        conn.default_channel.queue_purge(queue)


def poll(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Wait until ``check()`` holds (a worker is another process: there is nothing to join)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
