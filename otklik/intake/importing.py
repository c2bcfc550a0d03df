"""Spreadsheets in and out: CSV/XLSX import with column mapping, and the ЦУР 43-column export.

**Import.** A table (CSV with ``,``/``;``/tab, or the first sheet of an XLSX) becomes pipeline
items through a *column mapping* — our field → their column, e.g. ``{"text": "Текст обращения",
"posted_at": "Дата"}``. Known headers are found automatically (:data:`KNOWN_HEADERS`, English and
Russian); a ЦУР export (:mod:`otklik.intake.cur_schema`) is recognized by its header and read with
its own rules. Every row is validated first: a bad row becomes a dead letter with the row itself and
the reason, the rest goes through :func:`otklik.intake.pipeline.run_batch` in batches. Import is
idempotent by source + external id; a table without an id column gets a stable id from the row's
content (``row-<sha1>``), so importing the same file again is a no-op too.

**Export.** :func:`export_cur43` writes cases in exactly the ЦУР schema (same 43 headers, same
order) as CSV or XLSX.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from otklik.cases.models import Answer, Case
from otklik.directory.choices import Channel
from otklik.security.spreadsheets import csv_row, xlsx_cells

from . import cur_schema
from .cur_schema import CUR43_HEADERS, RowError
from .deadletters import record_dead_letter
from .models import Message, Source
from .pipeline import BatchResult, run_batch
from .pipeline.schema import SOURCE_CODE_RE

IMPORT_STAGE = "import"
TABLE_FORMATS = ("csv", "xlsx")
FIELDS = (
    "external_id",
    "text",
    "posted_at",
    "source",
    "channel",
    "author_name",
    "author_id",
    "author_contact",
    "url",
    "lat",
    "lon",
    "address",
)

# Headers we recognize without a mapping (compared case-insensitively, spaces collapsed).
KNOWN_HEADERS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "external_id",
        "id",
        "message_id",
        "номер",
        "номер обращения",
        "номер сообщения",
        "id сообщения",
        "идентификатор",
    ),
    "text": (
        "text",
        "message",
        "текст",
        "текст обращения",
        "текст сообщения",
        "сообщение",
        "обращение",
        "текст инцидента",
        "содержание",
    ),
    "posted_at": (
        "posted_at",
        "date",
        "created",
        "created_at",
        "дата",
        "дата создания",
        "дата обращения",
        "дата и время",
        "дата публикации",
        "время публикации",
    ),
    "source": ("source", "источник"),
    "channel": ("channel", "канал"),
    "author_name": ("author_name", "author", "автор", "фио", "заявитель", "имя"),
    "author_id": ("author_id", "id автора"),
    "author_contact": ("author_contact", "contact", "контакт", "телефон", "email", "e-mail", "почта"),
    "url": ("url", "link", "ссылка", "ссылка на сообщение"),
    "lat": ("lat", "latitude", "широта"),
    "lon": ("lon", "lng", "longitude", "долгота"),
    "address": ("address", "full_address", "адрес", "полный адрес", "адрес объекта"),
}


def _key(header: str) -> str:
    return " ".join(str(header).replace("\ufeff", "").split()).casefold()


class MappingError(ValueError):
    """The mapping names a column the table does not have, or the table lacks the text column."""


def detect_mapping(headers: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Our field → their column: ``given`` first, known headers for the rest.

    Raises :class:`MappingError` when a given column is missing or no column holds the text.
    """
    headers = [h for h in headers if h]
    by_key = {_key(h): h for h in headers}
    mapping: dict[str, str] = {}
    for our, theirs in (given or {}).items():
        if our not in FIELDS:
            raise MappingError(f"unknown field {our!r}; one of: {', '.join(FIELDS)}")
        if _key(theirs) not in by_key:
            raise MappingError(f"the table has no column {theirs!r} (for {our})")
        mapping[our] = by_key[_key(theirs)]
    taken = set(mapping.values())
    for our, synonyms in KNOWN_HEADERS.items():
        if our in mapping:
            continue
        for synonym in synonyms:
            column = by_key.get(synonym)
            if column is not None and column not in taken:
                mapping[our] = column
                taken.add(column)
                break
    if "text" not in mapping:
        raise MappingError(f"no text column found among: {', '.join(headers)}; give a mapping for “text”")
    return mapping


# --- reading tables -------------------------------------------------------------------------------------


