"""How far two readers of the same appeals agree on urgency (``docs/annotation/urgency.md``).

The second reading (``urgency_second_reading.csv``: ``dataset,id,label,note``) labels waves again
(10, 11, 12, 13, 16 and 17 so far), blind to the first labels; :func:`agreement` compares the two on
the rows both read — every wave together, or one wave (``wave=N``: the first reading's ``wave`` column): raw
agreement, Cohen's kappa and the confusion table, for urgent vs ``none`` and for the four labels, on the first
reader's borderline rows (note starting with ``?``) and on the rest, and the precision and recall of
each reader taken as a "detector" of the other's urgent rows — the human ceiling beside a target.
:func:`report` lists the rows whose labels differ by id and notes for development rows only; held-out
rows that differ are only counted (by direction), as every held-out figure of the project is.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

from .annotations import ANNOTATIONS_DIR, held_out, read_annotations
from .urgency_annotations import FILES, LABELS, URGENT

SECOND_READING_FILE = ANNOTATIONS_DIR / "urgency_second_reading.csv"
URGENT_LABEL = "urgent"
NONE_LABEL = "none"


@dataclass(frozen=True)
class Reading:
    """One reader's label of a row."""

    label: str
    note: str = ""
    wave: int | None = None  # the first reading's ``wave`` column (the second reading has none)

    @property
    def borderline(self) -> bool:
        return self.note.startswith("?")


Key = tuple[str, str]  # (dataset, id)


def read_second_reading(path: Path = SECOND_READING_FILE) -> dict[Key, Reading]:
    with path.open(encoding="utf-8", newline="") as handle:
        out: dict[Key, Reading] = {}
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if row["label"] not in LABELS:
                raise ValueError(f"{path.name}:{line}: unknown label {row['label']!r}")
            key = (row["dataset"], row["id"])
            if key in out:
                raise ValueError(f"{path.name}:{line}: {key} read twice")
            out[key] = Reading(row["label"], row.get("note") or "")
    return out


def read_first_reading(keys: Iterable[Key]) -> dict[Key, Reading]:
    """The first annotator's labels of ``keys`` (from ``spb_urgency.csv`` / ``kursk_urgency.csv``)."""
    wanted = set(keys)
    out: dict[Key, Reading] = {}
    for dataset, path in FILES.items():
        for a in read_annotations(path, LABELS):
            if (dataset, a.id) in wanted:
                out[(dataset, a.id)] = Reading(a.label, a.note, int(a.extra.get("wave") or 1))
    missing = wanted - out.keys()
    if missing:
        raise ValueError(
            f"{len(missing)} row(s) of the second reading have no first label, e.g. {min(missing)}"
        )
    return out


def urgency(label: str) -> str:
    return URGENT_LABEL if label in URGENT else NONE_LABEL


@dataclass(frozen=True)
class Table:
    """Two readers' labels of the same rows, over ``labels``."""

    labels: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]  # (first, second)

    @property
    def n(self) -> int:
        return len(self.pairs)

    def confusion(self) -> dict[tuple[str, str], int]:
        counts = Counter(self.pairs)
        return {(a, b): counts[(a, b)] for a in self.labels for b in self.labels}

    @property
    def observed(self) -> float:
        return sum(a == b for a, b in self.pairs) / self.n if self.n else float("nan")

    @property
    def expected(self) -> float:
        first = Counter(a for a, _ in self.pairs)
        second = Counter(b for _, b in self.pairs)
        return sum(first[x] * second[x] for x in self.labels) / self.n**2 if self.n else float("nan")

    @property
    def kappa(self) -> float:
        """Cohen's kappa: (observed − chance agreement) / (1 − chance agreement); NaN when chance is 1."""
        if not self.n or self.expected >= 1:
            return float("nan")
        first, second = zip(*self.pairs, strict=True)
        return float(cohen_kappa_score(first, second, labels=list(self.labels)))


def table(pairs: Iterable[tuple[str, str]], labels: Sequence[str]) -> Table:
    return Table(tuple(labels), tuple(pairs))


def precision_recall(pairs: Iterable[tuple[str, str]], positive: str = URGENT_LABEL) -> tuple[float, float]:
    """Precision and recall of the second label of each pair as a detector of the first's ``positive``
    (NaN where undefined: nothing flagged, nothing to find)."""
    listed = list(pairs)
    if not listed:
        return float("nan"), float("nan")
    truth = [t == positive for t, _ in listed]
    guess = [g == positive for _, g in listed]
    return (
        float(precision_score(truth, guess, zero_division=np.nan)),
        float(recall_score(truth, guess, zero_division=np.nan)),
    )


