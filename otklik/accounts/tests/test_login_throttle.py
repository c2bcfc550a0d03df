"""Finding 5 of issue 11: guessing passwords is throttled — by account and by address — on the login
form, HTTP Basic on the API and the password-reset emails, with counters in a shared cache."""

from __future__ import annotations

import base64

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches

from otklik.accounts.choices import Role
from otklik.testing.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def test_fifty_wrong_passwords_then_the_right_one_is_refused_on_the_form(client):
    make_user(Role.MODERATOR, username="olga")
    for _ in range(50):
        client.post("/accounts/login/", {"username": "olga", "password": "wrong"})
    answer = client.post("/accounts/login/", {"username": "olga", "password": PASSWORD})
    assert answer.status_code == 429
    assert "_auth_user_id" not in client.session
    text = answer.content.decode()
    assert "Слишком много неудачных попыток входа" in text and "Попробуйте снова" in text


def test_the_account_is_locked_from_another_address_too(client):
    make_user(Role.MODERATOR, username="olga")
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"username": "olga", "password": "wrong"}, REMOTE_ADDR=f"10.0.0.{number + 1}"
        )
    answer = client.post(
        "/accounts/login/", {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert answer.status_code == 429


def test_an_address_guessing_many_accounts_is_locked(client):
    make_user(Role.MODERATOR, username="olga")
    for number in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            "/accounts/login/", {"username": f"user{number}", "password": "x"}, REMOTE_ADDR="10.1.1.1"
        )
    locked = client.post(
        "/accounts/login/", {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert locked.status_code == 429
    elsewhere = client.post(
        "/accounts/login/", {"username": "olga", "password": PASSWORD}, REMOTE_ADDR="10.2.2.2"
    )
    assert elsewhere.status_code == 302


def test_a_few_mistakes_do_not_lock_and_success_resets_the_count(client):
    make_user(Role.MODERATOR, username="olga")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": "olga", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "olga", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/accounts/login/", {"username": "olga", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "olga", "password": PASSWORD}).status_code == 302


def test_fifty_wrong_passwords_then_the_right_one_is_refused_on_http_basic(client):
    make_user(Role.MODERATOR, username="olga")
    assert client.get("/api/cases/", HTTP_AUTHORIZATION=_basic("olga", PASSWORD)).status_code == 200
    for _ in range(50):
        assert client.get("/api/cases/", HTTP_AUTHORIZATION=_basic("olga", "wrong")).status_code in {
            401,
            403,
            429,
        }
    answer = client.get("/api/cases/", HTTP_AUTHORIZATION=_basic("olga", PASSWORD))
    assert answer.status_code == 429
    assert "Слишком много неудачных попыток входа" in answer.json()["detail"]
    assert int(answer["Retry-After"]) > 0


def test_password_reset_emails_are_throttled_per_account_and_address(client):
    make_user(Role.MODERATOR, username="olga", email="olga@example.test")
    for _ in range(20):
        client.post("/accounts/password/reset/", {"email": "olga@example.test"})
    assert len(mail.outbox) == settings.OTKLIK_RESET_EMAILS_PER_ACCOUNT
    answer = client.post("/accounts/password/reset/", {"email": "olga@example.test"})
    assert answer.status_code == 429 and "Попробуйте снова" in answer.content.decode()
    for number in range(40):
        client.post("/accounts/password/reset/", {"email": f"x{number}@example.test"}, REMOTE_ADDR="10.3.3.3")
    blocked = client.post(
        "/accounts/password/reset/", {"email": "other@example.test"}, REMOTE_ADDR="10.3.3.3"
    )
    assert blocked.status_code == 429


def test_the_counters_live_in_a_shared_cache():
    backend = caches[settings.AXES_CACHE].__class__.__name__
    assert backend in {"DatabaseCache", "RedisCache"}
