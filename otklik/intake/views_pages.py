"""Official pages' responsiveness: the ranking of the pages and each page's unanswered comments.

``/intake/pages/`` (the center and the head of the region: whoever reads analytics or moderates)
ranks the pages — municipalities' by default, every page with ``?all=1`` — by the share of residents'
comments answered within the page's norm, then the median time to answer, over the last ``days``
(7 by default). ``/intake/pages/<id>/`` lists the page's comments unanswered past the norm; a
comment without a case becomes one with one click (a POST, moderators only).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.accounts.permissions import AnyUser, Capability, can, require

from . import pages
from .models import OfficialPage

PERIODS = (1, 7, 30, 90)


def current_time() -> datetime:
    """Now (a function so that tests can fix the clock)."""
    return timezone.now()


def may_see_pages(user: AnyUser) -> bool:
    return can(user, Capability.READ_ANALYTICS) or can(user, Capability.MODERATE)


def _days(request: HttpRequest) -> int:
    try:
        days = int(request.GET.get("days", 7))
    except ValueError:
        days = 7
    return days if days in PERIODS else 7


@login_required
def page_ranking(request: HttpRequest) -> HttpResponse:
    if not may_see_pages(request.user):
        raise PermissionDenied
    now = current_time()
    days = _days(request)
    show_all = request.GET.get("all") == "1"
    queryset = OfficialPage.objects.filter(is_active=True) if show_all else pages.municipal_pages()
    queryset = queryset.select_related("source", "agency", "territory")
    rows = pages.ranking(queryset, now - timedelta(days=days), now, now=now)
    return render(
        request,
        "intake/pages.html",
        {"rows": rows, "days": days, "periods": PERIODS, "show_all": show_all},
    )


@login_required
def page_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not may_see_pages(request.user):
        raise PermissionDenied
    page = get_object_or_404(OfficialPage.objects.select_related("source", "agency", "territory"), pk=pk)
    now = current_time()
    days = _days(request)
    stats = pages.page_stats(page, now - timedelta(days=days), now, now=now, with_list=True)
    return render(
        request,
        "intake/page.html",
        {
            "page": page,
            "stats": stats,
            "days": days,
            "periods": PERIODS,
            "may_make_cases": can(request.user, Capability.MODERATE),
        },
    )


@login_required
@require_POST
def make_case(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    require(request.user, Capability.MODERATE)
    page = get_object_or_404(OfficialPage, pk=pk)
    message = get_object_or_404(pages.page_messages(page), pk=message_pk)
    case = pages.case_for_comment(page, message)
    messages.success(request, _("Case %(number)s is in the moderation queue.") % {"number": case.number})
    return redirect("cases:detail", case.pk)


__all__ = ["make_case", "page_detail", "page_ranking"]
