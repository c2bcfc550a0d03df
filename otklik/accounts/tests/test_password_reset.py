"""'Forgot your password?': a one-time link by email that sets a new password and signs in."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from otklik.accounts.choices import Role
from otklik.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_forgotten_password_is_reset_by_a_one_time_link(client):
    make_user(Role.MODERATOR, username="olga", email="olga@example.test")
    assert "Забыли пароль?" in client.get("/accounts/login/").content.decode()
    sent = client.post("/accounts/password/reset/", {"email": "olga@example.test"}, follow=True)
    assert b"password-reset-done" in sent.content
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.test"}, follow=True)
    assert b"password-reset-done" in unknown.content  # the same answer: addresses are not disclosed
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["olga@example.test"]
    assert "olga" in mail.outbox[0].body and mail.outbox[0].subject == "«Отклик»: новый пароль"
    path = re.search(r"https?://[^/\s]+(/accounts/password/set/\S+)", mail.outbox[0].body).group(1)
    form = client.get(path, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Очередь-вторник-7", "new_password2": "Очередь-вторник-7"},
    )
    assert done.status_code == 302
    client.logout()
    assert client.login(username="olga", password="Очередь-вторник-7")


def test_an_invited_observer_who_lost_the_link_gets_a_new_one(client):
    invited = make_user(Role.OBSERVER, username="obs79270001122", email="anna@example.test")
    invited.set_unusable_password()
    invited.save()
    disabled = make_user(Role.MODERATOR, username="gone", email="gone@example.test")
    disabled.set_unusable_password()
    disabled.last_login = disabled.date_joined  # signed in once, then disabled on purpose
    disabled.save()
    client.post("/accounts/password/reset/", {"email": "ANNA@example.test"})
    client.post("/accounts/password/reset/", {"email": "gone@example.test"})
    assert [m.to for m in mail.outbox] == [["anna@example.test"]]
