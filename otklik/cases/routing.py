"""Routing rules: category × territory → agency.

A rule matches when its category is empty, the case's category or one of its ancestors, and its
territory is empty, the case's territory or one of its ancestors. Among matching non-fallback rules
the most specific wins (exact category over its parent over any; then territory likewise), then
the highest priority. Fallback rules are used only when nothing else matches.
"""

from __future__ import annotations

from dataclasses import dataclass

from otklik.directory.models import Agency, Category, RoutingRule, Territory


@dataclass(frozen=True)
class RouteResult:
    agency: Agency
    rule: RoutingRule


def _depth_index(chain: list[int], item_id: int | None) -> int:
    """0 for an exact match, 1 for the parent, …; len(chain) for a wildcard."""
    if item_id is None:
        return len(chain)
    return chain.index(item_id)


def _category_chain(category: Category | None) -> list[int]:
    chain: list[int] = []
    node = category
    while node is not None and len(chain) < 10:
        chain.append(node.pk)
        node = node.parent
    return chain


def active_rules() -> list[RoutingRule]:
    """All active rules; a batch loads them once and passes them to :func:`route`."""
    return list(RoutingRule.objects.filter(is_active=True, agency__is_active=True).select_related("agency"))


def route(
    category: Category | None, territory: Territory | None, rules: list[RoutingRule] | None = None
) -> RouteResult | None:
    """Pick the agency for a case, or None when no rule (not even a fallback) matches."""
    cat_chain = _category_chain(category)
    ter_chain = [t.pk for t in territory.ancestors()] if territory is not None else []
    candidates = [
        r
        for r in (rules if rules is not None else active_rules())
        if (r.category_id is None or r.category_id in cat_chain)
        and (r.territory_id is None or r.territory_id in ter_chain)
    ]
    if not candidates:
        return None
    regular = [r for r in candidates if not r.is_fallback]
    best = min(
        regular or candidates,
        key=lambda r: (
            _depth_index(cat_chain, r.category_id),
            _depth_index(ter_chain, r.territory_id),
            -r.priority,
            r.pk,
        ),
    )
    return RouteResult(agency=best.agency, rule=best)
