"""The 43-column export schema of the ЦУР monitoring system («Инцидент Менеджмент»).

The regional centers export incidents as a spreadsheet of exactly these 43 columns, in this order
(the Omsk export in ``../shared/data/omsk_cur_incidents`` is a real one). Otklik reads such a file
(:func:`row_to_item`: one row → one pipeline item) and writes its cases back in the same schema
(:func:`case_to_row`), filling what it knows and leaving the rest empty.

Conventions of the real export, kept both ways:

* dates and times are local, ``YYYY-MM-DD HH:MM:SS`` without an offset;
* durations are pandas ``Timedelta`` strings: ``0 days 12:30:37.103000``;
* free-text columns (the incident and the answers) start with an apostrophe, the spreadsheet's
  "this is text" mark — which also keeps a text starting with ``=``, ``+``, ``-`` or ``@`` from
  being read as a formula;
* yes/no columns are ``Да`` / ``Нет``, and ``-`` when the question does not apply.

**Identity.** ``ID`` is the message's id in its source and becomes ``external_id``; the source is
the import's (``cur-import`` by default). Otklik's own export writes ``<source code>:<external id>``
in ``ID`` for messages of other sources, so that importing an export back into the same
installation finds every message again (a no-op) instead of making new cases.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.directory.choices import TerritoryKind

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.directory.models import Territory
    from otklik.intake.models import Message

# The header of the real export, verbatim and in order.
CUR43_HEADERS: tuple[str, ...] = (
    "Кабинет",
    "ID",
    "Номер инцидента",
    "Отдел",
    "Исполнитель",
    "Общее время первого ответа",
    "Общий текст первого ответа",
    "Время с даты создания инцидента до времени первого ответа",
    "Время с даты создания инцидента до времени первого ответа, рабочее время",
    "Время назначения последнего исполнителя",
    "Время 1го ответа ПИ",
    "Первая реакция с момента назн. ПИ",
    "Уложились или нет после назн. ПИ",
    "Время с начала создания инцидента до окончания",
    "Время отправки первого ответа ПИ на согласование",
    "Время, которое первый ответ ПИ находился на согласовании",
    "Текущий шаг инцидента",
    "Дата создания",
    "Дата окончания",
    "Группа тем",
    "Тема",
    "Регион",
    "Муниципалитет",
    "Населенный пункт",
    "Улица",
    "Дом",
    "Объект старый",
    "Объект",
    "Тип инцидента",
    "Итог",
    "Есть медиафайл в ответе",
    "Есть медиафайл в сообщении",
    "Текст инцидента",
    "1ый ответ ПИ",
    "2ой ответ ПИ",
    "3ий ответ ПИ",
    "Причина закрытия",
    "Аудитория",
    "Вовлеченность",
    "Теги",
    "Примечание",
    "Время попадания на шаг оценка удовлетворенности",
    "Опрос отправлен",
)
assert len(CUR43_HEADERS) == 43

# Columns that identify a ЦУР export (a subset, so shortened exports such as test_40.csv are found).
SIGNATURE = frozenset({"Текст инцидента", "Тема"})
ID_COLUMNS = ("ID", "Номер инцидента")
TEXT_COLUMN = "Текст инцидента"
CREATED_COLUMN = "Дата создания"
# Columns about the post itself (not about how it was handled) kept from an imported ЦУР row.
PASS_THROUGH = (
    "Кабинет",
    "Группа тем",
    "Тема",
    "Регион",
    "Муниципалитет",
    "Населенный пункт",
    "Улица",
    "Дом",
    "Объект старый",
    "Объект",
    "Тип инцидента",
    "Есть медиафайл в сообщении",
    "Аудитория",
    "Вовлеченность",
    "Теги",
    "Примечание",
)
DEFAULT_SOURCE = "cur-import"
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
YES, NO, NOT_APPLICABLE = "Да", "Нет", "-"

# Where a case stands, in the ЦУР system's words ("Готово" and "Оценка удовлетворенности" are seen
# in the real export; the others are the system's steps before an answer).
STEP_BY_STATUS: dict[str, str] = {
    CaseStatus.NEW: "Модерация",
    CaseStatus.MODERATION: "Модерация",
    CaseStatus.ASSIGNED: "В работе",
    CaseStatus.IN_PROGRESS: "В работе",
    CaseStatus.REOPENED: "В работе",
    CaseStatus.ESCALATED: "В работе",
    CaseStatus.REDIRECTED: "Модерация",
    CaseStatus.ANSWERED: "На согласовании",
    CaseStatus.APPROVED: "На согласовании",
    CaseStatus.PUBLISHED: "Оценка удовлетворенности",
    CaseStatus.CLOSED: "Готово",
    CaseStatus.REJECTED: "Готово",
    CaseStatus.MERGED: "Готово",
}
RESULT_BY_STATUS: dict[str, str] = {
    CaseStatus.CLOSED: "Решено",
    CaseStatus.REJECTED: "Отклонено",
    CaseStatus.MERGED: "Объединено",
}


class RowError(ValueError):
    """A row that cannot become an item; it goes to dead letters with this reason."""


def is_cur_header(columns: Iterable[str]) -> bool:
    return {c.strip() for c in columns} >= SIGNATURE


# --- values ---------------------------------------------------------------------------------------


def strip_text_mark(value: str) -> str:
    """The export's leading apostrophe is a spreadsheet mark, not part of the text."""
    value = value.strip()
    return value[1:].strip() if value.startswith("'") else value


