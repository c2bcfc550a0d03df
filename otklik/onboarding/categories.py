"""The category tree from a table: ``otklik import-categories FILE``.

Columns: ``code`` (optional: made from the name by transliteration, "Содержание МКД" →
"soderzhaniye-mkd"), ``name``, ``parent`` (the parent's code or name, in the file or already
loaded), ``keywords`` (separated by ";" or "|" or one per line), ``deadline`` ("30 дней",
"8 рабочих дней", "24 часа", "9 рабочих часов", "30 days", "8 working days"), ``public`` (да/нет:
shown to residents on the public map and Open311), ``active``, ``order``.

A category is found by its code, or — when the file gives no code — by its name under the same
parent, so re-running a file without codes updates instead of adding twice. A history of appeals
works too (``--map name=category``): the same category named on many rows is one category. A
deadline becomes the category's own deadline policy (any channel; the category's policy outranks
the channels' defaults, see :mod:`otklik.cases.deadlines`).

Nothing is written when a row is wrong (an unknown parent, a parent cycle, a code used twice with
different names, a deadline that is no term, a "public" that is neither yes nor no).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug

from otklik.directory.choices import DeadlineUnit
from otklik.directory.models import Category, DeadlinePolicy
from otklik.directory.names import CODE_LENGTH, category_code
from otklik.directory.tables import FileProblems, Report, parse_bool, read_table, split_list, writing

CATEGORY_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("код", "category code", "service_code"),
    "name": ("название", "наименование", "category", "категория", "тема", "category name"),
    "parent": ("родитель", "раздел", "группа", "parent code", "родительская категория"),
    "keywords": ("ключевые слова", "слова"),
    "deadline": ("срок", "срок ответа", "deadline policy", "норматив"),
    "public": ("публичная", "is_public", "показывать жителям", "видна жителям"),
    "active": ("активна", "is_active", "действует"),
    "order": ("порядок", "sort"),
}

_TERM = re.compile(
    r"^(?P<amount>\d{1,4})\s*(?P<working>рабоч\w*|working|раб\.?)?\s*(?:календарн\w*|calendar)?\s*"
    r"(?P<unit>час\w*|ч\.?|hours?|h|дн\w*|день|сут\w*|days?|d)$",
    re.IGNORECASE,
)


def parse_term(text: str) -> tuple[int, str] | None:
    """ "30 дней" → (30, days); "8 рабочих дней" → (8, working_days); "24 часа" → (24, hours);
    None for anything else."""
    found = _TERM.match(" ".join(text.replace("ё", "е").split()))
    if found is None or int(found["amount"]) == 0:
        return None
    unit = found["unit"].lower()
    hours = unit.startswith(("час", "ч", "h"))
    if found["working"]:
        return int(found["amount"]), DeadlineUnit.WORKING_HOURS if hours else DeadlineUnit.WORKING_DAYS
    return int(found["amount"]), DeadlineUnit.HOURS if hours else DeadlineUnit.DAYS


def _fold(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split())


@dataclass
class CategoryRow:
    code: str
    name: str
    code_given: bool
    parent: str = ""
    keywords: list[str] = field(default_factory=list)
    deadline: tuple[int, str] | None = None
    deadline_text: str = ""
    public: bool = True
    active: bool = True
    order: int | None = None
    line: int = 0


def read_category_rows(
    path: str | Path, mapping: dict[str, str] | None = None
) -> tuple[list[CategoryRow], list[str], list[str]]:
    """The categories of a file, the rows skipped and what is wrong in it (checked again with the
    categories loaded by :func:`load_categories`, which raises for all of it at once)."""
    table = read_table(path, CATEGORY_HEADERS, mapping=mapping, required=("name",))
    problems: list[str] = []
    skipped: list[str] = []
    found: dict[str, CategoryRow] = {}
    for line, values in table.rows:
        name = " ".join(values.get("name", "").split())
        if not name:
            if any(values.values()):
                problems.append(f"line {line}: no name")
            continue
        code = values.get("code", "").strip()
        if code:
            try:
                validate_slug(code)
            except ValidationError:
                problems.append(f"line {line}: code “{code}” — only Latin letters, digits, “-” and “_”")
                continue
            if len(code) > CODE_LENGTH:
                problems.append(f"line {line}: code “{code}” is longer than {CODE_LENGTH} characters")
                continue
        deadline_text = values.get("deadline", "").strip()
        deadline = parse_term(deadline_text) if deadline_text else None
        if deadline_text and deadline is None:
            problems.append(
                f"line {line}: deadline “{deadline_text}” is no term (write “30 дней”, “8 рабочих дней”, "
                "“24 часа”, “9 рабочих часов”)"
            )
        public = parse_bool(values.get("public", ""), default=True)
        active = parse_bool(values.get("active", ""), default=True)
        for label, value, parsed in (("public", "public", public), ("active", "active", active)):
            if parsed is None:
                problems.append(f"line {line}: {label} “{values.get(value)}” is neither yes nor no")
        order_text = values.get("order", "").strip()
        order = int(order_text) if order_text.isdigit() else None
        if order_text and order is None:
            problems.append(f"line {line}: order “{order_text}” is no whole number")
        row = CategoryRow(
            code=code or category_code(name),
            name=name,
            code_given=bool(code),
            parent=values.get("parent", "").strip(),
            keywords=split_list(values.get("keywords", "")),
            deadline=deadline,
            deadline_text=deadline_text,
            public=bool(public),
            active=bool(active),
            order=order,
            line=line,
        )
        key = row.code if code else f"name:{_fold(row.parent)}:{_fold(name)}"
        earlier = found.get(key)
        if earlier is None:
            found[key] = row
            continue
        different = [
            label
            for label, a, b in (
                ("name", _fold(earlier.name), _fold(row.name)),
                ("parent", _fold(earlier.parent), _fold(row.parent)),
                ("keywords", earlier.keywords, row.keywords),
                ("deadline", earlier.deadline, row.deadline),
                ("public", earlier.public, row.public),
            )
            if a != b
        ]
        if different:
            problems.append(
                f"line {line}: “{name}” ({row.code}) differs from line {earlier.line} "
                f"in {', '.join(different)}"
            )
    rows = list(found.values())
    made = Counter(row.code for row in rows if not row.code_given)
    for row in rows:  # the same name under two parents ("Прочее"): the parent's name goes in front
        if not row.code_given and made[row.code] > 1 and row.parent:
            row.code = category_code(f"{row.parent} {row.name}")
    codes: dict[str, CategoryRow] = {}
    for row in rows:
        other = codes.get(row.code)
        if other is not None:
            problems.append(
                f"line {row.line}: code “{row.code}” is also line {other.line}’s (“{other.name}”); give codes"
            )
        codes[row.code] = row
    return rows, skipped, problems


def import_categories(
    path: str | Path, *, mapping: dict[str, str] | None = None, dry_run: bool = False
) -> Report:
    rows, skipped, problems = read_category_rows(path, mapping)
    return load_categories(rows, dry_run=dry_run, skipped=skipped, problems=problems)


def load_categories(
    rows: list[CategoryRow],
    *,
    dry_run: bool = False,
    skipped: list[str] | None = None,
    problems: list[str] | None = None,
) -> Report:
    report = Report("categories", dry_run=dry_run, skipped=list(skipped or []))
    existing = list(Category.objects.select_related("parent").order_by("pk"))
    by_code = {c.code: c for c in existing}
    by_name: dict[str, list[Category]] = {}
    for c in existing:
        by_name.setdefault(_fold(c.name), []).append(c)
    in_file_code = {row.code: row for row in rows}
    in_file_name: dict[str, list[CategoryRow]] = {}
    for row in rows:
        in_file_name.setdefault(_fold(row.name), []).append(row)
    problems = list(problems or [])

    def parent_code(row: CategoryRow) -> str | None:
        """The code of the row's parent: "" for a top category; None when nobody knows it."""
        text = row.parent
        if not text:
            return ""
        if text in in_file_code:
            return text
        if text in by_code:
            return text
        named = in_file_name.get(_fold(text), [])
        if len(named) == 1:
            return named[0].code
        known = by_name.get(_fold(text), [])
        if len(known) == 1 and not named:
            return known[0].code
        return None

    parents: dict[str, str] = {}
    for row in rows:
        code = parent_code(row)
        if code is None:
            problems.append(f"line {row.line}: parent “{row.parent}” of “{row.name}” is no category")
        else:
            parents[row.code] = code
    # a row without a code takes the code of the category already loaded under that name and parent
    for row in rows:
        if row.code_given:
            continue
        same = [
            c
            for c in by_name.get(_fold(row.name), [])
            if (c.parent.code if c.parent_id and c.parent else "") == parents.get(row.code, "")
        ]
        old = row.code
        if len(same) == 1:
            row.code = same[0].code
        elif old in by_code:  # the made code is another category's: a free one
            row.code = next(f"{old}-{n}" for n in range(2, 1000) if f"{old}-{n}" not in by_code)
        if row.code != old:
            parents[row.code] = parents.pop(old, "")
            for child, parent in list(parents.items()):
                if parent == old:
                    parents[child] = row.code
    for row in rows:  # no category may hold itself
        seen, node = {row.code}, parents.get(row.code, "")
        while node:
            if node in seen:
                problems.append(f"line {row.line}: “{row.name}” would lie inside itself (parent cycle)")
                break
            seen.add(node)
            loaded = by_code.get(node)
            node = parents.get(node, loaded.parent.code if loaded and loaded.parent else "")
    if problems:
        raise FileProblems(problems)

    with writing(dry_run):
        done: dict[str, Category] = {}

        def save(row: CategoryRow, depth: int = 0) -> Category:
            if row.code in done:
                return done[row.code]
            parent_text = parents.get(row.code, "")
            parent: Category | None = None
            if parent_text:
                parent_row = next((r for r in rows if r.code == parent_text), None)
                parent = save(parent_row, depth + 1) if parent_row else Category.objects.get(code=parent_text)
            values = {
                "name": row.name,
                "parent": parent,
                "is_public": row.public,
                "is_active": row.active,
                **({"keywords": "\n".join(row.keywords)} if row.keywords else {}),
                **({"order": row.order} if row.order is not None else {}),
            }
            category = Category.objects.filter(code=row.code).first()
            if category is None:
                category = Category.objects.create(code=row.code, **values)
                report.created.append(
                    f"{category.name} ({row.code})" + (f", in {parent.name}" if parent else "")
                )
            else:
                changed = [k for k, v in values.items() if getattr(category, k) != v]
                if changed:
                    for k in changed:
                        setattr(category, k, values[k])
                    category.save(update_fields=changed)
                    report.updated.append(f"{category.name} ({row.code}): {', '.join(changed)}")
                else:
                    report.unchanged += 1
            done[row.code] = category
            if row.deadline is not None:
                _deadline(category, row, report)
            return category

        for row in rows:
            save(row)
    return report


def _deadline(category: Category, row: CategoryRow, report: Report) -> None:
    """The category's own policy (any channel, any urgency): created or brought to the file's term."""
    assert row.deadline is not None
    amount, unit = row.deadline
    policy = (
        DeadlinePolicy.objects.filter(category=category, channel="", social_only=False, urgent_only=False)
        .order_by("pk")
        .first()
    )
    name = f"{category.name}: {row.deadline_text}"[:200]
    if policy is None:
        DeadlinePolicy.objects.create(name=name, category=category, amount=amount, unit=unit)
        report.notes.append(f"deadline of “{category.name}”: {row.deadline_text}")
    elif (policy.amount, policy.unit, policy.is_active) != (amount, unit, True):
        policy.name, policy.amount, policy.unit, policy.is_active = name, amount, unit, True
        policy.save(update_fields=["name", "amount", "unit", "is_active"])
        report.notes.append(f"deadline of “{category.name}” is now {row.deadline_text}")
