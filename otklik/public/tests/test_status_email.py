"""The status link is emailed to a resident who leaves an email address (Django's locmem outbox)."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from otklik.cases.models import Case
from otklik.intake.direct import Submitted
from otklik.intake.models import Message
from otklik.public import emails, services

from . import appeal_data
from .appeal_data import URL

pytestmark = pytest.mark.django_db

EMAIL = "irina.smirnova@example.ru"


def form_data(**overrides: str) -> dict[str, str]:
    return appeal_data.form_data(**{"contact": EMAIL, **overrides})


def ru(text: str) -> str:
    with translation.override("ru"):
        return gettext(text)


def test_the_status_link_is_emailed_in_russian_with_the_absolute_address(
    client, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form_data(), HTTP_ACCEPT_LANGUAGE="en")

    case = Case.objects.get()
    status_url = reverse("public:status", args=[case.number, services.status_token(case)])
    assert response.status_code == 302 and response["Location"] == status_url
    [email] = mail.outbox
    assert email.to == ["irina.smirnova@example.ru"]
    assert email.subject == ru("Your appeal %(number)s is registered") % {"number": case.number}
    assert f"http://testserver{status_url}\n" in email.body  # absolute, on a line of its own
    assert ru("Hello, %(name)s!") % {"name": "Ирина Смирнова"} in email.body
    assert ru("Your appeal is registered under number %(number)s.") % {"number": case.number} in email.body
    page = client.get(status_url).content.decode()
    assert "irina.smirnova@example.ru" in page  # "we have also sent the link to …"


def test_the_site_address_setting_makes_the_link(
    client, region, settings, django_capture_on_commit_callbacks
):
    settings.OTKLIK_PUBLIC_BASE_URL = "https://otklik.example.ru/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, form_data())
    case = Case.objects.get()
    path = reverse("public:status", args=[case.number, services.status_token(case)])
    assert f"https://otklik.example.ru{path}" in mail.outbox[0].body


def test_no_email_for_a_phone_number_a_resent_form_or_a_thank_you(
    client, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(URL, form_data(contact="+7 (917) 123-45-67")).status_code == 302
    assert Case.objects.count() == 1 and mail.outbox == []

    data = form_data()
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            URL, {**data, "text": "Не вывозят мусор во дворе дома 5 на улице Мира уже неделю"}
        )
        again = client.post(
            URL, {**data, "text": "Не вывозят мусор во дворе дома 5 на улице Мира уже неделю!"}
        )
    assert first["Location"] == again["Location"]
    assert len(mail.outbox) == 1  # the same form sent twice: one email

    # A text judged not to be a problem opens no case: there is no status link to send.
    message = Message.objects.first()
    assert message is not None
    no_case = Submitted(message=message, case=None, is_new=True)
    assert services.email_status_link(no_case, contact="a@example.ru", name="", status_url="x") is None
    assert len(mail.outbox) == 1


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_mail_server_that_is_away_does_not_lose_the_appeal(
    client, region, settings, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 5

    with (
        caplog.at_level(logging.ERROR, logger="otklik.public.emails"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(URL, form_data(), follow=True)

    assert response.status_code == 200
    case = Case.objects.get()
    assert Message.objects.get().case == case
    assert case.number in response.content.decode()  # the resident still gets the status page
    [record] = caplog.records
    assert case.number in record.getMessage() and record.exc_info is not None
    assert "irina.smirnova@example.ru" not in record.getMessage()


@pytest.mark.parametrize(
    ("contact", "address"),
    [
        ("  Irina@Example.ru ", "Irina@Example.ru"),
        ("+7 917 123-45-67", None),
        ("irina@", None),
        ("", None),
    ],
)
def test_email_address_in_the_contact_field(contact, address):
    assert emails.email_address(contact) == address
