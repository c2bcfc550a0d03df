"""Routing rules: category × territory → agency.

A rule matches when its category is empty, the case's category or one of its ancestors, and its
territory is empty, the case's territory or one of its ancestors. Among matching non-fallback rules
the most specific wins (exact category over its parent over any; then territory likewise), then
the highest priority. Fallback rules are used only when nothing else matches.

Where no rule covers a case, :func:`suggest_agency` names the agency to suggest to the moderator
(never to assign): the learned router's pick, else where most of the latest routed cases of its
category went.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.models import Agency, Category, RoutingRule, Territory
from otklik.understanding import agency_model, routing_practice


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
    """All active rules of active agencies; a batch loads them once and passes them to :func:`route`.

    Each agency object is made once and shared by its rules (not one per rule, as a join gives); only
    the agencies that have a rule are read (not the thousands of deputies' reception offices)."""
    rules = list(RoutingRule.objects.filter(is_active=True, agency__is_active=True))
    agencies = {agency.pk: agency for agency in Agency.objects.filter(pk__in={r.agency_id for r in rules})}
    for rule in rules:
        rule.agency = agencies[rule.agency_id]
    return rules


ROUTING = "routing"
bump_on_change(ROUTING, RoutingRule, Agency)  # (a category's or territory's deletion deletes its rules)
# The pipeline's batches read the rules from here: one version query instead of reading every rule and
# its agency each batch. The rules and agencies held are shared by the batches: read only.
rules_cache: ProcessCache[list[RoutingRule]] = ProcessCache(ROUTING, build=active_rules)


def current_rules() -> list[RoutingRule]:
    """:func:`active_rules` as this process last read them, read again once a rule or an agency changed."""
    return rules_cache.get()


class RuleIndex:
    """Rules indexed by (category, territory) — empty ones under None — for many :func:`route` calls:
    a case looks up its category chain × territory chain instead of testing every rule. Results are
    remembered per (category, territory), so build one per batch of cases (rules change rarely)."""

    def __init__(self, rules: Iterable[RoutingRule]) -> None:
        self.rules = list(rules)
        self.by_key: dict[tuple[int | None, int | None], list[RoutingRule]] = defaultdict(list)
        for rule in self.rules:
            self.by_key[(rule.category_id, rule.territory_id)].append(rule)
        self._routes: dict[tuple[int | None, int | None], RouteResult | None] = {}
        self._category_parents: dict[int, int | None] | None = None

    def category_chain(self, category: Category | None) -> list[int]:
        """The category and its ancestors' ids, from one query for the whole tree (not one per parent)."""
        if category is None:
            return []
        if self._category_parents is None:
            self._category_parents = dict(Category.objects.values_list("pk", "parent_id"))
        parents = self._category_parents
        if category.pk not in parents:  # not in the tree as read (created since): walk the objects
            return _category_chain(category)
        chain: list[int] = []
        node: int | None = category.pk
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = parents.get(node)
        return chain

    def candidates(self, cat_chain: list[int], ter_chain: list[int]) -> list[RoutingRule]:
        found: list[RoutingRule] = []
        for category_id in (*cat_chain, None):
            for territory_id in (*ter_chain, None):
                found += self.by_key.get((category_id, territory_id), ())
        return found

    def route(self, category: Category | None, territory: Territory | None) -> RouteResult | None:
        key = (category.pk if category is not None else None, territory.pk if territory is not None else None)
        if key not in self._routes:
            self._routes[key] = _pick(category, territory, self)
        return self._routes[key]


def route(
    category: Category | None,
    territory: Territory | None,
    rules: list[RoutingRule] | RuleIndex | None = None,
) -> RouteResult | None:
    """Pick the agency for a case, or None when no rule (not even a fallback) matches."""
    if isinstance(rules, RuleIndex):
        return rules.route(category, territory)
    return _pick(category, territory, RuleIndex(rules if rules is not None else active_rules()))


def _pick(category: Category | None, territory: Territory | None, index: RuleIndex) -> RouteResult | None:
    cat_chain = list(dict.fromkeys(index.category_chain(category)))
    ter_chain = list(dict.fromkeys(t.pk for t in territory.ancestors())) if territory is not None else []
    best = best_rule(index.candidates(cat_chain, ter_chain), cat_chain, ter_chain)
    return RouteResult(agency=best.agency, rule=best) if best is not None else None


def best_rule(
    candidates: list[RoutingRule], cat_chain: list[int], ter_chain: list[int]
) -> RoutingRule | None:
    """Of the matching rules: a regular one before a fallback, then the most specific category, the
    most specific territory, the highest priority, the oldest rule."""
    if not candidates:
        return None
    regular = [r for r in candidates if not r.is_fallback]
    return min(
        regular or candidates,
        key=lambda r: (
            _depth_index(cat_chain, r.category_id),
            _depth_index(ter_chain, r.territory_id),
            -r.priority,
            r.pk,
        ),
    )


@dataclass(frozen=True)
class AgencySuggestion:
    """No routing rule covers the case: the agency the learned router picks, else the one most of
    the latest routed cases of its category went to — suggested to the moderator, never assigned.
    ``why`` is kept as the case's ``understanding["routing"]``: {"model": version, "confidence": p}
    or {"practice": [its cases, the decisions looked at]}."""

    agency: Agency
    why: dict[str, Any]


Unrouted = tuple[str, Category | None, Territory | None]  # a case's text, category and territory


def suggest_agency(cases: Sequence[Unrouted]) -> list[AgencySuggestion | None]:
    """For each case no rule routes: the active agency the learned router (the active AGENCY model)
    is sure enough of; for the rest, where most of the latest routed cases of their category went;
    None when neither knows. Two queries for any number of cases, one more for the agencies."""
    if not cases:
        return []
    learned = agency_model.suggest_agencies(
        [
            agency_model.RoutingRow(
                text,
                category.code if category is not None else None,
                territory.pk if territory is not None else None,
            )
            for text, category, territory in cases
        ]
    )
    known = Agency.objects.filter(is_active=True).in_bulk({s.agency_id for s in learned if s is not None})
    out: list[AgencySuggestion | None] = [None] * len(cases)
    by_category: list[tuple[int, int]] = []  # (position, category id)
    for position, ((_text, category, _territory), suggestion) in enumerate(zip(cases, learned, strict=True)):
        if suggestion is not None and suggestion.agency_id in known:
            why = {"model": suggestion.model, "confidence": suggestion.confidence}
            out[position] = AgencySuggestion(known[suggestion.agency_id], why)
        elif category is not None:
            by_category.append((position, category.pk))
    if not by_category:
        return out
    found = routing_practice.leading_agencies({category_id for _position, category_id in by_category})
    agencies = Agency.objects.in_bulk({hit[0] for hit in found.values() if hit is not None})
    for position, category_id in by_category:
        hit = found.get(category_id)
        if hit is not None and hit[0] in agencies:
            out[position] = AgencySuggestion(agencies[hit[0]], {"practice": [hit[1], hit[2]]})
    return out
