"""Stage *decide*: each message that opens a case gets its case (unsaved) and the decision — assigned
at once to the routed or addressed agency when the understanding is confident enough, else sent to
moderation with the reason in words. :mod:`.persist` carries the decisions out through
:func:`otklik.cases.actions.open_cases`, where an assignment starts the case's deadline.

A case is assigned automatically when the category's confidence reaches its threshold
(``settings.OTKLIK_AUTO_ROUTE_CONFIDENCE`` for rules; a trained model's per-category thresholds),
the category is set and a routing rule finds an agency; a resident's own choice of agency (a deputy's
office) is always followed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from otklik.cases import actions
from otklik.cases.models import Case
from otklik.directory.models import Agency
from otklik.understanding.classify import Classification, should_auto_route
from otklik.understanding.urgency import Urgency

from .schema import Batch, Item, Stage
from .titles import make_title


def target_of(item: Item) -> Case | Item | None:
    """What the item's message attaches to: an open case, or an earlier item of the batch whose new
    case it joins; None when it stands on its own."""
    if item.attach_to is not None:
        return item.attach_to
    twin = item.twin_of
    if twin is not None and not twin.done:
        return target_of(twin) or (twin if twin.is_relevant else None)
    return None


def opens_case(item: Item) -> bool:
    return not item.done and item.is_relevant and target_of(item) is None


def _understanding_json(item: Item) -> dict[str, Any]:
    c, p, u, r = item.classification, item.place, item.urgency, item.relevance
    data: dict[str, Any] = {
        "matched_terms": c.matched_terms if c else [],
        "version": c.version if c else "",
        "decided_by": getattr(c, "decided_by", "rules") if c else "",
        "threshold": getattr(c, "threshold", None) if c else None,
        "scores": c.scores if c else {},
        "urgency": _urgency_json(u) if u else {},
        "tone": {"flags": u.tone.flags, "terms": u.tone.terms} if u and getattr(u, "tone", None) else {},
        "place": {
            "matched": p.matched,
            "precision": p.precision,
            "address": p.address,
            "settlement": getattr(p, "settlement", ""),
            "institution": getattr(p, "institution", ""),
            "source": getattr(p, "source", ""),
            "unresolved": getattr(p, "unresolved", []),
        }
        if p
        else {},
        "relevance": {"verdict": r.verdict, "problem_terms": r.problem_terms} if r else {},
    }
    if item.monitoring is not None:
        data["monitoring"] = {"queries": [m.as_json() for m in item.monitoring]}
    if item.agency_suggestion is not None:
        data["routing"] = item.agency_suggestion.why
    return data


def _urgency_json(u: Urgency) -> dict[str, Any]:
    """The urgency's reasons: kinds and words, and who flagged it (the rules, the model or both) with
    the model's probability."""
    data: dict[str, Any] = {"kinds": u.kinds, "terms": u.terms}
    if u.source:
        data["flagged_by"] = u.source
        if u.probability is not None:
            data["probability"] = round(u.probability, 2)
    return data


def _suggested_agency(item: Item) -> Agency | None:
    if item.addressed is not None:
        return item.addressed
    if item.routed is not None:
        return item.routed.agency
    return item.agency_suggestion.agency if item.agency_suggestion is not None else None


def _new_case(item: Item) -> Case:
    """The case a message opens (unsaved: :func:`otklik.cases.actions.open_cases` stores it)."""
    assert item.posted_at is not None
    c, p, u = item.classification, item.place, item.urgency
    return Case(
        title=item.title if item.title is not None else make_title(item.text),
        text=item.text,
        channel=item.channel,
        created_at=item.posted_at,
        suggested_category=c.category if c else None,
        suggested_territory=p.territory if p else None,
        suggested_agency=_suggested_agency(item),
        addressed_to=item.addressed,
        category_confidence=c.confidence if c else None,
        understanding=_understanding_json(item),
        is_urgent=bool(u and u.is_urgent),
        address=(item.address or (p.address if p else ""))[:300],
        lat=p.lat if p else None,
        lon=p.lon if p else None,
        message_count=1,
        author_count=1,
    )


def decide(item: Item) -> None:
    """Assign a confident, routable case at once (its deadline starts now), or send it to moderation."""
    if not opens_case(item):
        return
    case = _new_case(item)
    c, p = item.classification, item.place
    if item.addressed is not None:  # the resident chose whom to write to
        case.category = c.category if c is not None and should_auto_route(c) else None
        case.territory = p.territory if p else None
        item.decision = actions.Opening(case, agency=item.addressed)
        return
    if c is not None and should_auto_route(c) and item.routed is not None:
        case.category = c.category
        case.territory = p.territory if p else None
        item.decision = actions.Opening(case, agency=item.routed.agency)
        return
    item.decision = actions.Opening(case, reason=moderation_reason(c))


def moderation_reason(c: Classification | None) -> str:
    """Why a new case waits for a moderator, in words for the case's history (stored in the
    site's language, as every system comment is)."""
    if c is None or c.category is None:
        return _("No category recognized.")
    if should_auto_route(c):
        return _("No routing rule covers this category and place.")
    values = {"confidence": f"{c.confidence:.0%}"}
    if c.threshold is not None:
        values["threshold"] = f"{c.threshold:.0%}"
        text = _("Category confidence %(confidence)s is below the category's threshold %(threshold)s.")
        return text % values
    if c.decided_by == "model":
        return _(
            "The model's predictions of this category never reached the target precision in validation, "
            "so a moderator confirms them."
        )
    threshold = float(settings.OTKLIK_AUTO_ROUTE_CONFIDENCE)
    if threshold > 1:
        return _("Automatic routing by rules is off; a moderator confirms the category.")
    values["threshold"] = f"{threshold:.0%}"
    return _("Category confidence %(confidence)s is below the threshold %(threshold)s.") % values


def stage_decide(batch: Batch) -> None:
    """Decide for every new case: confident and routable → assigned; the rest → moderation."""
    batch.each(Stage.DECIDE, decide)
