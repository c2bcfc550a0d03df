"""Default deadline policies: editable reference data in ``data/deadline_policies.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import Channel, DeadlineClock, DeadlineUnit
from .models import DeadlinePolicy

DEFAULT_DEADLINE_POLICIES = Path(__file__).resolve().parent / "data" / "deadline_policies.json"

FIELDS = (
    "channel",
    "social_only",
    "urgent_only",
    "amount",
    "unit",
    "interim_amount",
    "interim_unit",
    "clock_start",
    "priority",
    "is_active",
)


def read_deadline_policies(path: Path | None = None) -> list[dict[str, Any]]:
    """The policies of the JSON file, checked and with every field filled."""
    data = json.loads((path or DEFAULT_DEADLINE_POLICIES).read_text(encoding="utf-8"))
    rows: list[dict[str, Any]] = []
    for raw in data["policies"]:
        row = {
            "name": raw["name"],
            "channel": raw.get("channel", ""),
            "social_only": bool(raw.get("social_only", False)),
            "urgent_only": bool(raw.get("urgent_only", False)),
            "amount": int(raw["amount"]),
            "unit": raw["unit"],
            "interim_amount": raw.get("interim_amount"),
            "interim_unit": raw.get("interim_unit", ""),
            "clock_start": raw.get("clock_start", DeadlineClock.ASSIGNMENT),
            "priority": int(raw.get("priority", 0)),
            "is_active": bool(raw.get("is_active", True)),
        }
        if row["channel"] and row["channel"] not in Channel.values:
            raise ValidationError(f"{row['name']}: unknown channel {row['channel']!r}")
        if row["clock_start"] not in DeadlineClock.values:
            raise ValidationError(f"{row['name']}: unknown clock start {row['clock_start']!r}")
        for key in ("unit", "interim_unit"):
            if row[key] and row[key] not in DeadlineUnit.values:
                raise ValidationError(f"{row['name']}: unknown unit {row[key]!r}")
        if bool(row["interim_amount"]) != bool(row["interim_unit"]):
            raise ValidationError(f"{row['name']}: give both the interim amount and its unit")
        rows.append(row)
    return rows


def load_default_deadline_policies(path: Path | None = None, *, update: bool = False) -> int:
    """Create the default policies that are missing (matched by name); return how many were written.

    Idempotent: a policy that exists is left as the administrator edited it, unless ``update``
    rewrites it from the file.
    """
    written = 0
    with transaction.atomic():
        for row in read_deadline_policies(path):
            values = {key: row[key] for key in FIELDS}
            existing = DeadlinePolicy.objects.filter(name=row["name"]).order_by("pk").first()
            if existing is None:
                DeadlinePolicy.objects.create(name=row["name"], **values)
                written += 1
            elif update:
                for key, value in values.items():
                    setattr(existing, key, value)
                existing.save()
                written += 1
    return written