@dataclass(frozen=True)
class Agreement:
    rows: int
    waves: tuple[int, ...]  # the first reading's waves of the rows compared
    urgent: Table  # urgent vs none, all rows
    labels: Table  # the four labels, all rows
    urgent_borderline: Table  # urgent vs none, rows the first reader marked "?"
    urgent_clear: Table  # urgent vs none, the other rows
    second_as_detector: tuple[float, float]  # precision, recall of reading 2 against reading 1
    first_as_detector: tuple[float, float]  # precision, recall of reading 1 against reading 2
    disagreements: tuple[tuple[Key, Reading, Reading], ...]  # the four labels differ


def agreement(
    first: Mapping[Key, Reading], second: Mapping[Key, Reading], *, wave: int | None = None
) -> Agreement:
    """The two readings compared on the rows both read; with ``wave``, only the rows of that wave
    (by the first reading's ``wave``); ``None`` (the default) compares every row both read."""
    keys = sorted(
        (k for k in second.keys() & first.keys() if wave is None or first[k].wave == wave),
        key=lambda k: (k[0] != "spb_our_city_dev", k[0], int(k[1])),
    )
    labels = [(first[k].label, second[k].label) for k in keys]
    binary = [(urgency(a), urgency(b)) for a, b in labels]
    both = (URGENT_LABEL, NONE_LABEL)
    return Agreement(
        rows=len(keys),
        waves=tuple(sorted({w for k in keys if (w := first[k].wave) is not None})),
        urgent=table(binary, both),
        labels=table(labels, LABELS),
        urgent_borderline=table((p for k, p in zip(keys, binary, strict=True) if first[k].borderline), both),
        urgent_clear=table((p for k, p in zip(keys, binary, strict=True) if not first[k].borderline), both),
        second_as_detector=precision_recall(binary),
        first_as_detector=precision_recall((b, a) for a, b in binary),
        disagreements=tuple((k, first[k], second[k]) for k in keys if first[k].label != second[k].label),
    )


def _table_lines(name: str, t: Table) -> list[str]:
    lines = [
        f"{name}: {t.n} rows, raw agreement {t.observed:.3f}, chance {t.expected:.3f}, kappa {t.kappa:.3f}",
        "  first \\ second  " + "  ".join(f"{label:>17}" for label in t.labels),
    ]
    matrix = t.confusion()
    for a in t.labels:
        lines.append(f"  {a:>15}  " + "  ".join(f"{matrix[(a, b)]:>17}" for b in t.labels))
    return lines


def report(result: Agreement, *, with_notes: bool = True) -> str:
    waves = ", ".join(map(str, result.waves)) or "-"
    lines = [f"rows read by both: {result.rows} (wave {waves})"]
    lines += _table_lines("urgent vs none", result.urgent)
    lines += _table_lines("four labels", result.labels)
    lines += _table_lines("urgent vs none, first reader's borderline rows", result.urgent_borderline)
    lines += _table_lines("urgent vs none, the other rows", result.urgent_clear)
    p, r = result.second_as_detector
    lines.append(
        f"second reading as a detector of the first's urgent rows: precision {p:.3f}, recall {r:.3f}"
    )
    p, r = result.first_as_detector
    lines.append(
        f"first reading as a detector of the second's urgent rows: precision {p:.3f}, recall {r:.3f}"
    )
    binary = sum(urgency(a.label) != urgency(b.label) for _, a, b in result.disagreements)
    lines.append(
        f"rows whose labels differ: {len(result.disagreements)} ({binary} on urgent vs none, marked *)"
    )
    hidden = [(a, b) for (dataset, row_id), a, b in result.disagreements if held_out(dataset, row_id)]
    if hidden:
        lines.append(
            f"  of them held-out, only counted: {len(hidden)} (first urgent, second none: "
            f"{sum(urgency(a.label) == URGENT_LABEL != urgency(b.label) for a, b in hidden)}; "
            f"first none, second urgent: "
            f"{sum(urgency(b.label) == URGENT_LABEL != urgency(a.label) for a, b in hidden)}; "
            f"another kind of urgency: {sum(urgency(a.label) == urgency(b.label) for a, b in hidden)})"
        )
    for (dataset, row_id), a, b in result.disagreements:
        if held_out(dataset, row_id):
            continue
        mark = "*" if urgency(a.label) != urgency(b.label) else " "
        line = f" {mark}{dataset} {row_id}: first {a.label}, second {b.label}"
        if with_notes:
            line += f" | first: {a.note or '-'} | second: {b.note or '-'}"
        lines.append(line)
    return "\n".join(lines)