def detect_table_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "gz":  # a gzipped CSV: appeals.csv.gz
        suffix = Path(path.stem).suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    raise ValueError(f"Cannot tell the format of {path.name}: use .csv or .xlsx, or give the format.")


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]  # (row number in the file, 1 = header) → values
    total: int


def _open_text(path: Path) -> IO[str]:
    """A CSV file as text, gzipped or not."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _csv_dialect(path: Path) -> type[csv.Dialect] | csv.Dialect:
    with _open_text(path) as fh:
        sample = fh.read(64 * 1024)
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _csv_rows(path: Path, dialect: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open_text(path) as fh:
        reader = csv.reader(fh, dialect)
        headers = [h.strip() for h in next(reader, [])]
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            row: dict[str, Any] = dict(zip(headers, values, strict=False))
            if len(values) > len(headers):
                row["__extra__"] = values[len(headers) :]
            yield number, row


def _xlsx_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]], int]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    headers = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    total = max((sheet.max_row or 1) - 1, 0)

    def iterate() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for number, values in enumerate(rows, start=2):
                if not any(v not in (None, "") for v in values):
                    continue
                yield number, {h: v for h, v in zip(headers, values, strict=False) if h}
        finally:
            workbook.close()

    return headers, iterate(), total


def open_table(path: Path | str, fmt: str | None = None) -> Table:
    path = Path(path)
    fmt = fmt or detect_table_format(path)
    if fmt == "xlsx":
        headers, rows, total = _xlsx_rows(path)
        return Table(headers, rows, total)
    dialect = _csv_dialect(path)
    with _open_text(path) as fh:
        reader = csv.reader(fh, dialect)
        headers = [h.strip() for h in next(reader, [])]
        total = sum(1 for values in reader if any(v.strip() for v in values))
    return Table(headers, _csv_rows(path, dialect), total)


# --- rows → items ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _row_id(row: Mapping[str, Any]) -> str:
    blob = json.dumps([[k, _plain(v)] for k, v in sorted(row.items())], ensure_ascii=False, default=str)
    return "row-" + hashlib.sha1(blob.encode("utf-8")).hexdigest()[:20]


def mapped_row_to_item(
    row: Mapping[str, Any],
    mapping: Mapping[str, str],
    *,
    tz: tzinfo | None = None,
    default_posted_at: datetime | None = None,
) -> dict[str, Any]:
    """One row of a generic table → a pipeline item; RowError for what is certainly wrong."""
    if "__extra__" in row:
        raise RowError(f"the row has {len(row) - 1 + len(row['__extra__'])} cells, more than the header")
    item: dict[str, Any] = {}
    for our, theirs in mapping.items():
        value = row.get(theirs)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if our == "posted_at":
            item[our] = cur_schema.parse_local(value, tz).isoformat()
        elif our in ("lat", "lon"):
            item[our] = value if isinstance(value, int | float) else str(value).strip()
        elif our == "external_id":
            integral = isinstance(value, float) and value.is_integer()
            item[our] = str(int(value)) if integral else cell_text(value)
        else:
            item[our] = cell_text(value)
    if not item.get("text"):
        raise RowError(f"the text column “{mapping['text']}” is empty")
    if "posted_at" not in item:
        if "posted_at" in mapping or default_posted_at is None:
            raise RowError("the date column is empty" if "posted_at" in mapping else "no date column")
        item["posted_at"] = default_posted_at.isoformat()
    if "external_id" not in item:
        if "external_id" in mapping:
            raise RowError(f"the id column “{mapping['external_id']}” is empty")
        item["external_id"] = _row_id(row)
    used = set(mapping.values())
    extra = {k: _plain(v) for k, v in row.items() if k not in used and v not in (None, "")}
    if extra:
        item["columns"] = extra
    return item


def cell_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


# --- import ---------------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    kind: str  # "cur43" or "mapped"
    mapping: dict[str, str]
    result: BatchResult = field(default_factory=BatchResult)

    def summary(self) -> str:
        return f"{self.kind}: {self.result.summary()}"


def ensure_source(code: str, *, channel: str = Channel.IMPORT, name: str = "") -> Source:
    if not SOURCE_CODE_RE.match(code):
        raise ValueError("a source code is letters, digits, - and _")
    source, _created = Source.objects.get_or_create(
        code=code, defaults={"name": name or code, "channel": channel, "connector": "file"}
    )
    return source


def import_table(
    path: Path | str,
    *,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    source: Source | None = None,
    tz: tzinfo | None = None,
    default_posted_at: datetime | None = None,
    batch_size: int = 500,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a CSV/XLSX file through the pipeline; see the module's docstring.

    ``source`` is the default for rows that name none (a ЦУР export: ``cur-import``, created on
    first use); ``tz`` the zone of dates without an offset (default: the project's);
    ``default_posted_at`` is used when the table has no date column at all.
    """
    path = Path(path)
    table = open_table(path, fmt)
    if on_total:
        on_total(table.total)
    is_cur = not mapping and cur_schema.is_cur_header(table.headers)
    if is_cur:
        source = source or ensure_source(cur_schema.DEFAULT_SOURCE, name="ЦУР: импорт")
        used_mapping = {
            "external_id": "ID",
            "text": cur_schema.TEXT_COLUMN,
            "posted_at": cur_schema.CREATED_COLUMN,
        }
    else:
        used_mapping = detect_mapping(table.headers, mapping)
    outcome = ImportResult(kind="cur43" if is_cur else "mapped", mapping=used_mapping)
    total = outcome.result
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            total.add(run_batch(list(pending), now=now, source=source))
            if progress:
                progress(len(pending))
            pending.clear()

    for number, row in table.rows:
        try:
            if is_cur:
                item = cur_schema.row_to_item(
                    row,
                    source=source.code if source else cur_schema.DEFAULT_SOURCE,
                    tz=tz,
                    default_posted_at=default_posted_at,
                )
            else:
                item = mapped_row_to_item(row, used_mapping, tz=tz, default_posted_at=default_posted_at)
        except RowError as exc:
            reason = f"{path.name}, row {number}: {exc}"
            payload = {"file": path.name, "row": number, "columns": {k: _plain(v) for k, v in row.items()}}
            record_dead_letter(payload, stage=IMPORT_STAGE, reason=reason, source=source, now=now)
            total.received += 1
            total.dead_letters += 1
            total.failures.append((IMPORT_STAGE, reason))
            if progress:
                progress(1)
            continue
        pending.append(item)
        if len(pending) >= batch_size:
            flush()
    flush()
    return outcome


