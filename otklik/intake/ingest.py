"""Files into the pipeline (``otklik ingest``, the runner's inbox): JSONL or CSV in batches.

A line that is not JSON becomes a dead letter of stage ``parse`` and the rest goes on; the item
schema is :mod:`otklik.intake.pipeline.schema`'s. In-process each batch is one transaction; with
``OTKLIK_PIPELINE=celery`` the batches go to the workers (:mod:`otklik.intake.tasks`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop

from otklik.security import payloads

from .deadletters import record_dead_letter
from .models import Source
from .pipeline import BatchResult, Stage, both_languages, run_batch
from .tasks import enqueue_batches

FORMATS = ("jsonl", "csv")
NOT_UTF8 = gettext_noop("line %(line)s is not valid UTF-8 text (its raw bytes are kept)")
NOT_JSON = gettext_noop("line %(line)s is not valid JSON: %(error)s")
NOT_CSV = gettext_noop("line %(line)s is not a valid CSV row: %(error)s")
HAS_NUL = gettext_noop("line %(line)s contains a NUL character")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise ValueError(f"Cannot tell the format of {path.name}: use .jsonl or .csv, or give the format.")


@dataclass(frozen=True)
class Unparsed:
    """A line of a file that is not an item (bad JSON, not UTF-8, nested too deep): a dead letter.
    ``raw`` is the line as read (bytes when they are not UTF-8)."""

    line: int
    raw: str | bytes
    reason: str

    @property
    def text(self) -> str:
        return self.raw if isinstance(self.raw, str) else self.raw.decode("utf-8", errors="backslashreplace")


def _not_utf8(text: str) -> bytes | None:
    """The raw bytes of a line read with ``surrogateescape`` when they are not UTF-8, else None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogateescape")
    return None


def read_items(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any] | Unparsed]:
    """Items of a JSONL or CSV file, one by one. A line that is not an item — bad JSON, bytes that
    are not UTF-8, JSON nested deeper than :data:`~otklik.security.payloads.MAX_PARSE_DEPTH` — comes
    as :class:`Unparsed` and the next line is read: one bad line never stops the file."""
    fmt = fmt or detect_format(path)
    # surrogateescape: an undecodable byte becomes a marker on its own line instead of an exception
    # that would end the whole file (UnicodeDecodeError mid-read).
    with path.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as fh:
        if fmt == "csv":
            yield from _csv_items(fh)
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            raw = _not_utf8(line)
            if raw is not None:
                reason = both_languages(NOT_UTF8, line=number)
                yield Unparsed(number, raw.rstrip(b"\r\n"), reason)
                continue
            try:
                value = payloads.loads(line)
            except ValueError as exc:
                yield Unparsed(number, line.rstrip("\n"), both_languages(NOT_JSON, line=number, error=exc))
                continue
            yield value


def _csv_items(fh: Any) -> Iterator[dict[str, Any] | Unparsed]:
    reader = csv.DictReader(fh)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Unparsed(reader.line_num, "", both_languages(NOT_CSV, line=reader.line_num, error=exc))
            continue
        values = [v for v in row.values() if isinstance(v, str)] + [k for k in row if k]
        raw = next((_not_utf8(v) for v in values if _not_utf8(v) is not None), None)
        if raw is not None or any("\x00" in v for v in values):
            line = ",".join(v for v in row.values() if isinstance(v, str))
            reason = both_languages(NOT_UTF8 if raw is not None else HAS_NUL, line=reader.line_num)
            yield Unparsed(reader.line_num, line.encode("utf-8", errors="surrogateescape"), reason)
            continue
        yield {k.strip(): (v if v != "" else None) for k, v in row.items() if k}


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(buffer.count(b"\n") for buffer in iter(lambda: fh.read(1 << 20), b""))


def ingest_file(
    path: Path | str,
    *,
    fmt: str | None = None,
    source: Source | None = None,
    batch_size: int = 500,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Ingest a JSONL or CSV file in batches; ``progress`` is called with the rows of each batch.

    With ``OTKLIK_PIPELINE=celery`` the batches are sent to the Celery workers instead (the result
    then counts the items received and the batches ``queued``; the workers store the rest).
    """
    path = Path(path)
    total = BatchResult()
    celery = settings.OTKLIK_PIPELINE == "celery"

    def batches() -> Iterator[list[dict[str, Any]]]:
        pending: list[dict[str, Any]] = []
        for value in read_items(path, fmt):
            if isinstance(value, Unparsed):
                record_dead_letter(value.raw, stage=Stage.PARSE, reason=value.reason, source=source, now=now)
                total.received += 1
                total.dead_letters += 1
                total.failures.append((Stage.PARSE, value.reason))
                if progress:
                    progress(1)
                continue
            pending.append(value)
            if len(pending) >= batch_size:
                yield pending
                pending = []
        if pending:
            yield pending

    if celery:  # the workers run the batches (otklik.intake.tasks)
        for items in batches():
            total.received += len(items)
            total.queued += enqueue_batches(
                items, batch_size=batch_size, source=source.code if source else None, now=now
            )
            if progress:
                progress(len(items))
        return total
    for items in batches():  # in-process: each batch in its own transaction
        total.add(run_batch(items, now=now, source=source))
        if progress:
            progress(len(items))
    return total
