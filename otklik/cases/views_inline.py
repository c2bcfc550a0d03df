"""Inline correction in the queue (HTMX): a row turns into a small form with the case's category,
territory and agency, and back into the row once saved or cancelled.

The row is rendered by the queue's own template (``_queue_results.html``) for this one case; the
browser picks the ``<tr>`` out of it (``hx-select``), so the row never has two templates. The
change itself is :func:`otklik.cases.inline.correct_case`, i.e. the card's moderation action.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from otklik.accounts import permissions

from . import actions, delivery_views, inline, presenters
from .access import access_case
from .filters import PAGE_SIZE
from .forms import ModerateForm, is_center
from .lifecycle import IllegalTransition
from .models import Case
from .paging import CountedPaginator
from .views import CARD_RELATIONS


class InlineCorrectionForm(ModerateForm):
    """The card's moderation form without urgency: the row corrects category, territory, agency."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_urgent"]
        self.fields["category"].widget.attrs["autofocus"] = True


def _form(case: Case, request: HttpRequest, data: Any = None) -> InlineCorrectionForm:
    return InlineCorrectionForm(data, case=case, user=request.user, auto_id=f"id_inline{case.pk}_%s")


def _fresh(request: HttpRequest, case_id: int) -> Case:
    """The case as the queue row shows it (its relations loaded, its latest reply attached)."""
    case = access_case(request.user, case_id)
    prefetch_related_objects([case], *CARD_RELATIONS)
    delivery_views.attach_to_cases([case], request.user)
    return case


def render_row(request: HttpRequest, case: Case) -> HttpResponse:
    """The case's queue row, rendered by the queue's template with the context the queue gives it."""
    now = timezone.now()
    confirmable = {case.pk} if is_center(request.user) and actions.can_confirm_suggestion(case) else set()
    context = {
        "cases": [case],
        "rows": presenters.queue_rows(
            [case], now=now, user=request.user, confirmable=confirmable, refused={}
        ),
        "words": presenters.row_words(),
        "page": CountedPaginator([case], PAGE_SIZE, count=1).get_page(1),
        "confirmable": confirmable,
        "tabs": [],
        "total_more": False,
        # the queue's partial re-sends the current tab out of band: keep it as it is
        "tab": request.POST.get("tab") or request.GET.get("tab") or "",
        "now": now,
    }
    return render(request, "cases/_queue_results.html", context)


def _render_editor(
    request: HttpRequest, case: Case, form: InlineCorrectionForm | None, error: str = ""
) -> HttpResponse:
    return render(request, "cases/_inline_edit.html", {"case": case, "form": form, "error": error})


def _back(request: HttpRequest) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        return back
    return "/cases/"


@login_required
@require_http_methods(["GET", "POST"])
def inline_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    """GET: the row as a form; POST: apply the correction and send the row back as the queue shows it.
    Out of scope is a 404 (:func:`access_case`); a user who may not moderate gets a 403."""
    case = _fresh(request, case_id)
    if not is_center(request.user):
        raise PermissionDenied(_("Only the center's moderators and supervisors may do this."))
    try:
        inline.require_inline_correction(case, request.user)
    except PermissionDenied as exc:
        return _render_editor(request, case, None, str(exc))
    if request.method == "GET":
        return _render_editor(request, case, _form(case, request))
    form = _form(case, request, request.POST)
    if not form.is_valid():
        return _render_editor(request, case, form)
    try:
        inline.correct_case(
            case,
            permissions.signed_in(request.user),
            category=form.cleaned_data["category"],
            territory=form.cleaned_data["territory"],
            agency=form.cleaned_data["agency"],
        )
    except (IllegalTransition, ValidationError, PermissionDenied) as exc:
        text = " ".join(getattr(exc, "messages", [str(exc)]))
        return _render_editor(request, case, form, text)
    if not getattr(request, "htmx", None):
        return redirect(_back(request))
    return render_row(request, _fresh(request, case.pk))


@login_required
@require_GET
def inline_row(request: HttpRequest, case_id: int) -> HttpResponse:
    """The row again, unchanged: what "cancel" swaps back in."""
    return render_row(request, _fresh(request, case_id))
