"""Agencies from a table: ``otklik import-agencies FILE``.

Columns: ``name``, ``short_name``, ``kind`` (ministry, municipality, utility, federal, deputy,
other — or in Russian: министерство/комитет, администрация, учреждение/предприятие/управляющая
компания, федеральный, депутат, другое), ``territories`` and ``categories`` they serve (names or
codes, separated by ";" or "|"), ``email``, ``phone``, ``active``.

An agency is found by its name (any case, ё = е, quotes and spaces as written aside), so loading
again updates it. Without a kind column the kind is read off the name's first words
(:func:`kind_from_name`): "Комитет …", "Министерство …" a ministry, "Администрация …" a
municipality, "ГКУ …", "ГУП …", "ООО …" a utility or service company. A history of appeals works
too (``--map name=executor_org``): the same agency on many rows is one agency.

Nothing is written when a row is wrong (an unknown territory or category, an email or a phone that
is none, the same agency twice with different values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from otklik.directory.choices import AgencyKind
from otklik.directory.models import Agency, Category, Territory
from otklik.directory.names import agency_key, kind_from_name
from otklik.directory.tables import FileProblems, Report, parse_bool, read_table, split_list, writing

AGENCY_HEADERS: dict[str, tuple[str, ...]] = {
    "name": (
        "название",
        "наименование",
        "agency",
        "организация",
        "исполнитель",
        "executor",
        "executor_org",
        "ответственное лицо",
    ),
    "short_name": ("краткое название", "short name", "сокращенное название"),
    "kind": ("тип", "вид", "type"),
    "territories": ("территории", "территория", "обслуживает территории"),
    "categories": ("категории", "обслуживает категории"),
    "email": ("e-mail", "почта", "электронная почта", "email address"),
    "phone": ("телефон", "phone number"),
    "active": ("активна", "is_active", "действует"),
}
KIND_WORDS: dict[str, str] = {
    "ministry": AgencyKind.MINISTRY,
    "министерство": AgencyKind.MINISTRY,
    "комитет": AgencyKind.MINISTRY,
    "департамент": AgencyKind.MINISTRY,
    "municipality": AgencyKind.MUNICIPALITY,
    "администрация": AgencyKind.MUNICIPALITY,
    "местная администрация": AgencyKind.MUNICIPALITY,
    "муниципальное образование": AgencyKind.MUNICIPALITY,
    "utility": AgencyKind.UTILITY,
    "учреждение": AgencyKind.UTILITY,
    "предприятие": AgencyKind.UTILITY,
    "управляющая компания": AgencyKind.UTILITY,
    "ресурсоснабжающая организация": AgencyKind.UTILITY,
    "federal": AgencyKind.FEDERAL,
    "федеральный": AgencyKind.FEDERAL,
    "федеральный орган": AgencyKind.FEDERAL,
    "deputy": AgencyKind.DEPUTY,
    "депутат": AgencyKind.DEPUTY,
    "other": AgencyKind.OTHER,
    "другое": AgencyKind.OTHER,
}


# The first word of a name and the kind it says (the usual Russian forms of organizations).
@dataclass
class AgencyRow:
    name: str
    short_name: str = ""
    kind: str = ""
    territories: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    email: str = ""
    phone: str = ""
    active: bool = True
    line: int = 0


def read_agency_rows(
    path: str | Path, mapping: dict[str, str] | None = None, *, phone_region: str = "RU"
) -> tuple[list[AgencyRow], list[str], list[str]]:
    """The agencies of a file, the rows skipped and what is wrong in it (raised together with the
    unknown territories and categories by :func:`load_agencies`)."""
    table = read_table(path, AGENCY_HEADERS, mapping=mapping, required=("name",))
    problems: list[str] = []
    skipped: list[str] = []
    found: dict[str, AgencyRow] = {}
    for line, values in table.rows:
        name = " ".join(values.get("name", "").split())
        if not name:
            skipped.append(f"line {line}: no agency named")
            continue
        kind_text = values.get("kind", "").strip().lower().replace("ё", "е")
        kind = KIND_WORDS.get(kind_text, "") if kind_text else ""
        if kind_text and not kind:
            problems.append(
                f"line {line}: kind “{values['kind']}” is none of {', '.join(sorted(KIND_WORDS))}"
            )
        email = values.get("email", "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.append(f"line {line}: “{email}” is no email address")
        phone = values.get("phone", "").strip()
        if phone:
            try:
                number = phonenumbers.parse(phone, phone_region)
                valid = phonenumbers.is_possible_number(number)
            except phonenumbers.NumberParseException:
                valid = False
            if not valid:
                problems.append(f"line {line}: “{phone}” is no phone number")
        active = parse_bool(values.get("active", ""), default=True)
        if active is None:
            problems.append(f"line {line}: active “{values.get('active')}” is neither yes nor no")
        row = AgencyRow(
            name=name,
            short_name=values.get("short_name", "").strip(),
            kind=kind,
            territories=split_list(values.get("territories", "")),
            categories=split_list(values.get("categories", "")),
            email=email,
            phone=phone,
            active=bool(active),
            line=line,
        )
        key = agency_key(name)
        earlier = found.get(key)
        if earlier is None:
            found[key] = row
            continue
        different = [
            label
            for label in ("short_name", "kind", "territories", "categories", "email", "phone", "active")
            if getattr(earlier, label) != getattr(row, label)
        ]
        if different:
            problems.append(
                f"line {line}: “{name}” differs from line {earlier.line} in {', '.join(different)}"
            )
    return list(found.values()), skipped, problems


def import_agencies(
    path: str | Path,
    region: Territory | None,
    *,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
) -> Report:
    rows, skipped, problems = read_agency_rows(path, mapping)
    return load_agencies(rows, region, dry_run=dry_run, skipped=skipped, problems=problems)


def _category_finder() -> dict[str, list[Category]]:
    found: dict[str, list[Category]] = {}
    for c in Category.objects.order_by("pk"):
        for key in (c.code, " ".join(c.name.lower().replace("ё", "е").split())):
            bucket = found.setdefault(key, [])
            if c not in bucket:
                bucket.append(c)
    return found


def load_agencies(
    rows: list[AgencyRow],
    region: Territory | None,
    *,
    dry_run: bool = False,
    skipped: list[str] | None = None,
    problems: list[str] | None = None,
) -> Report:
    from otklik.understanding.places.names import territory_lookup

    report = Report("agencies", dry_run=dry_run, skipped=list(skipped or []))
    problems = list(problems or [])
    find_territory = territory_lookup(region) if region is not None else None
    categories = _category_finder()
    wanted: list[tuple[AgencyRow, list[Territory], list[Category]]] = []
    for row in rows:
        territories: list[Territory] = []
        for name in row.territories:
            territory = find_territory(name) if find_territory else None
            if territory is None:
                where = region.name if region is not None else "any region (give --region)"
                problems.append(f"line {row.line}: no territory “{name}” in {where}")
            else:
                territories.append(territory)
        chosen: list[Category] = []
        for text in row.categories:
            found = categories.get(text) or categories.get(
                " ".join(text.lower().replace("ё", "е").split()), []
            )
            if len(found) != 1:
                problems.append(
                    f"line {row.line}: {'no' if not found else 'more than one'} category “{text}”"
                )
            else:
                chosen.append(found[0])
        wanted.append((row, territories, chosen))
    if problems:
        raise FileProblems(problems)
    existing = {agency_key(a.name): a for a in Agency.objects.order_by("pk")}
    with writing(dry_run):
        for row, territories, chosen in wanted:
            values = {
                "name": row.name,
                "kind": row.kind or kind_from_name(row.name),
                "is_active": row.active,
                **({"short_name": row.short_name} if row.short_name else {}),
                **({"email": row.email} if row.email else {}),
                **({"phone": row.phone} if row.phone else {}),
            }
            agency = existing.get(agency_key(row.name))
            changes: list[str] = []
            is_new = agency is None
            if agency is None:
                agency = Agency.objects.create(**values)
                report.created.append(f"{agency.name} ({agency.get_kind_display()})")
            else:
                if not row.kind:
                    values.pop("kind")  # an administrator's choice stays when the file says nothing
                changed = [k for k, v in values.items() if getattr(agency, k) != v]
                if changed:
                    for k in changed:
                        setattr(agency, k, values[k])
                    agency.save(update_fields=changed)
                    changes += changed
            if row.territories and set(agency.territories.all()) != set(territories):
                agency.territories.set(territories)
                changes.append("territories")
            if row.categories and set(agency.categories.all()) != set(chosen):
                agency.categories.set(chosen)
                changes.append("categories")
            if is_new:
                continue
            if changes:
                report.updated.append(f"{agency.name}: {', '.join(changes)}")
            else:
                report.unchanged += 1
    return report
