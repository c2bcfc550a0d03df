"""/healthz, /readyz, /metrics, the health page, gzip and request ids."""

from __future__ import annotations

import gzip
import json

import pytest

from otklik.accounts.choices import Role
from otklik.ops import state
from otklik.ops.jobs import run_once
from otklik.testing.factories import PASSWORD, make_case, make_source, make_user

pytestmark = pytest.mark.django_db


def test_healthz_says_alive_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


@pytest.fixture
def monitoring_host(settings):
    """Prometheus on this machine, named in the settings as a deployment names it."""
    settings.OTKLIK_METRICS_ALLOWED = ["127.0.0.1", "::1"]


def test_by_default_no_address_reads_metrics_or_readiness_details(client, settings):
    """Issue 11: an anonymous request from 127.0.0.1 (a local process, a proxy without a client
    address) is no monitoring system unless the settings say so; /healthz stays open."""
    assert settings.OTKLIK_METRICS_ALLOWED == []
    assert client.get("/metrics").status_code == 403
    assert client.get("/readyz").json() == {"status": "ready"}
    assert client.get("/healthz").status_code == 200


def test_readyz_is_ready_and_details_only_for_monitoring(client, monitoring_host):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"  # in-process mode: no broker needed
    assert "seconds" in body["checks"]["lag"]

    outside = client.get("/readyz", REMOTE_ADDR="203.0.113.9")
    assert outside.status_code == 200
    assert outside.json() == {"status": "ready"}


def test_readyz_is_not_ready_when_the_broker_is_away(client, settings, monitoring_host):
    settings.OTKLIK_PIPELINE = "celery"
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["checks"]["broker"]["status"] == "fail"


def test_readyz_strict_fails_on_a_failing_job_but_plain_stays_ready(client, monitoring_host):
    run_once("boom", 60, lambda: 1 / 0)
    assert client.get("/readyz").status_code == 200
    strict = client.get("/readyz?strict=1")
    assert strict.status_code == 503
    assert strict.json()["checks"]["jobs"]["jobs"]["boom"]["ok"] is False


def test_readyz_reports_connectors_failing(client, monitoring_host):
    make_source("vk-main", retry_count=3, last_error="HTTP 500")
    body = client.get("/readyz").json()
    assert body["checks"]["connectors"]["status"] == "warn"
    assert body["checks"]["connectors"]["failing"] == ["vk-main"]


def test_metrics_only_for_monitoring_and_count_requests(client, settings, monitoring_host):
    make_case(is_overdue=True, status="assigned")
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'otklik_http_requests_total{method="GET",status="200",view="healthz"}' in text
    assert "otklik_http_request_duration_seconds_bucket" in text
    assert "otklik_overdue_cases 1.0" in text

    settings.OTKLIK_METRICS_TOKEN = "s3cret-token"
    denied = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong")
    assert denied.status_code == 403
    allowed = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert allowed.status_code == 200


def test_health_page_in_russian_for_supervisors_only(client):
    run_once("mark-overdue", 60, lambda: 0)
    make_source("vk-main", retry_count=2, last_error="HTTP 503 Service Unavailable")
    client.login(username=make_user(Role.SUPERVISOR).username, password=PASSWORD)
    page = client.get("/ops/health/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Состояние системы" in html
    assert "База данных" in html
    assert "mark-overdue" in html
    assert "HTTP 503" in html

    client.logout()
    client.login(username=make_user(Role.EXECUTOR).username, password=PASSWORD)
    assert client.get("/ops/health/").status_code == 403


def test_pages_are_gzipped(client):
    client.login(username=make_user(Role.SUPERVISOR).username, password=PASSWORD)
    response = client.get("/ops/health/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert "Состояние системы" in gzip.decompress(response.content).decode()


def test_request_id_is_kept_from_the_proxy_or_made(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert made != "<script>" and len(made) == 32


def test_check_reports_unapplied_migrations(monkeypatch):
    monkeypatch.setattr(state, "_MIGRATIONS_OK_UNTIL", 0.0)
    monkeypatch.setattr(state, "_unapplied_migrations", lambda: ["cases.9999_future"])
    check = state.check_database()
    assert check.status == state.FAIL and check.critical
    assert json.dumps(check.as_json())
