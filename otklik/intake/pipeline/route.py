"""Stage *route*: the agency a routing rule picks for the suggested category and territory, or the
agency the resident addressed; where no rule covers a case, the suggestion for the moderator
(:func:`otklik.cases.routing.suggest_agency`)."""

from __future__ import annotations

from otklik.cases.routing import route, suggest_agency
from otklik.directory.models import Agency

from .schema import Batch, InvalidItem, Item, Stage


def stage_route(batch: Batch) -> None:
    """The agency a routing rule picks for the suggested category and territory (or the agency the
    resident addressed)."""
    wanted = {i.addressed_to for i in batch.understood() if i.addressed_to is not None}
    addressed = Agency.objects.filter(is_active=True).in_bulk(wanted) if wanted else {}

    def pick(item: Item) -> None:
        if item.attach_to is not None:
            return
        if item.addressed_to is not None:
            item.addressed = addressed.get(item.addressed_to)
            if item.addressed is None:
                raise InvalidItem(f"“addressed_to”: no active agency {item.addressed_to}")
            return
        category = item.classification.category if item.classification else None
        territory = item.place.territory if item.place else None
        if category is None and territory is None:
            return
        item.routed = route(category, territory, batch.rules)

    batch.each_understood(Stage.ROUTE, pick)
    unrouted = [
        item
        for item in batch.understood()
        if item.attach_to is None and item.routed is None and item.addressed is None
    ]
    suggestions = suggest_agency(
        [
            (
                item.text,
                item.classification.category if item.classification else None,
                item.place.territory if item.place else None,
            )
            for item in unrouted
        ]
    )
    for item, suggestion in zip(unrouted, suggestions, strict=True):
        item.agency_suggestion = suggestion
