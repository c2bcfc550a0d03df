"""Hand annotations of real data: the development / held-out split and the annotation files.

The rules are in ``docs/annotation/README.md``. Texts stay in ``../shared/data`` (beside the project);
the files under ``data/annotations/`` keep only row ids, labels, the draw each row came from and a
short note. Every evaluation decides a row's part with :func:`held_out` and reads files with
:func:`read_annotations`, which refuses unknown labels and (given the data set's ids) unknown rows.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

ANNOTATIONS_DIR = Path(__file__).resolve().parent / "data" / "annotations"
HELD_OUT_PERCENT = 30
BASE_COLUMNS = ("id", "label", "stratum", "note")


def shared_data() -> Path:
    """``../shared/data`` beside the project: real public data that is never copied into it."""
    return Path(settings.BASE_DIR).parent / "shared" / "data"


def held_out(dataset: str, key: str) -> bool:
    """Whether a row (or a pair, ``"<smaller id>|<larger id>"``) belongs to the held-out part.

    Decided by the id alone, so the split never moves as annotations grow; about 30 % are held out.
    """
    digest = hashlib.sha256(f"{dataset}:{key}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < HELD_OUT_PERCENT


def pair_key(a: str, b: str) -> str:
    first, second = sorted((str(a), str(b)))
    return f"{first}|{second}"


class AnnotationError(ValueError):
    """A malformed annotation file: an unknown label or row, a duplicate, a missing column."""


@dataclass(frozen=True)
class Annotation:
    id: str
    label: str
    stratum: str
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def borderline(self) -> bool:
        return self.note.startswith("?")


def read_annotations(
    path: Path,
    labels: Collection[str],
    *,
    known_ids: Collection[str] | None = None,
) -> list[Annotation]:
    """The annotations of ``path``, checked: every label in ``labels``, every id once (and, when
    ``known_ids`` is given, present in the data set). Raises :class:`AnnotationError` naming the line."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("id", "label") if c not in (reader.fieldnames or ())]
        if missing:
            raise AnnotationError(f"{path.name}: missing column(s) {', '.join(missing)}")
        out: list[Annotation] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            row_id = (row.get("id") or "").strip()
            label = (row.get("label") or "").strip()
            if not row_id:
                raise AnnotationError(f"{path.name}:{line}: empty id")
            if row_id in seen:
                raise AnnotationError(f"{path.name}:{line}: id {row_id} annotated twice")
            if label not in labels:
                known = ", ".join(sorted(labels))
                raise AnnotationError(f"{path.name}:{line}: unknown label {label!r} (known: {known})")
            if known_ids is not None and row_id not in known_ids:
                raise AnnotationError(f"{path.name}:{line}: id {row_id} is not in the data set")
            seen.add(row_id)
            extra = {k: v for k, v in row.items() if k not in BASE_COLUMNS and k is not None}
            out.append(
                Annotation(
                    row_id, label, (row.get("stratum") or "").strip(), (row.get("note") or "").strip(), extra
                )
            )
    return out


def write_annotations(
    path: Path, annotations: Iterable[Annotation], *, extra_columns: Iterable[str] = ()
) -> None:
    """Write annotations sorted by id (numerically where ids are numbers), the format of the README."""
    extra = list(extra_columns)
    rows = sorted(annotations, key=lambda a: (0, int(a.id), "") if a.id.isdigit() else (1, 0, a.id))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([*BASE_COLUMNS, *extra])
        for a in rows:
            writer.writerow([a.id, a.label, a.stratum, a.note, *(a.extra.get(c, "") for c in extra)])
