"""Moderation at volume: which of the pipeline's suggestions may be accepted in bulk, and the next case
of the queue the moderator works.

Accepting ticked rows in bulk is for the sure guesses only: a row is accepted when the suggested
category's confidence reaches that category's threshold — the learned one when a trained model
decided (stored with the decision), else the rules' ``OTKLIK_AUTO_ROUTE_CONFIDENCE``. The rest are
refused with the reason and stay ticked, for the moderator to open one by one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser

from .filters import DEFAULT_SORT, DEFAULT_TAB, SORTS, TABS, CaseFilter
from .models import Case

NEXT_LOOKAHEAD = 500  # cases of the filter looked through for the next one


def threshold_of(case: Case) -> float | None:
    """The confidence the case's suggested category needs to be accepted without opening the case;
    None when no threshold applies (a model's category that never reached the target precision)."""
    data: Mapping[str, Any] = case.understanding if isinstance(case.understanding, dict) else {}
    learned = data.get("threshold")
    if isinstance(learned, int | float):
        return float(learned)
    if data.get("decided_by") == "model":
        return None
    return float(settings.OTKLIK_AUTO_ROUTE_CONFIDENCE)


def bulk_refusal(case: Case) -> str | None:
    """Why the case's suggestion is too unsure to accept in bulk; None when it may be accepted."""
    confidence = case.category_confidence
    if confidence is None:
        return _("the category's confidence is unknown: check it on the case")
    threshold = threshold_of(case)
    if threshold is None:
        return _("the category has no learned threshold: check it on the case")
    if confidence < threshold:
        return _("confidence %(confidence)d%% is below the category's threshold %(threshold)d%%") % {
            "confidence": round(confidence * 100),
            "threshold": round(threshold * 100),
        }
    return None


QUEUE_FILTER_COOKIE = "otklik_queue_filter"


def remember_queue_filter(request: HttpRequest, response: HttpResponse) -> None:
    """The queue's filter as last shown (a cookie: no write to the database on every page): the
    card's "next case" follows it."""
    kept = request.GET.copy()
    kept.pop("page", None)
    text = kept.urlencode()
    if request.COOKIES.get(QUEUE_FILTER_COOKIE) != text:
        response.set_cookie(QUEUE_FILTER_COOKIE, text, samesite="Lax", httponly=True)


@dataclass(frozen=True)
class NextCase:
    pk: int
    number: str


def next_case(user: AnyUser, request: HttpRequest, current: Case) -> NextCase | None:
    """The case after ``current`` in the queue as the user last filtered it; the first of the
    filter when ``current`` has left it (a decided case leaves "awaiting moderation")."""
    query = QueryDict(request.COOKIES.get(QUEUE_FILTER_COOKIE, ""))
    now = timezone.now()
    filtered = Case.objects.visible_to(user)
    if any(query.get(name) for name in CaseFilter.base_filters):  # else it narrows nothing (~1 ms a card)
        filtered = CaseFilter(query, filtered, now=now).qs
    tab = next((t for t in TABS if t.key == query.get("tab")), None) or next(
        t for t in TABS if t.key == DEFAULT_TAB
    )
    order = SORTS.get(str(query.get("sort") or ""), SORTS[DEFAULT_SORT])[1]
    rows = list(filtered.filter(tab.q(now)).order_by(*order).values_list("pk", "number")[:NEXT_LOOKAHEAD])
    ids = [pk for pk, _number in rows]
    start = ids.index(current.pk) + 1 if current.pk in ids else 0
    following = [row for row in rows[start:] if row[0] != current.pk]
    return NextCase(*following[0]) if following else None
