"""Finding 8 of issue 11: a Content-Security-Policy on every page, HTTPS settings from the environment,
``check --deploy`` clean with the shipped production settings, and the project's own error pages —
never Django's technical pages — for anyone but a signed-in superuser, DEBUG or not."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from otklik.accounts.choices import Role
from otklik.testing.factories import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def _boom(request):
    raise RuntimeError("secret detail: DATABASE password")


def _ok(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", _boom), path("ok/", _ok), path("", include("otklik.urls"))]


@pytest.mark.parametrize(
    "url", ["/public/map/", "/public/appeal/", "/accounts/login/", "/deputies/", "/api/docs/"]
)
def test_every_page_has_a_strict_content_security_policy(client, url):
    answer = client.get(url, follow=True)
    assert answer.status_code == 200
    policy = answer["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert answer["X-Content-Type-Options"] == "nosniff"


def test_pages_carry_no_inline_script_or_style_attribute(client):
    make_user(Role.SUPERVISOR, username="boss")
    client.force_login(make_user(Role.SUPERVISOR, username="sup"))
    for url in ["/cases/", "/public/map/", "/public/appeal/", "/deputies/", "/analytics/", "/elections/"]:
        html = client.get(url, follow=True).content.decode()
        assert " style=" not in html, url
        for chunk in html.split("<script")[1:]:
            head = chunk.split(">", 1)[0]
            assert "src=" in head or 'type="application/json"' in head, (url, head)


def _production_env() -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO", "OTKLIK_", "PYTEST"))
    }
    for line in (ROOT / "docs" / "deploy" / "otklik.env").read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip('"')  # as systemd's EnvironmentFile= reads it
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the file's placeholder is refused on purpose
    env["OTKLIK_VAR_DIR"] = str(ROOT / "var")
    env["OTKLIK_STATIC_ROOT"] = str(ROOT / "var" / "static")
    env["OTKLIK_MEDIA_ROOT"] = str(ROOT / "var" / "media")
    env["DJANGO_SETTINGS_MODULE"] = "otklik.settings"
    return env


def test_check_deploy_is_clean_with_the_shipped_production_settings():
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000, ROOT_URLCONF=__name__)
def test_https_redirect_believes_the_forwarded_proto_only_from_a_trusted_proxy():
    client = Client()
    assert client.get("/ok/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_PROTO="https").status_code == 301
    behind_proxy = client.get("/ok/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert behind_proxy.status_code == 200
    assert behind_proxy["Strict-Transport-Security"].startswith("max-age=31536000")


@override_settings(DEBUG=True, ROOT_URLCONF=__name__)
def test_with_debug_on_an_anonymous_error_shows_the_projects_pages():
    client = Client(raise_request_exception=False)
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    body = missing.content.decode()
    assert "Не найдено" in body and "URLconf" not in body and "ok/" not in body
    broken = client.get("/boom/")
    assert broken.status_code == 500
    assert "Ошибка сервера" in broken.content.decode() and "secret detail" not in broken.content.decode()
    as_json = client.get("/boom/", HTTP_ACCEPT="application/json")
    assert "secret detail" not in as_json.content.decode() and "Traceback" not in as_json.content.decode()


@override_settings(DEBUG=True, ROOT_URLCONF=__name__)
def test_with_debug_on_a_signed_in_superuser_still_gets_the_traceback():
    client = Client(raise_request_exception=False)
    client.force_login(make_user(Role.SUPERVISOR, username="root", is_superuser=True, is_staff=True))
    assert "secret detail" in client.get("/boom/").content.decode()
    operator = Client(raise_request_exception=False)
    operator.force_login(make_user(Role.MODERATOR, username="op"))
    assert "secret detail" not in operator.get("/boom/").content.decode()


@override_settings(ROOT_URLCONF=__name__)
def test_without_debug_the_error_pages_are_russian_and_plain():
    client = Client(raise_request_exception=False)
    assert "Не найдено" in client.get("/nothing/").content.decode()
    broken = client.get("/boom/")
    assert broken.status_code == 500 and "Ошибка сервера" in broken.content.decode()


def test_a_stale_form_gets_the_projects_csrf_page():
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403
    assert "Форма устарела" in refused.content.decode()
