"""Reading a region's tables and reporting what loading them changes (the import commands of
otklik/directory/commands.py).

* :func:`read_table` reads a CSV (``,``/``;``/tab, UTF-8, optionally gzipped) or the first sheet
  of an XLSX into rows of text keyed by our field names: a column is found by its header (English
  or Russian, see each importer's ``HEADERS``) or named with ``--map field=Column``.
* :class:`Report` is what every importer returns: what was (or, with ``--dry-run``, would be)
  created, updated, left as it was, and what is wrong in the file, row by row. An importer checks
  the whole file first and writes nothing when any row is wrong (:class:`FileProblems`); it writes
  inside one transaction, rolled back for a dry run, so a dry run reports exactly what a real run
  does.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

TRUE = frozenset({"1", "true", "yes", "y", "да", "д", "+", "x", "public", "публичная", "публичный"})
FALSE = frozenset({"0", "false", "no", "n", "нет", "н", "-", ""})


class FileProblems(ValueError):
    """The file cannot be loaded as it is: nothing was written. ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:30] + ([f"… and {len(problems) - 30} more"] if len(problems) > 30 else [])
        super().__init__("The file was not loaded; nothing changed:\n  " + "\n  ".join(shown))


@dataclass
class Report:
    """What loading a file changes: lines a person reads in a terminal."""

    title: str
    dry_run: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self, *, limit: int = 40) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        out = [
            f"{self.title}{' (dry run: nothing written)' if self.dry_run else ''}: "
            f"{len(self.created)} {verb} created, {len(self.updated)} {verb} updated, "
            f"{self.unchanged} unchanged" + (f", {len(self.skipped)} rows skipped" if self.skipped else "")
        ]
        for label, items in (("created", self.created), ("updated", self.updated)):
            out += [f"  {label}: {item}" for item in items[:limit]]
            if len(items) > limit:
                out.append(f"  … and {len(items) - limit} more {label}")
        out += [f"  note: {note}" for note in self.notes]
        out += [f"  skipped: {item}" for item in self.skipped[:limit]]
        if len(self.skipped) > limit:
            out.append(f"  … and {len(self.skipped) - limit} more skipped")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


class _DryRun(Exception):
    pass


@contextmanager
def writing(dry_run: bool) -> Iterator[None]:
    """One transaction for the whole file; rolled back at the end of a dry run."""
    try:
        with transaction.atomic():
            yield
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass


def _key(header: str) -> str:
    return " ".join(str(header).lower().replace("ё", "е").replace("_", " ").split())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split())


@dataclass
class Table:
    path: Path
    headers: list[str]
    columns: dict[str, str]  # our field → the file's header
    rows: list[tuple[int, dict[str, str]]]  # (line number, field → text)


