"""Importing observers by the thousand: an election's headquarters registers one or more observers
for each of ~2,800 polling stations from a table, not by hand in the admin.

The table (CSV, UTF-8) has a row per observer: the station's number, the full name («Фамилия Имя
Отчество») and a phone and/or an email; a username is optional (by default "obs" + the phone's
digits, or the email). Each row makes or updates a user with the observer role bound to that
station; a user who is staff (any other role) is never turned into an observer. Phones are checked
and written in the international format (``phonenumbers``, Russia by default), emails are checked.
A bad row is skipped with its line and reason; the rest of the file is imported, all in one
transaction. Re-running updates (an observer moved to another station is moved).

Nobody gets a password from the table: each observer who has not signed in yet gets an invitation —
a one-time link to set their own password (:func:`otklik.accounts.links.invitation_url`), emailed
where there is an address and listed for the headquarters to send by SMS.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from otklik.accounts.choices import Role
from otklik.accounts.links import invitation_url
from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, role_grants
from otklik.public.emails import mail_after_commit
from otklik.security.spreadsheets import csv_row

from .models import Observer, PollingStation
from .tables import open_table

log = logging.getLogger("otklik.elections.observers")

COLUMNS: dict[str, tuple[str, ...]] = {
    "station": ("station", "uik", "УИК", "участок"),
    "name": ("full_name", "name", "ФИО"),
    "phone": ("phone", "телефон"),
    "email": ("email", "e-mail", "почта"),
    "username": ("username", "login", "логин"),
}


@dataclass(frozen=True)
class Invitation:
    username: str
    full_name: str
    phone: str
    email: str
    station: int
    link: str


@dataclass
class ObserverImport:
    created: int = 0
    updated: int = 0
    emailed: int = 0
    skipped: list[str] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)


def normalize_phone(value: str, region: str = "RU") -> str:
    """ "8 (927) 000-11-22" → "+79270001122"; ValueError for what is not a phone number."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(value) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _split_name(full_name: str) -> tuple[str, str]:
    """«Иванова Анна Сергеевна» → ("Анна Сергеевна", "Иванова") as (first_name, last_name)."""
    last, _, rest = full_name.partition(" ")
    return rest.strip(), last.strip()


def _invitation_message(user: User, station: PollingStation, link: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("You are an observer at polling station %(number)s") % {"number": station.number}
        body = render_to_string(
            "elections/email/observer_invitation.txt",
            {
                "name": user.get_full_name() or user.username,
                "username": user.username,
                "station": station,
                "link": link,
                "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            },
        )
    return subject, body.strip() + "\n"


def import_observers(path: Path, *, send_email: bool = True) -> ObserverImport:
    result = ObserverImport()
    stations = {s.number: s for s in PollingStation.objects.all()}
    with path.open(encoding="utf-8-sig", newline="") as handle, transaction.atomic():
        reader, columns = open_table(handle, COLUMNS)
        missing = {"station", "name"} - set(columns)
        if missing or not {"phone", "email"} & set(columns):
            wanted = sorted(missing) + ([] if {"phone", "email"} & set(columns) else ["phone or email"])
            raise ValidationError(f"{path.name}: no column(s) {', '.join(wanted)}")
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):

            def get(name: str, row: dict[str, str] = row) -> str:
                return " ".join((row.get(columns.get(name, ""), "") or "").split())

            number = re.search(r"\d+", get("station"))
            station = stations.get(int(number.group(0))) if number else None
            if station is None:
                result.skipped.append(f"line {line}: no polling station {get('station')!r}")
                continue
            full_name = get("name")
            if len(full_name) < 3:
                result.skipped.append(f"line {line}: no full name")
                continue
            phone, email = get("phone"), get("email").lower()
            try:
                phone = normalize_phone(phone) if phone else ""
            except ValueError:
                result.skipped.append(f"line {line}: not a phone number: {get('phone')!r}")
                continue
            if email:
                try:
                    validate_email(email)
                except ValidationError:
                    result.skipped.append(f"line {line}: not an email address: {email!r}")
                    continue
            if not phone and not email:
                result.skipped.append(f"line {line}: neither a phone nor an email")
                continue
            username = get("username") or (f"obs{phone.lstrip('+')}" if phone else email)
            if username in seen:
                result.skipped.append(f"line {line}: {username} is already in this file")
                continue
            seen.add(username)
            user = User.objects.filter(username=username).first()
            if user is not None and not role_grants(user.role, Capability.REPORT_AS_OBSERVER):
                result.skipped.append(f"line {line}: {username} is a staff account, not an observer")
                continue
            first, last = _split_name(full_name)
            if user is None:
                user = User(username=username, role=Role.OBSERVER)
                user.set_unusable_password()
                result.created += 1
            else:
                result.updated += 1
            user.first_name, user.last_name = first[:150], last[:150]
            user.email = email or user.email
            user.save()
            Observer.objects.update_or_create(user=user, defaults={"station": station, "phone": phone})
            if user.last_login is None:  # never signed in: (again) the link to set a password
                link = invitation_url(user)
                invited = Invitation(username, full_name, phone, user.email, station.number, link)
                result.invitations.append(invited)
                if send_email and user.email:
                    subject, body = _invitation_message(user, station, link)
                    about = f"the invitation of observer {username}"
                    mail_after_commit(to=user.email, subject=subject, body=body, about=about)
                    result.emailed += 1
    return result


def write_links(invitations: list[Invitation], path: Path) -> None:
    """The invitations as a table for an SMS gateway (UTF-8 CSV)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "full_name", "phone", "email", "station", "link"])
        for i in invitations:
            writer.writerow(csv_row([i.username, i.full_name, i.phone, i.email, i.station, i.link]))