def text_cell(value: str) -> str:
    return f"'{value}" if value else ""


def parse_local(value: Any, tz: tzinfo | None = None) -> datetime:
    """A ЦУР date and time (local, no offset; ``2025-12-24 20:06:02`` or ``24.12.2025 20:06``)."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value or "").strip()
        if not text:
            raise RowError("the creation date is empty")
        for fmt in (DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d"):
            try:
                moment = datetime.strptime(text.split(".")[0] if fmt == DATETIME_FORMAT else text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError as exc:
                raise RowError(f"not a date and time: {text!r}") from exc
    assert moment is not None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, tz or timezone.get_current_timezone())
    return moment


def format_local(moment: datetime | None, tz: tzinfo | None = None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment, tz).strftime(DATETIME_FORMAT)


def format_duration(delta: timedelta | None) -> str:
    """pandas' ``Timedelta`` text: ``0 days 12:30:37.103000`` (microseconds only when non-zero)."""
    if delta is None:
        return ""
    negative = delta < timedelta(0)
    delta = -delta if negative else delta
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{delta.days} days {hours:02d}:{minutes:02d}:{seconds:02d}"
    if delta.microseconds:
        text += f".{delta.microseconds:06d}"
    return f"-{text}" if negative else text


_DURATION_RE = re.compile(r"^(-)?(\d+) days? (\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")


def parse_duration(text: str) -> timedelta | None:
    match = _DURATION_RE.match(text.strip())
    if not match:
        return None
    sign, days, hours, minutes, seconds, fraction = match.groups()
    delta = timedelta(
        days=int(days),
        hours=int(hours),
        minutes=int(minutes),
        seconds=int(seconds),
        microseconds=int((fraction or "0").ljust(6, "0")),
    )
    return -delta if sign else delta