# --- export ---------------------------------------------------------------------------------------------


def cases_for_export(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return (
        queryset.select_related("agency", "category__parent", "territory__parent__parent__parent")
        .prefetch_related(
            Prefetch(
                "messages", queryset=Message.objects.select_related("source").order_by("posted_at", "id")
            ),
            Prefetch("answers", queryset=Answer.objects.order_by("created_at", "id")),
            "ratings",
        )
        .order_by("created_at", "id")
    )


def cur43_rows(
    queryset: QuerySet[Case], *, tz: tzinfo | None = None, chunk: int = 500
) -> Iterator[dict[str, str]]:
    """The cases of ``queryset`` as rows of the ЦУР schema (prefetched in chunks)."""
    tz = tz or timezone.get_current_timezone()
    for case in cases_for_export(queryset).iterator(chunk_size=chunk):
        messages = list(case.messages.all())
        ratings = sorted(case.ratings.all(), key=lambda r: (r.created_at, r.pk))
        yield cur_schema.case_to_row(
            case,
            first_message=messages[0] if messages else None,
            answers=list(case.answers.all()),
            last_rating=ratings[-1].score if ratings else None,
            tz=tz,
        )


def export_cur43(
    queryset: QuerySet[Case],
    path: Path | str,
    *,
    fmt: str | None = None,
    tz: tzinfo | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the cases in the ЦУР 43-column schema to ``path`` (.csv or .xlsx); return the row count."""
    path = Path(path)
    fmt = fmt or detect_table_format(path)
    written = 0
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Инциденты")
        sheet.append(list(CUR43_HEADERS))
        for row in cur43_rows(queryset, tz=tz):
            sheet.append(xlsx_cells(sheet, [row[h] for h in CUR43_HEADERS]))
            written += 1
            if progress:
                progress(1)
        workbook.save(path)
        return written
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CUR43_HEADERS)
        for row in cur43_rows(queryset, tz=tz):
            writer.writerow(csv_row([row[h] for h in CUR43_HEADERS]))
            written += 1
            if progress:
                progress(1)
    return written
