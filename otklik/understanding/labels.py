"""A region's labelled history as the pipeline's own categories and agencies (``otklik train``).

A history file names its labels as the region wrote them: a category's code or its name
("Благоустройство"), an agency's name ("СПб ГКУ ЖА Выборгского района"). The pipeline uses only the
active categories and agencies it has, by code and id, so every label is mapped before training:

* a **category** label is an active category's code, else an active category's name (any case,
  ё = е, spaces as written aside); both kinds of match are reported;
* an **agency** label is an active agency's name (quotes aside) or its short name;
* a label that matches nothing, or only an inactive row or several rows, is **unknown**: training
  refuses and lists them all, unless told to create them (``--create-unknown``: a top category,
  coded from its name; an agency, its kind read off its name) or to leave their rows out
  (``--skip-unknown``).

:func:`read_labelled` reads the file (CSV, gzipped CSV or XLSX) through the onboarding tables'
reader; :func:`auto_routing` says which categories the pipeline will really route on its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction

from otklik.directory.models import Agency, Category, RoutingRule
from otklik.directory.tables import FileProblems, read_table

FIELDS = ("text", "label", "fine", "time", "category", "territory", "lat", "lon")


@dataclass(frozen=True)
class LabelledRow:
    line: int
    text: str
    label: str
    fine: str = ""
    time: float | None = None
    category: str = ""
    territory: str = ""
    lat: float | None = None
    lon: float | None = None


def _time(value: str) -> float | None:
    """A number (a timestamp, a sequential id) or an ISO date and time → a number that orders rows."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _whole(value: str) -> str:
    """A label as written, a whole number written as a float ("3.0") read as "3"."""
    return value[:-2] if value.endswith(".0") and value[:-2].isdigit() else value


def read_labelled(path: str | Path, columns: dict[str, str]) -> list[LabelledRow]:
    """Rows with a text and a label; ``columns``: our field (:data:`FIELDS`) → the file's column.
    A named column the file lacks, a time or a coordinate that is no value: :class:`FileProblems`."""
    wanted = {ours: theirs for ours, theirs in columns.items() if theirs}
    table = read_table(path, {ours: () for ours in wanted}, mapping=wanted, required=("text", "label"))
    problems: list[str] = []
    rows: list[LabelledRow] = []
    for line, values in table.rows:
        text, label = values.get("text", ""), _whole(values.get("label", ""))
        if not text.strip() or not label:
            continue
        time = None
        if values.get("time"):
            time = _time(values["time"])
            if time is None:
                problems.append(f"line {line}: time “{values['time']}” is neither a number nor a date")
        lat = _number(values["lat"]) if values.get("lat") else None
        lon = _number(values["lon"]) if values.get("lon") else None
        if (values.get("lat") and lat is None) or (values.get("lon") and lon is None):
            problems.append(
                f"line {line}: coordinates “{values.get('lat')}”, “{values.get('lon')}” are no point"
            )
        rows.append(
            LabelledRow(
                line,
                text,
                label,
                values.get("fine", ""),
                time,
                values.get("category", ""),
                values.get("territory", ""),
                lat,
                lon,
            )
        )
    if problems:
        raise FileProblems(problems)
    return rows


def fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


@dataclass
class LabelMap:
    """How the labels of a file met the pipeline's categories or agencies."""

    what: str  # "categories" or "agencies"
    rows: Counter[str] = field(default_factory=Counter)  # label → rows
    target: dict[str, str] = field(default_factory=dict)  # label → category code or agency id
    how: dict[str, str] = field(default_factory=dict)  # label → "code", "name", "short name", "created"
    unknown: dict[str, str] = field(default_factory=dict)  # label → why it is unknown

    def get(self, label: str) -> str | None:
        return self.target.get(label)

    def count(self, how: str) -> int:
        return sum(1 for h in self.how.values() if h == how)

    def lines(self, *, limit: int = 60) -> list[str]:
        total = sum(self.rows.values())
        kinds = ", ".join(
            f"{self.count(h)} by {h}" for h in ("code", "name", "short name", "created") if self.count(h)
        )
        out = [
            f"labels → {self.what}: {len(self.rows)} labels on {total} rows; "
            f"{len(self.target)} matched ({kinds or 'none'}), {len(self.unknown)} unknown"
        ]
        for label, n in self.rows.most_common(limit):
            if label in self.target:
                target = f"agency #{self.target[label]}" if self.what == "agencies" else self.target[label]
                out.append(f"  “{label}” → {target} (by {self.how[label]}, {n} rows)")
            else:
                out.append(f"  “{label}”: unknown — {self.unknown[label]} ({n} rows)")
        if len(self.rows) > limit:
            out.append(f"  … and {len(self.rows) - limit} more labels")
        return out

    def refusal(self) -> str:
        listed = "\n  ".join(
            f"“{label}” ({self.rows[label]} rows): {why}" for label, why in self.unknown.items()
        )
        singular = {"categories": "category", "agencies": "agency"}.get(self.what, self.what)
        return (
            f"{len(self.unknown)} labels name no active {singular}; nothing was trained:\n  {listed}\n"
            f"Load them first (otklik import-{self.what}), or create them with --create-unknown, "
            "or leave their "
            "rows out with --skip-unknown."
        )


