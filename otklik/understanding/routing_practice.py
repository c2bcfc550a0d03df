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
from typing import Any

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


def _latest() -> Any:
    """Routed, unmerged cases as (created, id, agency), newest first."""
    from django.apps import apps

    cases = apps.get_model("cases", "Case").objects.filter(agency__isnull=False, merged_into__isnull=True)
    return cases.order_by("-created_at", "-pk").values_list("created_at", "pk", "agency_id")


def latest_routed(
    k: int = DEFAULT_K,
    *,
    category_id: int | None = None,
    category_ids: Iterable[int] | None = None,
    before: datetime | None = None,
) -> list[int]:
    """The agencies of the latest ``k`` cases that have one (newest first), in arrival order
    (``created_at``), of one category when ``category_id`` is given (of these with ``category_ids``),
    arrived before ``before`` when given. Merged cases are left out: their routing is their target's.

    Each category is read on its own (the index on category and creation time gives its latest ``k``
    without reading the rest) and the lists are merged here, so the cost does not grow with the
    number of cases."""
    latest = _latest()
    if before is not None:
        latest = latest.filter(created_at__lt=before)
    if category_id is not None:
        return [agency for _at, _pk, agency in latest.filter(category_id=category_id)[:k]]
    if category_ids is None:
        return [agency for _at, _pk, agency in latest[:k]]
    found = [row for one in dict.fromkeys(category_ids) for row in latest.filter(category_id=one)[:k]]
    found.sort(key=lambda row: (row[0], row[1]), reverse=True)
    return [agency for _at, _pk, agency in found[:k]]


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


def _latest_per_category(category_ids: Iterable[int], k: int) -> dict[int, list[tuple[datetime, int, int]]]:
    """The latest ``k`` routed, unmerged cases of each category as (created, id, agency), newest
    first — one statement: a LATERAL top-``k`` per category walks the index on category and
    creation time, so its cost does not grow with the number of cases."""
    from django.apps import apps
    from django.db import connection

    ids = sorted(set(category_ids))
    found: dict[int, list[tuple[datetime, int, int]]] = {i: [] for i in ids}
    if not ids:
        return found
    table = connection.ops.quote_name(apps.get_model("cases", "Case")._meta.db_table)
    values = ", ".join(["(%s)"] * len(ids))
    sql = (
        f"SELECT c.id, l.created_at, l.id, l.agency_id FROM (VALUES {values}) AS c(id) "
        f"CROSS JOIN LATERAL (SELECT created_at, id, agency_id FROM {table} "
        "WHERE category_id = c.id AND agency_id IS NOT NULL AND merged_into_id IS NULL "
        "ORDER BY created_at DESC, id DESC LIMIT %s) AS l"
    )
    if connection.vendor == "sqlite":  # no LATERAL: the same, one category at a time
        for one in ids:
            found[one] = list(_latest().filter(category_id=one)[:k])
        return found
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, k])
        for category, at, pk, agency in cursor.fetchall():
            found[category].append((at, pk, agency))
    for rows in found.values():
        rows.sort(reverse=True)
    return found


def leading_agencies(
    category_ids: Iterable[int], *, k: int = DEFAULT_K, min_decisions: int = 10, min_share: float = 0.5
) -> dict[int, tuple[int, int, int] | None]:
    """For each category: the agency most of its latest ``k`` routed cases went to, as (agency id,
    its cases, the decisions looked at) — when there are at least ``min_decisions`` of them and it
    has more than ``min_share`` of them; else None. A subcategory with too few decisions of its own
    reads those of its parent's whole branch. What the pipeline suggests to the moderator for a case
    no routing rule covers (two statements for any number of categories)."""
    from django.apps import apps

    wanted = list(dict.fromkeys(category_ids))
    if not wanted:
        return {}
    tree = dict(apps.get_model("directory", "Category").objects.values_list("pk", "parent_id"))
    branches: dict[int, list[int]] = {}
    for one in wanted:
        parent = tree.get(one)
        if parent is not None:
            branches[one] = [parent, *(c for c, p in tree.items() if p == parent)]
    latest = _latest_per_category([*wanted, *(c for b in branches.values() for c in b)], k)
    out: dict[int, tuple[int, int, int] | None] = {}
    for one in wanted:
        rows = latest[one]
        if len(rows) < min_decisions and one in branches:
            rows = sorted((row for c in branches[one] for row in latest[c]), reverse=True)[:k]
        out[one] = None
        if len(rows) >= min_decisions:
            agency, count = Counter(agency for _at, _pk, agency in rows).most_common(1)[0]
            if count > min_share * len(rows):
                out[one] = (agency, count, len(rows))
    return out
