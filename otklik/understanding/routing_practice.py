"""The current routing practice: which agencies the latest routed cases went to.

Routing practice drifts. On the Kursk appeals (docs/benchmarks.md, executor) the city
administration took the city's road and housing appeals in some periods and the city committees in
others, and no text tells which: the executors of the routing decisions nearest in arrival order
raise routing accuracy from 0.49 to 0.62 in cross-validation. In production the decisions nearest
to a new appeal are the latest ones, so the practice is the share of each agency among the latest
``k`` routed cases (of the same category, when there are enough of them) — the prior a router
retrained on the latest decisions would have. :func:`ml.recent_practice` is the same thing for the
learned model; this module reads it from the cases.

The cases are read through the app registry by their label: understanding sits below cases and
never imports it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

DEFAULT_K = 40


def practice_shares(
    agencies: Iterable[int], candidates: Iterable[int], *, smoothing: float = 0.5
) -> dict[int, float]:
    """The share of each candidate agency among the routed ``agencies`` (one per decision),
    smoothed by ``smoothing`` per candidate so that an agency not seen lately keeps a small share;
    decisions for agencies outside the candidates are left out."""
    wanted = list(dict.fromkeys(candidates))
    counts = Counter(a for a in agencies if a in set(wanted))
    total = sum(counts.values()) + smoothing * len(wanted)
    if not wanted or total <= 0:
        return {}
    return {a: (counts[a] + smoothing) / total for a in wanted}


def latest_routed(
    k: int = DEFAULT_K,
    *,
    category_id: int | None = None,
    category_ids: Iterable[int] | None = None,
    before: datetime | None = None,
) -> list[int]:
    """The agencies of the latest ``k`` cases that have one (newest first), in arrival order
    (``created_at``), of one category when ``category_id`` is given (of these with ``category_ids``),
    arrived before ``before`` when given. Merged cases are left out: their routing is their target's."""
    from django.apps import apps

    cases = apps.get_model("cases", "Case").objects.filter(agency__isnull=False, merged_into__isnull=True)
    if category_id is not None:
        cases = cases.filter(category_id=category_id)
    if category_ids is not None:
        cases = cases.filter(category_id__in=list(category_ids))
    if before is not None:
        cases = cases.filter(created_at__lt=before)
    return list(cases.order_by("-created_at", "-pk").values_list("agency_id", flat=True)[:k])


def current_practice(
    category_id: int | None,
    candidates: Iterable[int],
    *,
    k: int = DEFAULT_K,
    min_decisions: int = 10,
    before: datetime | None = None,
) -> dict[int, float]:
    """The current routing practice for a case of a category: each candidate agency's share among
    the latest ``k`` routed cases of that category, or of all categories when the category has
    fewer than ``min_decisions`` routed cases yet."""
    agencies = latest_routed(k, category_id=category_id, before=before) if category_id is not None else []
    if len(agencies) < min_decisions:
        agencies = latest_routed(k, before=before)
    return practice_shares(agencies, candidates)


def leading_agency(
    category_id: int, *, k: int = DEFAULT_K, min_decisions: int = 10, min_share: float = 0.5
) -> tuple[int, int, int] | None:
    """The agency most of the latest ``k`` routed cases of a category went to, as (agency id, its
    cases, the decisions looked at) — when there are at least ``min_decisions`` of them and it has
    more than ``min_share`` of them; else None. A subcategory with too few decisions of its own reads
    those of its parent's whole branch. What the pipeline suggests to the moderator for a case no
    routing rule covers."""
    from django.apps import apps

    agencies = latest_routed(k, category_id=category_id)
    if len(agencies) < min_decisions:
        categories = apps.get_model("directory", "Category").objects
        parent = categories.filter(pk=category_id).values_list("parent_id", flat=True).first()
        if parent is None:
            return None
        branch = [parent, *categories.filter(parent_id=parent).values_list("pk", flat=True)]
        agencies = latest_routed(k, category_ids=branch)
    if len(agencies) < min_decisions:
        return None
    agency, count = Counter(agencies).most_common(1)[0]
    if count <= min_share * len(agencies):
        return None
    return agency, count, len(agencies)