def map_categories(labels: Counter[str], *, create: bool = False) -> LabelMap:
    """Each label → an active category's code (by code, then by name); with ``create`` the unknown
    ones become top categories (see the module)."""
    from otklik.directory.names import category_code

    result = LabelMap("categories", rows=Counter(labels))
    categories = list(Category.objects.order_by("pk"))
    codes = {c.code: c for c in categories}
    names: dict[str, list[Category]] = {}
    for c in categories:
        names.setdefault(fold(c.name), []).append(c)
    for label in labels:
        by_code = codes.get(label)
        if by_code is not None and by_code.is_active:
            result.target[label], result.how[label] = by_code.code, "code"
            continue
        named = names.get(fold(label), [])
        active = [c for c in named if c.is_active]
        if len(active) == 1:
            result.target[label], result.how[label] = active[0].code, "name"
        elif len(active) > 1:
            result.unknown[label] = "several categories have this name: " + ", ".join(c.code for c in active)
        elif by_code is not None or named:
            result.unknown[label] = "the category is inactive"
        else:
            result.unknown[label] = "no category has this code or name"
    if create and result.unknown:
        with transaction.atomic():
            for label in [label for label, why in result.unknown.items() if why.startswith("no category")]:
                code = base = category_code(label)
                n = 1
                while Category.objects.filter(code=code).exists():
                    n += 1
                    code = f"{base}-{n}"
                Category.objects.create(code=code, name=label[:200])
                result.target[label], result.how[label] = code, "created"
                del result.unknown[label]
    return result


def map_agencies(labels: Counter[str], *, create: bool = False) -> LabelMap:
    """Each label → an active agency's id (by name, then by short name); with ``create`` the unknown
    ones become agencies, their kind read off their names."""
    from otklik.directory.names import agency_key, kind_from_name

    result = LabelMap("agencies", rows=Counter(labels))
    agencies = list(Agency.objects.order_by("pk"))
    by_name = {agency_key(a.name): a for a in agencies}
    by_short: dict[str, list[Agency]] = {}
    for a in agencies:
        if a.short_name:
            by_short.setdefault(agency_key(a.short_name), []).append(a)
    for label in labels:
        agency = by_name.get(agency_key(label))
        how = "name"
        if agency is None:
            short = by_short.get(agency_key(label), [])
            agency, how = (short[0], "short name") if len(short) == 1 else (None, "")
        if agency is not None and agency.is_active:
            result.target[label], result.how[label] = str(agency.pk), how
        elif agency is not None:
            result.unknown[label] = "the agency is inactive"
        else:
            result.unknown[label] = "no agency has this name"
    if create and result.unknown:
        with transaction.atomic():
            for label in [label for label, why in result.unknown.items() if why.startswith("no agency")]:
                agency = Agency.objects.create(name=label[:300], kind=kind_from_name(label))
                result.target[label], result.how[label] = str(agency.pk), "created"
                del result.unknown[label]
    return result


@dataclass(frozen=True)
class AutoRouting:
    """Which categories of a trained model the pipeline will route without a moderator."""

    routed: list[str]  # a learned threshold, an active category and a routing rule that covers it
    no_rule: list[str]  # a threshold, but no active routing rule can route its cases
    unusable: list[str]  # a threshold for a label that is no active category
    moderated: list[str]  # no threshold: always to moderation

    def lines(self, target_precision: float) -> list[str]:
        total = len(self.routed) + len(self.no_rule) + len(self.unusable) + len(self.moderated)
        out = [
            f"automatic routing for {len(self.routed)} of {total} categories (precision ≥ "
            f"{target_precision:.2f} in validation and a routing rule for them); the rest go to moderation"
        ]
        if self.no_rule:
            out.append(
                f"  {len(self.no_rule)} categories are sure enough but no routing rule covers them "
                f"(otklik import-routing): {', '.join(self.no_rule)}"
            )
        if self.unusable:
            out.append(
                f"  {len(self.unusable)} labels are no active category, the pipeline ignores them: "
                + ", ".join(self.unusable)
            )
        if self.moderated:
            out.append(f"  {len(self.moderated)} never reached the precision: {', '.join(self.moderated)}")
        return out


def auto_routing(thresholds: dict[str, float | None]) -> AutoRouting:
    """Split a model's labels (category codes) by what the pipeline will do with their cases."""
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    rules = RoutingRule.objects.filter(is_active=True, agency__is_active=True)
    ruled = set(rules.values_list("category_id", flat=True))
    routed: list[str] = []
    no_rule: list[str] = []
    unusable: list[str] = []
    moderated: list[str] = []
    for label, threshold in sorted(thresholds.items()):
        category = categories.get(label)
        if category is None:
            unusable.append(label)
            continue
        if threshold is None:
            moderated.append(label)
            continue
        chain: list[int] = []
        node: int | None = category.pk
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = parents.get(node)
        (routed if None in ruled or ruled.intersection(chain) else no_rule).append(label)
    return AutoRouting(routed, no_rule, unusable, moderated)
