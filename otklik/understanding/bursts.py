"""Bursts: an unusual rise of one category in one territory against its own rolling baseline.

For every category × municipality the cases of the current window (the local calendar day up to
``now``) are compared with the daily counts of the ``baseline_days`` days before it. The expected
count λ is their mean (with a floor, so a quiet pair does not alarm on its second case); a burst
needs at least ``min_count`` cases, ``min_ratio`` × λ, and a Poisson tail P(X ≥ count | λ) below
``max_p``. The robust z-score (median and MAD of the daily counts) is kept in the explanation.

:func:`detect_bursts` takes the observations from its caller (cases sits above this app and is not
imported here): ``(case_id, category_id, territory_id, created_at)`` rows, settlements rolled up to
their municipality. It is idempotent: one :class:`~otklik.understanding.models.BurstAlert` per
category × territory × window, updated (count and case ids) when run again.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from django.db import transaction
from django.utils import timezone

from otklik.directory.models import Territory

from .models import BurstAlert

Observation = tuple[int, int | None, int | None, datetime]  # case id, category id, territory id, created


@dataclass(frozen=True)
class BurstConfig:
    baseline_days: int = 28
    min_count: int = 5
    min_ratio: float = 3.0
    max_p: float = 0.001
    lambda_floor: float = 0.5


@dataclass(frozen=True)
class BurstFinding:
    category_id: int
    territory_id: int
    count: int
    baseline: float
    p_value: float
    robust_z: float
    case_ids: list[int]

    @property
    def score(self) -> float:
        return -math.log10(max(self.p_value, 1e-300))


def poisson_tail(count: int, lam: float) -> float:
    """P(X ≥ count) for X ~ Poisson(lam)."""
    if count <= 0:
        return 1.0
    term = math.exp(-lam)
    below = term
    for k in range(1, count):
        term *= lam / k
        below += term
    return max(0.0, 1.0 - below)


def robust_z(value: float, history: list[int]) -> float:
    """(value − median) / (1.4826 · MAD), with the MAD floored at 0.5 so a flat history stays finite."""
    if not history:
        return 0.0
    centre = median(history)
    mad = median(abs(h - centre) for h in history)
    return (value - centre) / (1.4826 * max(mad, 0.5))


def window_of(now: datetime) -> tuple[datetime, datetime]:
    """The current window: the local calendar day of ``now``, from its midnight."""
    local = timezone.localtime(now) if timezone.is_aware(now) else now
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def find_bursts(
    observations: Iterable[Observation],
    now: datetime,
    *,
    municipality_of: dict[int, int] | None = None,
    config: BurstConfig = BurstConfig(),
) -> list[BurstFinding]:
    """Pure detection over observations (no database)."""
    start, _end = window_of(now)
    history_start = start - timedelta(days=config.baseline_days)
    roll_up = municipality_of or {}
    daily: dict[tuple[int, int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    current: dict[tuple[int, int], list[int]] = defaultdict(list)
    for case_id, category_id, territory_id, created_at in observations:
        if category_id is None or territory_id is None or created_at > now or created_at < history_start:
            continue
        key = (category_id, roll_up.get(territory_id, territory_id))
        if created_at >= start:
            current[key].append(case_id)
        else:
            daily[key][(start - created_at).days] += 1  # day index 0..baseline_days-1 back
    found = []
    for key, case_ids in current.items():
        count = len(case_ids)
        if count < config.min_count:
            continue
        history = [daily[key].get(day, 0) for day in range(config.baseline_days)]
        lam = max(sum(history) / config.baseline_days, config.lambda_floor)
        p_value = poisson_tail(count, lam)
        if count >= config.min_ratio * lam and p_value < config.max_p:
            found.append(
                BurstFinding(key[0], key[1], count, lam, p_value, robust_z(count, history), sorted(case_ids))
            )
    return sorted(found, key=lambda f: f.p_value)


def _municipalities() -> dict[int, int]:
    territories = {t.pk: t for t in Territory.objects.only("pk", "parent_id", "kind")}
    for t in territories.values():
        if t.parent_id in territories:
            t.parent = territories[t.parent_id]
    return {pk: t.municipality.pk for pk, t in territories.items()}


def detect_bursts(
    now: datetime, observations: Iterable[Observation], *, config: BurstConfig = BurstConfig()
) -> list[BurstAlert]:
    """Raise (or update) an alert for every burst of the current window; returns them."""
    start, end = window_of(now)
    findings = find_bursts(observations, now, municipality_of=_municipalities(), config=config)
    alerts = []
    with transaction.atomic():
        for finding in findings:
            alert, created = BurstAlert.objects.select_for_update().get_or_create(
                category_id=finding.category_id,
                territory_id=finding.territory_id,
                window_start=start,
                defaults={
                    "window_end": end,
                    "count": finding.count,
                    "baseline": finding.baseline,
                    "score": finding.score,
                    "case_ids": finding.case_ids,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if not created and (alert.count, alert.case_ids) != (finding.count, finding.case_ids):
                alert.count, alert.case_ids = finding.count, finding.case_ids
                alert.baseline, alert.score, alert.updated_at = finding.baseline, finding.score, now
                alert.save(update_fields=["count", "case_ids", "baseline", "score", "updated_at"])
            alerts.append(alert)
    return alerts
