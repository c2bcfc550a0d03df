"""Files into the pipeline (``otklik ingest``, the runner's inbox): JSONL or CSV in batches.

A line that is not JSON becomes a dead letter of stage ``parse`` and the rest goes on; the item
schema is :mod:`otklik.intake.pipeline.schema`'s. In-process each batch is one transaction; with
``OTKLIK_PIPELINE=celery`` the batches go to the workers (:mod:`otklik.intake.tasks`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from .deadletters import record_dead_letter
from .models import Source
from .pipeline import BatchResult, Stage, run_batch
from .tasks import enqueue_batches

FORMATS = ("jsonl", "csv")


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise ValueError(f"Cannot tell the format of {path.name}: use .jsonl or .csv, or give the format.")


@dataclass(frozen=True)
class Unparsed:
    """A line of a file that is not an item (bad JSON): it becomes a dead letter."""

    line: int
    text: str
    reason: str


def read_items(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any] | Unparsed]:
    """Items of a JSONL or CSV file, one by one; malformed JSON lines come as :class:`Unparsed`."""
    fmt = fmt or detect_format(path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if fmt == "csv":
            for row in csv.DictReader(fh):
                yield {k.strip(): (v if v != "" else None) for k, v in row.items() if k}
            return
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield Unparsed(number, line.rstrip("\n"), f"line {number} is not valid JSON: {exc}")
                continue
            yield value


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
                record_dead_letter(value.text, stage=Stage.PARSE, reason=value.reason, source=source, now=now)
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