def cell(value: Any) -> str:
    """A spreadsheet cell as text: ``2899.0`` stays as the export wrote it; None is empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return str(value).strip()


# --- import: one row → one pipeline item ------------------------------------------------------------


def row_to_item(
    row: Mapping[str, Any],
    *,
    source: str = DEFAULT_SOURCE,
    tz: tzinfo | None = None,
    default_posted_at: datetime | None = None,
) -> dict[str, Any]:
    """A row of a ЦУР export → a pipeline item. The whole row is kept in ``raw["cur"]``.

    A shortened export without id columns gets a stable id from the row's content, one without
    ``Дата создания`` the ``default_posted_at``. Raises :class:`RowError` when the row has an id
    column but no id, no text, or no (or a bad) creation date.
    """
    values = {str(k).strip(): cell(v) for k, v in row.items() if k is not None}
    if any(c in values for c in ID_COLUMNS):
        external_id = next((values[c] for c in ID_COLUMNS if values.get(c)), "")
        if external_id.endswith(".0") and external_id[:-2].isdigit():
            external_id = external_id[:-2]  # a numeric id read from XLSX as a float
        if not external_id:
            raise RowError("the row has neither “ID” nor “Номер инцидента”")
    else:
        blob = "\x1f".join(f"{k}\x1e{v}" for k, v in sorted(values.items()))
        external_id = "row-" + hashlib.sha1(blob.encode("utf-8")).hexdigest()[:20]
    text = strip_text_mark(values.get(TEXT_COLUMN, ""))
    if not text:
        raise RowError(f"“{TEXT_COLUMN}” is empty")
    if CREATED_COLUMN not in values and default_posted_at is not None:
        posted_at = default_posted_at
    else:
        posted_at = parse_local(values.get(CREATED_COLUMN), tz)
    source_code = source
    if ":" in external_id:
        prefix, _, rest = external_id.partition(":")
        if prefix and rest and _is_known_source(prefix):
            source_code, external_id = prefix, rest  # a row of Otklik's own export
    return {
        "source": source_code,
        "external_id": external_id,
        "text": text,
        "posted_at": posted_at.isoformat(),
        "cur": {k: v for k, v in values.items() if k != TEXT_COLUMN and v},
    }


def _is_known_source(code: str) -> bool:
    from otklik.intake.models import Source

    return Source.objects.filter(code=code).exists()


# --- export: one case → one row ----------------------------------------------------------------------


def _ancestors(territory: Territory | None) -> list[Territory]:
    chain: list[Territory] = []
    while territory is not None and len(chain) < 6:
        chain.append(territory)
        territory = territory.parent
    return chain


def _split_address(address: str) -> tuple[str, str]:
    """``ул. Тельмана, 5`` → (``ул. Тельмана``, ``5``); an address without a house stays whole."""
    head, sep, tail = address.rpartition(",")
    tail = tail.strip()
    if sep and re.match(r"^(?:д\.?\s*)?\d+[\w/-]*$", tail, flags=re.IGNORECASE):
        return head.strip(), re.sub(r"^д\.?\s*", "", tail, flags=re.IGNORECASE)
    return address.strip(), ""


def message_id_cell(message: Message, import_source: str = DEFAULT_SOURCE) -> str:
    if message.source.code == import_source:
        return message.external_id
    return f"{message.source.code}:{message.external_id}"


def case_to_row(
    case: Case,
    *,
    first_message: Message | None,
    answers: list[Answer],
    last_rating: int | None,
    region_name: str = "",
    tz: tzinfo | None = None,
) -> dict[str, str]:
    """One case in the 43 columns. ``answers`` in the order written; ``first_message`` its first."""
    raw_cur: dict[str, str] = {}
    if first_message is not None and isinstance(first_message.raw, dict):
        kept = first_message.raw.get("cur")
        if isinstance(kept, dict):
            raw_cur = {str(k): str(v) for k, v in kept.items()}
    row = dict.fromkeys(CUR43_HEADERS, "")
    # What describes the post rather than its handling comes back as imported (audience, tags, the
    # place and topic the ЦУР gave it); Otklik's own values override it where it has them below.
    for header in PASS_THROUGH:
        if raw_cur.get(header):
            row[header] = raw_cur[header]

    chain = _ancestors(case.territory)
    region = next((t.name for t in chain if t.kind == TerritoryKind.REGION), region_name)
    district = next((t.name for t in chain if t.kind in (TerritoryKind.DISTRICT, TerritoryKind.OKRUG)), "")
    settlement = next((t.name for t in chain if t.kind == TerritoryKind.SETTLEMENT), "")
    street, house = _split_address(case.address)
    agency_answers = [a for a in answers if a.agency_id is not None]
    published = [a for a in answers if a.status == AnswerStatus.PUBLISHED]
    first_answer = published[0] if published else (answers[0] if answers else None)
    first_agency = agency_answers[0] if agency_answers else None
    first_answer_at = case.first_answer_at or (first_answer.created_at if first_answer else None)

    def put(header: str, value: str) -> None:
        if value:
            row[header] = value

    put("Кабинет", region)
    put("ID", message_id_cell(first_message) if first_message is not None else "")
    put("Номер инцидента", case.number)
    if case.agency is not None:
        put("Отдел", case.agency.name)
        put("Исполнитель", case.agency.name)
    put("Общее время первого ответа", format_local(first_answer_at, tz))
    if first_answer is not None:
        put("Общий текст первого ответа", text_cell(first_answer.text))
    if first_answer_at:
        put(
            "Время с даты создания инцидента до времени первого ответа",
            format_duration(first_answer_at - case.created_at),
        )
    put("Время назначения последнего исполнителя", format_local(case.assigned_at, tz))
    if first_agency is not None:
        put("Время 1го ответа ПИ", format_local(first_agency.created_at, tz))
        put("Время отправки первого ответа ПИ на согласование", format_local(first_agency.created_at, tz))
        if case.assigned_at:
            put(
                "Первая реакция с момента назн. ПИ",
                format_duration(first_agency.created_at - case.assigned_at),
            )
        if first_agency.reviewed_at:
            put(
                "Время, которое первый ответ ПИ находился на согласовании",
                format_duration(first_agency.reviewed_at - first_agency.created_at),
            )
    if case.answered_at and case.deadline_at:
        row["Уложились или нет после назн. ПИ"] = YES if case.answered_at <= case.deadline_at else NO
    else:
        row["Уложились или нет после назн. ПИ"] = NO if case.is_overdue else NOT_APPLICABLE
    if case.closed_at:
        put(
            "Время с начала создания инцидента до окончания",
            format_duration(case.closed_at - case.created_at),
        )
    put("Текущий шаг инцидента", STEP_BY_STATUS.get(case.status, ""))
    put("Дата создания", format_local(case.created_at, tz))
    put("Дата окончания", format_local(case.closed_at, tz))
    if case.category is not None:
        parent = case.category.parent
        put("Группа тем", parent.name if parent is not None else case.category.name)
        put("Тема", case.category.name)
    put("Регион", region)
    put("Муниципалитет", district)
    put("Населенный пункт", settlement)
    put("Улица", street)
    put("Дом", house)
    put("Итог", RESULT_BY_STATUS.get(case.status, ""))
    row["Есть медиафайл в ответе"] = NO
    has_media = bool(first_message is not None and (first_message.raw or {}).get("attachments"))
    row["Есть медиафайл в сообщении"] = YES if has_media else (row["Есть медиафайл в сообщении"] or NO)
    row["Текст инцидента"] = text_cell(case.text)
    for header, answer in zip(("1ый ответ ПИ", "2ой ответ ПИ", "3ий ответ ПИ"), agency_answers, strict=False):
        row[header] = text_cell(answer.text)
    if last_rating is not None:
        row["Причина закрытия"] = "Автор доволен" if last_rating >= 4 else "Автор недоволен"
    elif case.status == CaseStatus.CLOSED:
        row["Причина закрытия"] = "Нет ответа от автора"
    put("Время попадания на шаг оценка удовлетворенности", format_local(case.published_at, tz))
    row["Опрос отправлен"] = NO
    return row