def _raw_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a broken or mislabelled workbook: say so, do not crash
            raise FileProblems([f"{path.name}: not a readable XLSX workbook ({exc})"]) from exc
        values = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
        headers = [_text(h) for h in (values[0] if values else ())]
        return headers, ((n, list(v)) for n, v in enumerate(values[1:], start=2))
    opener = gzip.open if name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:  # type: ignore[operator]
            text = handle.read()
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise FileProblems([f"{path.name}: cannot be read as UTF-8 text ({exc})"]) from exc
    try:
        dialect: Any = csv.Sniffer().sniff(text[: 64 * 1024], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    headers = [h.strip() for h in next(reader, [])]
    return headers, ((n, values) for n, values in enumerate(reader, start=2))


def read_rows(path: str | Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Every column of every non-empty row, as text keyed by the file's own headers (a table passed
    through, e.g. to add predictions to it)."""
    path = Path(path)
    if not path.exists():
        raise FileProblems([f"{path}: no such file"])
    names, raw = _raw_rows(path)
    rows = [
        (number, {name: _text(values[i]) if i < len(values) else "" for i, name in enumerate(names) if name})
        for number, values in raw
        if any(_text(v) for v in values)
    ]
    return [n for n in names if n], rows


def read_table(
    path: str | Path,
    headers: Mapping[str, tuple[str, ...]],
    *,
    mapping: Mapping[str, str] | None = None,
    required: tuple[str, ...] = (),
) -> Table:
    """Rows of a CSV/XLSX as our fields. ``headers``: our field → the headers that mean it (any case);
    ``mapping``: our field → the file's column, given by the user. A missing required column or a
    mapped column the file lacks is a :class:`FileProblems`."""
    path = Path(path)
    if not path.exists():
        raise FileProblems([f"{path}: no such file"])
    names, raw = _raw_rows(path)
    by_key = {_key(h): h for h in names if h}
    columns: dict[str, str] = {}
    problems: list[str] = []
    for ours, theirs in (mapping or {}).items():
        if ours not in headers:
            problems.append(f"--map {ours}=…: no such field; fields are {', '.join(headers)}")
        elif _key(theirs) not in by_key:
            problems.append(f"--map {ours}={theirs}: the file has no column “{theirs}”")
        else:
            columns[ours] = by_key[_key(theirs)]
    for ours, known in headers.items():
        if ours in columns:
            continue
        for candidate in (ours, *known):
            if _key(candidate) in by_key:
                columns[ours] = by_key[_key(candidate)]
                break
    missing = [f for f in required if f not in columns]
    if missing:
        problems.append(
            f"{path.name}: no column for {', '.join(missing)} (found: {', '.join(n for n in names if n)}); "
            "name it with --map field=Column"
        )
    if problems:
        raise FileProblems(problems)
    index = {h: i for i, h in enumerate(names)}
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in raw:
        if not any(_text(v) for v in values):
            continue
        if len(values) > len(names) and any(_text(v) for v in values[len(names) :]):
            problems.append(f"line {number}: {len(values)} cells, more than the {len(names)} headers")
            continue
        rows.append(
            (
                number,
                {
                    ours: _text(values[index[theirs]]) if index[theirs] < len(values) else ""
                    for ours, theirs in columns.items()
                },
            )
        )
    if problems:
        raise FileProblems(problems)
    return Table(path, names, columns, rows)


def parse_bool(value: str, *, default: bool) -> bool | None:
    """ "да"/"нет", "yes"/"no", "1"/"0"; ``default`` for an empty cell; None for anything else."""
    folded = value.strip().lower()
    if not folded:
        return default
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    return None


def split_list(value: str) -> list[str]:
    """ "a; b | c" or one per line → ["a", "b", "c"]."""
    for sep in ("\n", "|"):
        value = value.replace(sep, ";")
    return [part.strip() for part in value.split(";") if part.strip()]


def parse_mapping(pairs: list[str] | None) -> dict[str, str]:
    """``["name=municipality", "parent=district"]`` → {"name": "municipality", …}."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise FileProblems([f"--map {pair!r}: write field=Column"])
        out[ours.strip()] = theirs.strip()
    return out


def find_region(name: str | None) -> Any:
    """The region territory named (any spelling), or the only region when no name is given."""
    from .choices import TerritoryKind
    from .models import Territory

    regions = list(Territory.objects.filter(kind=TerritoryKind.REGION).defer("geometry").order_by("pk"))
    if name:
        wanted = " ".join(name.lower().replace("ё", "е").split())
        found = [r for r in regions if " ".join(r.name.lower().replace("ё", "е").split()) == wanted]
        if len(found) == 1:
            return found[0]
        raise FileProblems(
            [f"no region “{name}”; regions: {', '.join(r.name for r in regions) or 'none loaded'}"]
        )
    if len(regions) == 1:
        return regions[0]
    raise FileProblems(
        [
            "give --region: "
            + (", ".join(r.name for r in regions) if regions else "no region loaded (otklik load-region)")
        ]
    )
