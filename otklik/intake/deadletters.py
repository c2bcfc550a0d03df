"""Keeping dead letters: the same failure read again counts an attempt instead of a second row.

A dead letter is identified by its source, stage, external id and raw payload. While it is not
replayed, the same payload failing at the same stage again (a file or a feed read twice, a webhook
retried) only raises its ``attempts`` and takes the newest reason, so the operator sees one row per
problem with how often it came. A replayed letter that fails again is a new row.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import F, Q

from .models import DeadLetter

Key = tuple[int | None, str, str, str]


def _key(letter: DeadLetter) -> Key:
    return (letter.source_id, letter.stage, letter.external_id, letter.payload)


def _store(letters: Sequence[DeadLetter]) -> tuple[list[DeadLetter], int]:
    wanted: dict[Key, DeadLetter] = {}
    for letter in letters:
        wanted.setdefault(_key(letter), letter)
    groups: dict[tuple[int | None, str], list[DeadLetter]] = {}
    for letter in wanted.values():
        groups.setdefault((letter.source_id, letter.stage), []).append(letter)
    known: dict[Key, DeadLetter] = {}
    for (source_id, stage), group in groups.items():
        same_source = Q(source__isnull=True) if source_id is None else Q(source_id=source_id)
        rows = DeadLetter.objects.filter(
            same_source,
            stage=stage,
            replayed_at=None,
            external_id__in={d.external_id for d in group},
            payload__in={d.payload for d in group},
        ).order_by("pk")
        for stored in rows:
            known.setdefault(_key(stored), stored)
    fresh: list[DeadLetter] = []
    for key, letter in wanted.items():
        row = known.get(key)
        if row is None:
            fresh.append(letter)
            continue
        DeadLetter.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, reason=letter.reason)
        row.attempts += 1
        row.reason = letter.reason
    DeadLetter.objects.bulk_create(fresh)
    return [known.get(key) or letter for key, letter in wanted.items()], len(fresh)


def keep(letters: Sequence[DeadLetter]) -> int:
    """Store ``letters`` (unsaved ones); return how many became new rows."""
    return _store(letters)[1] if letters else 0


def keep_one(letter: DeadLetter) -> DeadLetter:
    """Store one letter; return its row, new or the one already kept."""
    return _store([letter])[0][0]
