"""Intake → moderation / assignment: the moderator's decisions on category, place and agency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.directory.models import Agency, Category, Territory

from ..choices import CaseStatus, EventKind
from ..lifecycle import IllegalTransition
from ..models import Case
from ._base import (
    _assign,
    _locked,
    _ref,
    _require_center,
    _set_status,
    log,
    log_event,
)

# --- intake → moderation / assignment --------------------------------------------------------


def send_to_moderation(
    case: Case, actor: User | None = None, *, reason: str = "", now: datetime | None = None
) -> Case:
    with transaction.atomic():
        case = _locked(case)
        _set_status(case, CaseStatus.MODERATION, actor, comment=reason, at=now)
    return case


def moderate_case(
    case: Case,
    user: User | None,
    *,
    category: Category | None,
    territory: Territory | None,
    agency: Agency | None = None,
    is_urgent: bool | None = None,
    now: datetime | None = None,
) -> Case:
    """Confirm or correct category and place; with an agency (given or routed) the case is assigned."""
    _require_center(user)
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        before = {
            "category": _ref(case.category),
            "territory": _ref(case.territory),
            "agency": _ref(case.agency),
            "is_urgent": case.is_urgent,
        }
        if case.status == CaseStatus.NEW:
            _set_status(case, CaseStatus.MODERATION, user, at=now)
        case.category = category
        case.territory = territory
        if is_urgent is not None:
            case.is_urgent = is_urgent
        if agency is None and category is not None:
            from ..routing import route

            routed = route(category, territory)
            agency = routed.agency if routed else None
        case.save()
        _learn_institution(case)
        log_event(
            case,
            EventKind.MODERATED,
            user,
            before=before,
            after={
                "category": _ref(category),
                "territory": _ref(territory),
                "agency": _ref(agency),
                "is_urgent": case.is_urgent,
            },
            at=now,
        )
        if agency is not None:
            _assign(case, user, agency, now)
    return case


AWAITING_MODERATION = (CaseStatus.NEW, CaseStatus.MODERATION)


def _not_confirmable(case: Case) -> str | None:
    """Why the pipeline's suggestion for the case cannot be accepted as it stands; None if it can
    (it waits for moderation and both a category and an agency were suggested)."""
    if case.status not in AWAITING_MODERATION:
        return _("it no longer awaits moderation")
    if case.suggested_category_id is None:
        return _("no category was suggested")
    if case.suggested_agency_id is None:
        return _("no agency was suggested")
    return None


def can_confirm_suggestion(case: Case) -> bool:
    return _not_confirmable(case) is None


@dataclass
class Confirmation:
    confirmed: list[Case] = field(default_factory=list)
    skipped: list[tuple[Case, str]] = field(default_factory=list)  # the case and why


def confirm_suggestions(
    cases: Iterable[Case], user: User | None, *, now: datetime | None = None
) -> Confirmation:
    """Accept the pipeline's category, territory and agency for each case, exactly as the moderator
    would by submitting them in the case's moderation form (:func:`moderate_case`); a case that no
    longer waits for moderation or lacks a suggestion is skipped with the reason. Each case is its
    own transaction: one that fails does not undo the others."""
    _require_center(user)
    now = now or timezone.now()
    result = Confirmation()
    for case in cases:
        reason = _not_confirmable(case)
        if reason is not None:
            result.skipped.append((case, reason))
            continue
        try:
            moderate_case(
                case,
                user,
                category=case.suggested_category,
                territory=case.suggested_territory,
                agency=case.suggested_agency,
                now=now,
            )
        except (IllegalTransition, ValidationError) as exc:
            result.skipped.append((case, " ".join(getattr(exc, "messages", [str(exc)]))))
        else:
            result.confirmed.append(case)
    return result


def assign_case(
    case: Case, user: User | None, agency: Agency, *, comment: str = "", now: datetime | None = None
) -> Case:
    """Route the case to an agency: the deadline starts now (policy + production calendar)."""
    _require_center(user)
    if not agency.is_active:
        raise ValidationError(_("The agency is not active."))
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        if case.status == CaseStatus.NEW:
            _set_status(case, CaseStatus.MODERATION, user, at=now)
        _assign(case, user, agency, now, comment=comment)
    return case


def auto_assign(case: Case, agency: Agency, *, now: datetime | None = None) -> Case:
    """The pipeline's assignment of a confidently understood case (no human actor)."""
    now = now or timezone.now()
    with transaction.atomic():
        case = _locked(case)
        _assign(case, None, agency, now, comment=_("Routed automatically"))
    return case


def _learn_institution(case: Case) -> None:
    """A place the moderator confirmed teaches the region's registry the institution the text names
    ("школа № 12" in that town); learning must never stand in the moderator's way."""
    from otklik.understanding.places.institutions import learn_from_case

    try:
        with transaction.atomic():
            learn_from_case(case)
    except Exception:
        log.exception("learning the institution of case %s failed", case.pk)


def set_case_place(
    case: Case,
    user: User | None,
    *,
    lat: float,
    lon: float,
    territory: Territory | None = None,
    now: datetime | None = None,
) -> Case:
    """The moderator picks the place on the map: the point, and the territory it falls in (by the
    territories' polygons, unless given); a point outside every polygon keeps the territory."""
    _require_center(user)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ValidationError(_("Coordinates out of range."))
    now = now or timezone.now()
    if territory is None:
        from otklik.understanding import places

        territory = places.get_polygons(places.get_gazetteer()).locate(lat, lon)
    with transaction.atomic():
        case = _locked(case)
        before = {
            "lat": case.lat,
            "lon": case.lon,
            "territory": _ref(case.territory),
            "suggested_territory": _ref(case.suggested_territory),
        }
        case.lat, case.lon = lat, lon
        if territory is not None:
            case.territory = territory
            if case.suggested_territory_id is None:
                case.suggested_territory = territory
        understanding = dict(case.understanding) if isinstance(case.understanding, dict) else {}
        place = understanding.get("place")
        understanding["place"] = {
            **(place if isinstance(place, dict) else {}),
            "precision": "point",
            "source": "moderator",
        }
        case.understanding = understanding
        case.save(
            update_fields=["lat", "lon", "territory", "suggested_territory", "understanding", "updated_at"]
        )
        _learn_institution(case)
        log_event(
            case,
            EventKind.MODERATED,
            user,
            before=before,
            after={
                "lat": lat,
                "lon": lon,
                "territory": _ref(case.territory),
                "suggested_territory": _ref(case.suggested_territory),
            },
            comment=_("Place picked on the map"),
            at=now,
        )
    return case
