"""What the case card shows, worked out in plain Python (issue 13, item 6: the card at most 25 ms of CPU).

The card names eight directory rows of its case — the category and the suggested one with their
parents, the territory and the suggested one with their parents' chain, the agency and the suggested
one, the deadline policy. Joining them to the case cost more CPU than the rest of the card's queries
together: Django compiles a query of eight joins with the outlines deferred in ~4 ms, on every card.
The directory changes seldom, so the card reads its case alone and takes those rows from the process's
copy (:data:`directory`, rebuilt when a category, territory, agency or deadline policy is saved or
deleted, under the queue directory's version and one of its own, read by one query).

The rows kept are shared by the requests of the process: the card only reads them (their outlines are
not loaded; the one the map draws is read by itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.models import Agency, Category, DeadlinePolicy, Territory

from .filters import DIRECTORY, QueueDirectory, queue_directory
from .models import Case

POLICIES = "cases.card-policies"
bump_on_change(POLICIES, DeadlinePolicy)

# The case's foreign keys into the directory, each with the rows it is named from.
DIRECTORY_FIELDS = {
    "category": "categories",
    "suggested_category": "categories",
    "territory": "territories",
    "suggested_territory": "territories",
    "agency": "agencies",
    "suggested_agency": "agencies",
    "deadline_policy": "policies",
}


@dataclass(frozen=True)
class CardDirectory:
    """The directory rows a card may name, by id, parents linked; and the queue's directory (the
    card's selects' options and the outlined territories) of the same version."""

    categories: dict[int, Category]
    territories: dict[int, Territory]
    agencies: dict[int, Agency]
    policies: dict[int, DeadlinePolicy]
    queue: QueueDirectory


def _linked(rows: dict[int, Any]) -> dict[int, Any]:
    """Each row's ``parent`` set from ``rows`` (no query when a card walks up the tree)."""
    for row in rows.values():
        if row.parent_id is None or row.parent_id in rows:
            type(row).parent.field.set_cached_value(row, rows.get(row.parent_id))
    return rows


def _build() -> CardDirectory:
    return CardDirectory(
        categories=_linked({row.pk: row for row in Category.objects.all()}),
        territories=_linked({row.pk: row for row in Territory.objects.defer("geometry")}),
        agencies={row.pk: row for row in Agency.objects.all()},
        policies={row.pk: row for row in DeadlinePolicy.objects.all()},
        queue=queue_directory.get(),
    )


# Category, Territory and Agency bump the queue directory's key (filters.py); deadline policies ours.
directory = ProcessCache(DIRECTORY, POLICIES, build=_build, max_age=600)


def _set(case: Case, name: str, value: Model | None) -> None:
    Case._meta.get_field(name).set_cached_value(case, value)  # type: ignore[union-attr]


def attach_directory(case: Case) -> None:
    """Give ``case`` its directory rows (and the case it was merged into) as ``select_related`` would
    have: from the process's directory; a row saved after this request read the version is read
    from the database as a lazy foreign key would."""
    held = directory.get()
    case._directory = held.queue  # type: ignore[attr-defined]  # forms.card_directory
    for name, rows in DIRECTORY_FIELDS.items():
        pk = getattr(case, f"{name}_id")
        if pk is None:
            _set(case, name, None)
        elif (row := getattr(held, rows).get(pk)) is not None:
            _set(case, name, row)
    if case.merged_into_id is not None:  # the card links it by its number
        _set(case, "merged_into", Case.objects.only("pk", "number").filter(pk=case.merged_into_id).first())
