"""The outbox on the operator's screens: each published answer's delivery on the card and in the queue,
and the center's "send again" for a reply that did not reach the network."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.accounts import permissions

from . import delivery
from .access import access_case
from .forms import is_center
from .models import Answer, Case, ReplyDelivery


def attach_to_answers(answers: Iterable[Answer], user: permissions.AnyUser) -> None:
    """``answer.reply`` (its delivery or None) and ``answer.reply_can_retry`` for the card's answers;
    the answers are loaded with ``select_related("delivery")``."""
    center = is_center(user)
    for answer in answers:
        reply = getattr(answer, "delivery", None) if _has_delivery(answer) else None
        answer.reply = reply  # type: ignore[attr-defined]
        answer.reply_can_retry = bool(reply and center and delivery.can_retry(reply))  # type: ignore[attr-defined]


def _has_delivery(answer: Answer) -> bool:
    try:
        answer.delivery  # noqa: B018  (the reverse one-to-one raises when there is none)
    except ReplyDelivery.DoesNotExist:
        return False
    return True


def attach_to_cases(cases: Iterable[Case], user: permissions.AnyUser) -> None:
    """``case.reply``: the latest delivery of each case of a queue page (one query), and whether the
    user may send it again."""
    rows = list(cases)
    latest: dict[int, ReplyDelivery] = {}
    for found in ReplyDelivery.objects.filter(case_id__in=[c.pk for c in rows]).order_by("created_at", "pk"):
        latest[found.case_id] = found
    center = is_center(user)
    for case in rows:
        reply = latest.get(case.pk)
        case.reply = reply  # type: ignore[attr-defined]
        case.reply_can_retry = bool(reply and center and delivery.can_retry(reply))  # type: ignore[attr-defined]


@login_required
@require_POST
def retry(request: HttpRequest, case_id: int, delivery_id: int) -> HttpResponse:
    """Send a failed reply again, then back to where the button was (the card or the queue)."""
    case = access_case(request.user, case_id)
    reply = get_object_or_404(ReplyDelivery, pk=delivery_id, case=case)
    try:
        delivery.retry_delivery(reply, permissions.signed_in(request.user))
    except (PermissionDenied, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("You may not do this."))
    else:
        reply.refresh_from_db()
        if reply.status == "sent":
            messages.success(request, _("The reply is delivered."))
        else:
            messages.warning(
                request,
                _("The reply is not delivered yet: %(state)s.") % {"state": reply.get_status_display()},
            )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("cases:detail", case_id=case.pk)
