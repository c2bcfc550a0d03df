"""The resident's email with the status link of their appeal.

Sent with Django's mail (``settings.EMAIL_BACKEND``, ``DEFAULT_FROM_EMAIL``) after the transaction
commits, by the same task as the staff's notifications (:mod:`otklik.cases.notifications`): a mail
server that is away is logged and never fails the appeal, which is already stored. The text is in
the project's language (Russian), whatever language the page was shown in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from otklik.cases.notifications import Recipients, send_after_commit


def email_address(contact: str) -> str | None:
    """The email address in a resident's contact field, or None (a phone number, nothing)."""
    value = contact.strip()
    if "@" not in value:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


def status_link_message(*, case_number: str, status_url: str, name: str = "") -> tuple[str, str]:
    """The subject and the plain-text body of the email."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your appeal %(number)s is registered") % {"number": case_number}
        body = render_to_string(
            "public/email/status_link.txt",
            {"name": name.strip(), "number": case_number, "status_url": status_url},
        )
    return subject, body.strip() + "\n"


def mail_after_commit(*, to: str, subject: str, body: str, about: str) -> None:
    """Email one resident (or observer) once the transaction commits. A mail server that is away is
    logged and never fails what was stored — the page shows the same; the address is personal data,
    so the log names only ``about`` ("the status link of appeal 2611-000001")."""
    send_after_commit(Recipients(emails=[to]), subject, body, about=about)


def send_status_link(*, to: str, case_number: str, status_url: str, name: str = "") -> None:
    """Email the status link once the appeal is committed; a failure is logged, not raised."""
    subject, body = status_link_message(case_number=case_number, status_url=status_url, name=name)
    mail_after_commit(to=to, subject=subject, body=body, about=f"the status link of appeal {case_number}")
