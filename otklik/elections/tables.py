"""Reading the CSV tables the situational center imports (stations, observers): headers with their
whitespace normalized, and which column holds each field under the names it may come by."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any


def open_table(handle: Iterable[str], aliases: dict[str, tuple[str, ...]]) -> tuple[Any, dict[str, str]]:
    """A ``csv.DictReader`` over ``handle`` and ``{field: the column that holds it}`` (first alias
    found wins; fields with no column are left out)."""
    reader = csv.DictReader(handle)
    header = [" ".join((h or "").split()) for h in reader.fieldnames or []]
    reader.fieldnames = header
    columns = {
        name: next(c for c in names if c in header)
        for name, names in aliases.items()
        if any(c in header for c in names)
    }
    return reader, columns
