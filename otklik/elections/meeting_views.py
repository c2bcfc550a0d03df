"""The campaign calendar's pages: the calendar with its filters, a meeting with its questions and
answers, and the analysis of the questions (page and spreadsheet). Scoped as
:mod:`otklik.elections.campaign` says: the center sees every meeting, a coordinator their factions',
a regional coordinator their factions' in their regions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from . import access, campaign, exports, questions
from .forms import AnswerForm, EventForm, MeetingFilterForm, QuestionForm
from .models import EventQuestion

APPEALS_ON_PAGE = 200


def _filters(request: HttpRequest, *, default_when: str) -> MeetingFilterForm:
    user = request.user
    return MeetingFilterForm(
        request.GET or None,
        events=campaign.visible_events(user),
        factions=campaign.coordinated_factions(user),
        regions=campaign.regions_for(user),
        territories=campaign.territories_for(user),
        default_when=default_when,
    )


@login_required
@require_http_methods(["GET", "POST"])
def events(request: HttpRequest) -> HttpResponse:
    """The whole calendar, upcoming first by default; past meetings and any dates by the filters."""
    campaign.require_calendar(request.user)
    filters = _filters(request, default_when="upcoming")
    form = EventForm(
        request.POST or None,
        factions=campaign.coordinated_factions(request.user),
        faction_required=not access.is_headquarters(request.user),
        territories=campaign.territories_for(request.user),
        regions=campaign.meeting_regions(request.user),
    )
    if request.method == "POST" and form.is_valid():
        event = form.save()
        messages.success(request, _("The meeting is on the calendar."))
        return redirect("elections:event", pk=event.pk)
    page = Paginator(campaign.calendar(request.user, **filters.chosen()), 50).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "events": page.object_list, "filters": filters, "form": form}
    return render(request, "elections/events.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def event(request: HttpRequest, pk: int) -> HttpResponse:
    found = campaign.access_event(request.user, pk)
    action = request.POST.get("action")
    form = QuestionForm(request.POST if action == "question" else None)
    answer_form = AnswerForm(request.POST if action == "answer" else None)
    if request.method == "POST":
        try:
            if action == "appeal":
                question = get_object_or_404(EventQuestion, pk=request.POST.get("question"), event=found)
                campaign.to_appeal(question)
                messages.success(request, _("The question is now an appeal to the deputy."))
                return redirect("elections:event", pk=pk)
            if action == "answer":
                question = get_object_or_404(EventQuestion, pk=request.POST.get("question"), event=found)
                if answer_form.is_valid():
                    questions.record_answer(
                        question,
                        text=answer_form.cleaned_data["answer"],
                        at_meeting=answer_form.cleaned_data["at_meeting"],
                    )
                    messages.success(request, _("The answer is recorded."))
                    return redirect("elections:event", pk=pk)
            elif form.is_valid():
                campaign.record_question(found, **form.cleaned_data)
                messages.success(request, _("The question is recorded."))
                return redirect("elections:event", pk=pk)
        except ValidationError as exc:
            (answer_form if action == "answer" else form).add_error(None, exc)
    asked = found.questions.select_related("case", "category", "territory").all()
    context = {
        "event": found,
        "form": form,
        "answer_form": answer_form,
        "questions": asked,
        "held": found.starts_at <= timezone.now(),
    }
    return render(request, "elections/event.html", context)


def _analysis(request: HttpRequest) -> tuple[MeetingFilterForm, questions.Analysis]:
    campaign.require_calendar(request.user)
    filters = _filters(request, default_when="all")
    chosen = campaign.filter_events(campaign.visible_events(request.user), **filters.chosen())
    return filters, questions.analyse(chosen)


@login_required
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    """The questions of the chosen meetings by topic, district and week; answers and appeals."""
    filters, found = _analysis(request)
    context: dict[str, Any] = {
        "filters": filters,
        "analysis": found,
        "appeals": found.appeals[:APPEALS_ON_PAGE],
    }
    return render(request, "elections/questions.html", context)


@login_required
@require_GET
def analysis_xlsx(request: HttpRequest) -> HttpResponse:
    _filters_form, found = _analysis(request)
    stamp = timezone.localdate().isoformat()
    return exports.xlsx_response(exports.questions_xlsx(found), f"voters-questions-{stamp}.xlsx")
