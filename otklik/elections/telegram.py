"""Observers report through the notification bot, as election monitors do by SMS (NDI Apollo): an
observer who has connected Telegram (profile → "Connect Telegram") writes to the bot

* «открыт» (or /opened) — the station opened;
* «явка 450» (or /turnout 450) — voters so far;
* «нарушение: вброс, что, где, кто» (or /violation …), with a photo if there is one — an incident for
  the lawyers, of the type the message names (:func:`otklik.elections.violations.classify`);
* «закрыт» (or /closed) — the station closed.

Each message becomes a report through :func:`otklik.elections.reports.file_report`, with the same
checks as the web form; the Telegram message is the report's ``client_id``, so an update read twice
makes one report. The bot answers what it took or why it did not.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, can
from otklik.cases.telegram_bot import download_file

from . import access, reports, violations
from .models import ReportKind

HELP = (
    "Сообщения с участка: «открыт», «явка 450», «нарушение: вброс (карусель, давление, агитация…), "
    "что, где, кто» (можно с фото), «закрыт»."
)
NO_ELECTION = "Нет активных выборов: сообщения не принимаются."
NO_PHOTO = "Не удалось получить фото. Отправьте его ещё раз."
PATTERNS = (
    (re.compile(r"^/?(?:opened|открыт[оа]?|открылись)\b", re.I), ReportKind.OPENED),
    (re.compile(r"^/?(?:closed|закрыт[оа]?|закрылись)\b", re.I), ReportKind.CLOSED),
    (re.compile(r"^/?(?:turnout|явка)\s*[:\-–—]?\s*(\d[\d\s]*)\s*$", re.I), ReportKind.TURNOUT),
    (re.compile(r"^/?(?:violation|нарушение)\b\s*[:\-–—]?\s*(.*)$", re.I | re.S), ReportKind.VIOLATION),
)


def parse(text: str) -> tuple[str, str] | None:
    """(kind, argument) of an observer's message, or None."""
    for pattern, kind in PATTERNS:
        match = pattern.match(text.strip())
        if match:
            return kind, (match.group(1) if match.groups() else "").strip()
    return None


def observer_message(user: User, message: dict[str, Any]) -> str | None:
    """The bot's handler (registered in the app's ``ready``): an observer's report, or None for others."""
    if not can(user, Capability.REPORT_AS_OBSERVER):
        return None
    parsed = parse(str(message.get("text") or message.get("caption") or ""))
    if parsed is None:
        return HELP
    kind, argument = parsed
    election = access.active_election()
    if election is None:
        return NO_ELECTION
    photo = None
    sizes = message.get("photo") or []
    if kind == ReportKind.VIOLATION and sizes:
        largest = max(sizes, key=lambda s: int(s.get("file_size") or s.get("width", 0) * s.get("height", 0)))
        content = download_file(str(largest.get("file_id", "")))
        if content is None:
            return NO_PHOTO
        photo = SimpleUploadedFile("telegram.jpg", content, content_type="image/jpeg")
    turnout = int(re.sub(r"\s", "", argument)) if kind == ReportKind.TURNOUT else None
    try:
        report = reports.file_report(
            observer=user,
            election=election,
            kind=kind,
            turnout=turnout,
            text=argument if kind == ReportKind.VIOLATION else "",
            photo=photo,
            client_id=f"tg-{message['chat']['id']}-{message.get('message_id', '')}",
        )
    except (ValidationError, PermissionDenied) as exc:
        return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    station = report.station
    if kind == ReportKind.TURNOUT:
        share = f" ({100 * (turnout or 0) / station.registered_voters:.1f} %)".replace(".", ",")
        return f"Принято: явка {turnout} на {station}{share if station.registered_voters else ''}."
    if kind == ReportKind.VIOLATION:
        typed = report.violation_type
        kind_name = typed.name.lower() if typed and typed.code != violations.OTHER else "нарушение"
        return (
            f"Принято: {kind_name} на {station} — передано юристам, инцидент № {report.incident.pk}. "
            "Если тип указан неверно, юрист поправит его."
        )
    return f"Принято: {station} {'открыт' if kind == ReportKind.OPENED else 'закрыт'}."
