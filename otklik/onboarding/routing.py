"""Routing rules from a table (``otklik import-routing FILE``) and from a history of routed cases
(``otklik learn-routing HISTORY --out rules.csv``).

**Rules.** Columns ``category`` (code or name; empty: any), ``territory`` (any spelling or a
former name; empty: anywhere), ``agency`` (its name), ``priority``, ``fallback`` (used only when no
other rule matches), ``active``. A rule is one per category × territory × fallback: loading again
updates its agency, priority and state instead of adding a second rule. ``--replace`` turns off the
active rules the file does not hold (they stay, inactive, for the record). Nothing is written when
a row names an unknown category, territory or agency, or one category × territory twice with two
agencies.

**Learning them.** A history of appeals with a category, a territory and the agency that answered
says which agency a category × territory goes to: :func:`learn_rules` keeps the pairs where one
agency took at least ``min_share`` of at least ``min_cases`` appeals, and the categories one agency
takes across the whole region (a rule without territory; the pairs' rules are more specific and win
where they exist). The rules go to a table for the region's team to read before importing it.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from otklik.directory.models import Agency, Category, RoutingRule, Territory
from otklik.directory.tables import FileProblems, Report, parse_bool, read_table, writing

from .agencies import agency_key

RULE_HEADERS: dict[str, tuple[str, ...]] = {
    "category": ("категория", "category code", "код категории"),
    "territory": ("территория", "район", "district", "municipality"),
    "agency": ("исполнитель", "организация", "ведомство", "executor", "executor_org", "agency name"),
    "priority": ("приоритет",),
    "fallback": ("резервное", "запасное", "is_fallback"),
    "active": ("активно", "is_active", "действует"),
}
HISTORY_HEADERS: dict[str, tuple[str, ...]] = {
    "category": ("категория",),
    "territory": ("district", "район", "территория"),
    "agency": ("executor_org", "executor", "исполнитель", "ответственное лицо", "организация"),
}


@dataclass
class RuleRow:
    category: Category | None
    territory: Territory | None
    agency: Agency
    priority: int
    fallback: bool
    active: bool
    line: int


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


def read_rule_rows(
    path: str | Path, region: Territory, mapping: dict[str, str] | None = None
) -> list[RuleRow]:
    from otklik.understanding.places.names import territory_lookup

    table = read_table(path, RULE_HEADERS, mapping=mapping, required=("agency",))
    find_territory = territory_lookup(region)
    categories: dict[str, list[Category]] = defaultdict(list)
    for c in Category.objects.order_by("pk"):
        categories[c.code].append(c)
        if c not in categories[_fold(c.name)]:
            categories[_fold(c.name)].append(c)
    agencies = {agency_key(a.name): a for a in Agency.objects.order_by("pk")}
    agencies.update({agency_key(a.short_name): a for a in Agency.objects.exclude(short_name="")})
    problems: list[str] = []
    rows: list[RuleRow] = []
    seen: dict[tuple[int | None, int | None, bool], RuleRow] = {}
    for line, values in table.rows:
        category = territory = None
        text = values.get("category", "").strip()
        if text:
            found = categories.get(text) or categories.get(_fold(text), [])
            if len(found) != 1:
                problems.append(f"line {line}: {'no' if not found else 'more than one'} category “{text}”")
                continue
            category = found[0]
        text = values.get("territory", "").strip()
        if text:
            territory = find_territory(text)
            if territory is None:
                problems.append(f"line {line}: no territory “{text}” in {region.name}")
                continue
        name = values.get("agency", "").strip()
        agency = agencies.get(agency_key(name)) if name else None
        if agency is None:
            problems.append(f"line {line}: no agency “{name}” (load agencies first: otklik import-agencies)")
            continue
        priority_text = values.get("priority", "").strip() or "0"
        try:
            priority = int(priority_text)
        except ValueError:
            problems.append(f"line {line}: priority “{priority_text}” is no whole number")
            continue
        fallback = parse_bool(values.get("fallback", ""), default=False)
        active = parse_bool(values.get("active", ""), default=True)
        if fallback is None or active is None:
            problems.append(f"line {line}: fallback/active must be yes or no")
            continue
        row = RuleRow(category, territory, agency, priority, fallback, active, line)
        key = (category.pk if category else None, territory.pk if territory else None, fallback)
        earlier = seen.get(key)
        if earlier is not None and earlier.agency != agency:
            problems.append(
                f"line {line}: {category or 'any category'} × {territory or 'anywhere'} "
                f"goes to “{agency}” here "
                f"and to “{earlier.agency}” on line {earlier.line}"
            )
            continue
        if earlier is None:
            seen[key] = row
            rows.append(row)
    if problems:
        raise FileProblems(problems)
    return rows


def import_routing(
    path: str | Path,
    region: Territory,
    *,
    mapping: dict[str, str] | None = None,
    replace: bool = False,
    dry_run: bool = False,
) -> Report:
    rows = read_rule_rows(path, region, mapping)
    report = Report("routing rules", dry_run=dry_run)
    with writing(dry_run):
        kept: set[int] = set()
        for row in rows:
            rule = (
                RoutingRule.objects.filter(
                    category=row.category, territory=row.territory, is_fallback=row.fallback
                )
                .order_by("-is_active", "pk")
                .first()
            )
            label = f"{row.category or '*'} × {row.territory or '*'} → {row.agency}"
            if rule is None:
                rule = RoutingRule.objects.create(
                    category=row.category,
                    territory=row.territory,
                    agency=row.agency,
                    priority=row.priority,
                    is_fallback=row.fallback,
                    is_active=row.active,
                )
                report.created.append(label + (" (fallback)" if row.fallback else ""))
            else:
                values = {"agency": row.agency, "priority": row.priority, "is_active": row.active}
                changed = [k for k, v in values.items() if getattr(rule, k) != v]
                if changed:
                    before = str(rule.agency)
                    for k in changed:
                        setattr(rule, k, values[k])
                    rule.save(update_fields=changed)
                    report.updated.append(label + (f" (was → {before})" if "agency" in changed else ""))
                else:
                    report.unchanged += 1
            kept.add(rule.pk)
        if replace:
            for rule in (
                RoutingRule.objects.filter(is_active=True)
                .exclude(pk__in=kept)
                .select_related("category", "territory", "agency")
            ):
                rule.is_active = False
                rule.save(update_fields=["is_active"])
                report.updated.append(f"{rule}: turned off (not in the file)")
    return report


# --- learning rules from a history ------------------------------------------------------------------


@dataclass(frozen=True)
class LearnedRule:
    category: str
    territory: str
    agency: str
    cases: int
    share: float


def learn_rules(
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    min_share: float = 0.8,
    min_cases: int = 20,
) -> tuple[list[LearnedRule], int]:
    """The rules a history supports (see the module) and the number of routed rows read."""
    table = read_table(path, HISTORY_HEADERS, mapping=mapping, required=("category", "agency"))
    pairs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    whole: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    rows = 0
    for _line, values in table.rows:
        category, agency = values.get("category", ""), values.get("agency", "")
        if not category or not agency:
            continue
        rows += 1
        territory = values.get("territory", "")
        names.setdefault(_fold(category), category)
        names.setdefault(_fold(territory), territory)
        whole[_fold(category)][agency] += 1
        if territory:
            pairs[(_fold(category), _fold(territory))][agency] += 1
    rules: list[LearnedRule] = []
    wide: dict[str, str] = {}
    for category, counts in sorted(whole.items()):
        agency, n = counts.most_common(1)[0]
        total = sum(counts.values())
        if total >= min_cases and n / total >= min_share:
            wide[category] = agency
            rules.append(LearnedRule(names[category], "", agency, total, round(n / total, 3)))
    for (category, territory), counts in sorted(pairs.items()):
        agency, n = counts.most_common(1)[0]
        total = sum(counts.values())
        if total >= min_cases and n / total >= min_share and wide.get(category) != agency:
            rules.append(LearnedRule(names[category], names[territory], agency, total, round(n / total, 3)))
    return rules, rows


def write_rules(rules: list[LearnedRule], out: str | Path) -> None:
    with Path(out).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["category", "territory", "agency", "cases", "share"])
        for rule in rules:
            writer.writerow([rule.category, rule.territory, rule.agency, rule.cases, f"{rule.share:.3f}"])
