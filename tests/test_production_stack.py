"""The production stack as real processes, as CI and docs/deploy/ run it: gunicorn, a Celery worker
and Celery beat against PostgreSQL and a private Redis.

Messages sent through the webhook and Open311 are queued by the web server and made into cases by the
worker; beat runs the periodic jobs; the web server serves the queue and static files; /readyz is
ready; a backup restores with equal counts; a worker killed with -9 in the middle of a batch and
restarted leaves every message stored exactly once; the web server restarted on its socket (as
systemd's otklik-web.socket hands it over) while a partner pushes refuses no push. Runs in the
PostgreSQL pass (skips with the reason elsewhere; OTKLIK_REQUIRE_SERVICES=1 makes a missing service
a failure).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.defaults_categories import load_default_categories
from otklik.directory.models import Category
from otklik.intake.connectors.open311 import key_digest
from otklik.intake.connectors.webhook import SIGNATURE_HEADER, sign
from otklik.intake.models import DeadLetter, Message, Source
from otklik.intake.pipeline import order
from otklik.ops.models import JobRun
from otklik.testing.factories import PASSWORD, make_agency, make_rule, make_territory, make_user
from otklik.testing.stack import ROOT, Stack, wait_for

pytestmark = pytest.mark.postgres

WEBHOOK_SECRET = "e2e-" + uuid.uuid4().hex
OPEN311_KEY = "key-" + uuid.uuid4().hex


def _unavailable(reason: str) -> None:
    if os.environ.get("OTKLIK_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (OTKLIK_REQUIRE_SERVICES=1: services are required)")
    pytest.skip(reason)


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _region() -> dict:
    load_default_categories()
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=oblast)
    make_territory("Энгельс", kind=TerritoryKind.SETTLEMENT, parent=district, lat=51.49, lon=46.12)
    housing = make_agency("Управление ЖКХ Энгельсского района")
    make_rule(housing, category=Category.objects.get(code="housing"), territory=district)
    Source.objects.create(
        code="partner-hook",
        name="Партнёрский вебхук",
        channel=Channel.SOCIAL,
        connector="webhook",
        settings={"secret_env": "OTKLIK_E2E_WEBHOOK_SECRET"},
    )
    Source.objects.create(
        code="city-app",
        name="Городское приложение",
        channel=Channel.OPEN311,
        connector="open311",
        settings={"api_key_sha256": key_digest(OPEN311_KEY)},
    )
    supervisor = make_user(Role.SUPERVISOR)
    # The server hashes as production does (the tests' fast MD5 hasher is not among its hashers).
    supervisor.password = PBKDF2PasswordHasher().encode(PASSWORD, "e2e-salt-" + uuid.uuid4().hex[:8])
    supervisor.save(update_fields=["password"])
    return {"supervisor": supervisor}


def _items(prefix: str, n: int) -> list[dict]:
    return [
        {
            "external_id": f"{prefix}-{i}",
            "author_id": f"u{i}",
            "posted_at": "2026-03-02T09:15:00+04:00",
            "text": f"Третий день нет горячей воды в доме {i} на улице Тельмана в Энгельсе, УК не отвечает",
        }
        for i in range(n)
    ]


def _push(client: httpx.Client, items: list[dict]) -> httpx.Response:
    body = json.dumps(items, ensure_ascii=False).encode()
    return client.post(
        "/intake/webhook/partner-hook/",
        content=body,
        headers={SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body), "Content-Type": "application/json"},
    )


def _worker_in_transaction() -> bool:
    """A worker holds the deciding lock: it is inside a batch's transaction (dedup to persist).

    The lock is held from the transaction's first statement to its commit, however long the Python
    work between statements; a probe of the statement being run would miss most of that window."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.datname = current_database() AND l.pid <> pg_backend_pid() "
            "AND l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = %s",
            [order.DECIDE_LOCK],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_production_stack_end_to_end(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        _unavailable(
            "the production stack runs on PostgreSQL (DATABASE_URL=postgres://…); SQLite is one process"
        )
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed: the production stack needs Redis")
    people = _region()
    # The web server listens on a socket the test holds, as docs/deploy's otklik-web.socket does.
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    stack = Stack(workdir=tmp_path, env={}, listener=listener)
    try:
        broker = stack.start_redis()
        stack.env.update(
            {
                "DATABASE_URL": _database_url(),
                "CELERY_BROKER_URL": broker,
                "OTKLIK_PIPELINE": "celery",
                "DEBUG": "false",
                "SECRET_KEY": uuid.uuid4().hex * 2,
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "OTKLIK_VAR_DIR": str(tmp_path / "var"),
                "OTKLIK_STATIC_ROOT": str(tmp_path / "static"),
                "OTKLIK_MEDIA_ROOT": str(tmp_path / "media"),
                "OTKLIK_OVERDUE_CHECK_SECONDS": "2",
                "CELERY_VISIBILITY_TIMEOUT": "3",
                "OTKLIK_PIPELINE_ORDER_WAIT_SECONDS": "5",
                "OTKLIK_E2E_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "OTKLIK_LOG_FORMAT": "json",
                "OTKLIK_METRICS_ALLOWED": "127.0.0.1,::1",  # the monitoring host, as a deployment names it
                "OTKLIK_ACCESS_LOG": "INFO",
            }
        )
        env = {**os.environ, **stack.env, "PYTHONPATH": str(ROOT)}
        otklik = [sys.executable, "-m", "otklik.cli"]
        subprocess.run(
            [*otklik, "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300
        )
        stack.start_web("gunicorn", workers=2, threads=2)
        stack.start_worker("worker")
        stack.start_beat()
        ready = stack.wait_ready(timeout=120)
        assert ready["status"] == "ready"
        assert ready["checks"]["broker"]["status"] == "ok"

        web = httpx.Client(base_url=stack.base_url, timeout=30)
        # 1. The webhook and Open311 queue; the worker makes the cases.
        pushed = _push(web, _items("hook", 20))
        assert pushed.status_code == 202, pushed.text
        assert pushed.json()["queued"] == 20
        tokens = []
        for i in range(3):
            posted = web.post(
                "/open311/v2/requests.json",
                data={
                    "api_key": OPEN311_KEY,
                    "service_code": "housing-heating",
                    "description": f"Прорыв трубы отопления в подъезде {i + 1}, дом 5 по улице Тельмана, "
                    "Энгельс",
                    "lat": "51.49",
                    "long": "46.12",
                    "email": f"resident{i}@example.test",
                },
            )
            assert posted.status_code in (200, 201), posted.text
            row = posted.json()[0]
            assert row["token"]
            tokens.append(row["token"])
        wait_for(
            lambda: Message.objects.filter(source__code="partner-hook").count() == 20,
            120,
            "the worker to store the webhook's messages",
        )

        def numbers() -> list[str | None]:
            return [
                (web.get(f"/open311/v2/tokens/{t}.json").json() or [{}])[0].get("service_request_id")
                for t in tokens
            ]

        wait_for(lambda: all(numbers()), 60, "the Open311 requests to become cases")
        assert Case.objects.filter(messages__source__code="partner-hook").exists()
        assert "batch of" in stack.log_tail("worker", 400)  # made by the worker, not the web server
        # The worker's counters (a prefork child counts them) are summed at the web server's /metrics.
        wait_for(
            lambda: (
                'otklik_pipeline_items_total{outcome="received",source="partner-hook"} 20.0'
                in web.get("/metrics").text
            ),
            30,
            "the web server's /metrics to show the worker's pipeline counters",
        )
        assert "otklik_pipeline_stage_seconds_count" in web.get("/metrics").text

        # 2. Beat runs the periodic jobs (each once per interval, recorded).
        wait_for(
            lambda: JobRun.objects.filter(finished_at__isnull=False, ok=True).exists(),
            60,
            "beat to run a periodic job",
        )

        # 3. The web server serves the queue (and its static files, compressed, with hashed names).
        page = web.get("/accounts/login/")
        web.post(
            "/accounts/login/",
            data={
                "username": people["supervisor"].username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": web.cookies.get("csrftoken", ""),
            },
            headers={"Referer": f"{stack.base_url}/accounts/login/"},
        )
        queue = web.get("/cases/", headers={"Accept-Encoding": "gzip"})
        assert queue.status_code == 200 and queue.headers.get("content-encoding") == "gzip"
        assert Case.objects.order_by("-pk").first().number in queue.text
        css = next(
            part.split('"')[0]
            for part in page.text.split('href="')
            if part.startswith("/static/otklik/otklik.")
        )
        assert css != "/static/otklik/otklik.css"  # a hashed name from the manifest
        static = web.get(css, headers={"Accept-Encoding": "gzip"})
        assert static.status_code == 200 and "max-age=315360000" in static.headers["cache-control"]

        ready = web.get("/readyz").json()
        assert ready["status"] == "ready" and ready["checks"]["jobs"]["status"] in ("ok", "warn")

        # 4. A backup restores into a fresh database with equal counts.
        backup = subprocess.run(
            [*otklik, "backup", "--out", str(tmp_path / "backups")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert backup.returncode == 0, backup.stderr
        check = subprocess.run(
            [*otklik, "restore_check", backup.stdout.strip()],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert check.returncode == 0, check.stderr
        assert "restore check ok" in check.stdout

        # 5. kill -9 of the worker in the middle of a batch: every message exactly once after a restart.
        stack.kill("worker", signal.SIGTERM)
        for batch in range(4):
            assert _push(web, _items(f"kill{batch}", 250)).status_code == 202
        stack.start_worker("worker")
        wait_for(_worker_in_transaction, 60, "the worker to be inside a batch", every=0.02)
        stack.kill("worker", signal.SIGKILL)
        stored_when_killed = Message.objects.filter(external_id__startswith="kill").count()
        assert stored_when_killed < 1000
        stack.start_worker("worker")
        wait_for(
            lambda: Message.objects.filter(external_id__startswith="kill").count() == 1000,
            180,
            "the restarted worker to store every message",
        )
        assert (
            Message.objects.filter(external_id__startswith="kill").values("external_id").distinct().count()
            == 1000
        )
        assert not DeadLetter.objects.exists()

        # 6. The web server restarted on its socket (upgrade.md step 5) while a partner pushes: every
        # push is accepted — those sent while no web server ran wait for the new one — and stored once.
        pushes: list[tuple[float, int | str]] = []
        pushing = threading.Event()
        pushing.set()

        def push_steadily() -> None:
            with httpx.Client(base_url=stack.base_url, timeout=90) as partner:
                while pushing.is_set():
                    sent = time.monotonic()
                    try:
                        status: int | str = _push(partner, _items(f"restart{len(pushes)}", 5)).status_code
                    except httpx.HTTPError as error:
                        status = repr(error)
                    pushes.append((sent, status))

        partner = threading.Thread(target=push_steadily, daemon=True)
        partner.start()
        try:
            wait_for(lambda: len(pushes) >= 5, 60, "pushes to the first web server")
            stack.kill("web")
            stopped = time.monotonic()
            stack.start_web("gunicorn", workers=2, threads=2)
            wait_for(lambda: sum(sent > stopped for sent, _ in pushes) >= 5, 120, "pushes to the new one")
        finally:
            pushing.clear()
            partner.join(timeout=120)
        assert [status for _, status in pushes if status != 202] == []
        wait_for(
            lambda: Message.objects.filter(external_id__startswith="restart").count() == 5 * len(pushes),
            180,
            "the worker to store every push sent across the restart",
        )
        assert not DeadLetter.objects.exists()
    finally:
        stack.stop()
        listener.close()
