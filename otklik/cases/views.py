"""Operator UI: the incoming queue, the case card and one thin POST view per action.

Views parse input and call one function of :mod:`otklik.cases.actions`; cases are reached only
through ``Case.objects.visible_to`` and :func:`access_case` (out of scope is a 404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from otklik import caching
from otklik.accounts import permissions
from otklik.accounts.models import User
from otklik.security.uploads import image_response
from otklik.understanding.explain import explain
from otklik.understanding.quality import assess_answer

from . import actions, card, counts, delivery_views, notifications, presenters, similar, suggestions
from .access import access_case, can_work_cases, case_scope
from .choices import FINAL, AnswerStatus, CaseStatus
from .filters import PAGE_SIZE, SORTS, TABS, queue_cases
from .forms import (
    ACTIONS_BY_NAME,
    PLACE_ACTION,
    ActionSpec,
    CaseActionForm,
    available_actions,
    available_answer_actions,
    is_center,
    role_allows,
)
from .lifecycle import IllegalTransition
from .models import Case
from .paging import CountedPaginator

# The directory rows the card names (the inline correction prefetches them; the card takes them from
# the process's directory, :func:`otklik.cases.card.attach_directory`).
CARD_RELATIONS = (
    "category__parent",
    "territory__parent__parent",
    "agency",
    "suggested_category__parent",
    "suggested_territory__parent__parent",
    "suggested_agency",
    "merged_into",
    "deadline_policy",
)

REFUSED_KEY = "refused-suggestions"


def _is_htmx_target(request: HttpRequest, target: str) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and getattr(htmx, "target", None) == target


def me(request: HttpRequest) -> User:
    """The signed-in user an action is done by (every view here is behind ``login_required``)."""
    return permissions.signed_in(request.user)


# --- the queue -----------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Incoming cases the user may see, filtered, counted per tab, sorted and paged by 50."""
    home = permissions.home(request.user)
    if home != permissions.QUEUE and not permissions.works_queue(request.user):
        return redirect(home)  # people who do not work the queue start on their own page
    now = timezone.now()
    form, result = queue_cases(
        Case.objects.visible_to(request.user),
        request.GET,
        now=now,
        scope=case_scope(request.user).key,
        user_id=request.user.pk,
    )
    total, more = result.total
    paginator = CountedPaginator(result.cases, PAGE_SIZE, count=total)
    page = paginator.get_page(request.GET.get("page"))
    if not more and paginator.settle(page):
        result.counts[result.tab] = paginator.count  # the rows read now say it exactly
    # rows whose suggestion a moderator may accept from the queue, ticking them
    confirmable: set[int] = set()
    if is_center(request.user):
        confirmable = {c.pk for c in page.object_list if actions.can_confirm_suggestion(c)}
    delivery_views.attach_to_cases(page.object_list, request.user)
    # rows refused by the last bulk acceptance: still ticked, with the reason
    refused = {int(k): v for k, v in request.session.pop(REFUSED_KEY, {}).items()}
    queue_url = reverse("cases:queue")
    context = {
        "form": form,
        "page": page,
        "cases": page.object_list,
        "rows": presenters.queue_rows(
            page.object_list,
            now=now,
            user=request.user,
            confirmable=confirmable,
            refused=refused,
            directory=result.directory,
        ),
        "words": presenters.row_words(),
        "confirmable": confirmable,
        "tabs": [
            {
                "key": t.key,
                "label": t.label,
                "count": result.counts[t.key],
                "more": t.key in result.more,
                "href": queue_url + presenters.querystring(request.GET, tab=t.key, page=None),
            }
            for t in TABS
        ],
        "total_more": more,
        "counted_at": datetime.fromtimestamp(result.counted_at, tz=UTC),
        "counts_seconds": round(counts.keep_seconds()),
        "tab": result.tab,
        "sort": result.sort,
        "sorts": [(key, label) for key, (label, _order) in SORTS.items()],
        "now": now,
    }
    partial = _is_htmx_target(request, "queue-results")
    response = render(request, "cases/_queue_results.html" if partial else "cases/queue.html", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    suggestions.remember_queue_filter(request, response)
    return response


@login_required
@require_POST
def confirm_suggestions(request: HttpRequest) -> HttpResponse:
    """Accept the pipeline's suggestions for the ticked cases of the queue, then back to it."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=request.is_secure()):
        back = reverse("cases:queue")
    ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()]
    if not ids:
        messages.error(request, _("Tick the cases whose suggestions you accept."))
        return redirect(back)
    cases = (
        Case.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("suggested_category", "suggested_territory", "suggested_agency")
        .order_by("pk")
    )
    sure, unsure = [], {}
    for case in cases:
        # a case that cannot be confirmed at all is refused by confirm_suggestions with its reason
        reason = suggestions.bulk_refusal(case) if actions.can_confirm_suggestion(case) else None
        if reason is None:
            sure.append(case)
        else:
            unsure[case.pk] = reason
    try:
        result = actions.confirm_suggestions(sure, me(request))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if unsure:
        request.session[REFUSED_KEY] = {str(pk): reason for pk, reason in unsure.items()}
        text = ngettext(
            "%(n)d case is too unsure to accept in bulk: it stays ticked, open it to check.",
            "%(n)d cases are too unsure to accept in bulk: they stay ticked, open them to check.",
            len(unsure),
        )
        messages.warning(request, text % {"n": len(unsure)})
    n = len(result.confirmed)
    if n:
        text = ngettext("%(n)d case confirmed and routed.", "%(n)d cases confirmed and routed.", n)
        messages.success(request, text % {"n": n})
    if result.skipped:
        skipped = "; ".join(f"{case.number}: {reason}" for case, reason in result.skipped)
        messages.warning(request, _("Not confirmed: %(cases)s.") % {"cases": skipped})
    return redirect(back)


# --- the case card -------------------------------------------------------------------------------


def _region_outline(held: card.CardDirectory) -> tuple[Any, str, list[float] | None]:
    """The region's outline and center: the map to pick a point on when the case has no place at all."""
    region = held.region()
    if region is None:
        return None, "", None
    center = [region.lat, region.lon] if region.lat is not None and region.lon is not None else None
    return held.outline(region.pk), region.name, center


def _map_data(case: Case, *, pick: bool = False) -> dict[str, Any] | None:
    """The territory outline (GeoJSON) and the case's point for the tile-less Leaflet map; with
    ``pick`` a click on the map fills the "pick the place" form (the region is shown when nothing is
    known)."""
    geometry = None
    area_name = ""
    territory = case.territory or case.suggested_territory
    node = territory
    held = card.held_directory(case)
    outlined = held.queue.outlined
    while node is not None and node.pk not in outlined:
        node = node.parent
    if node is not None:  # the one outline drawn, kept in the process (the case is read without them)
        geometry = held.outline(node.pk)
        area_name = node.name
    point = None
    approximate = False
    if case.lat is not None and case.lon is not None:
        point = [case.lat, case.lon]
    else:
        located = next(
            (m for m in getattr(case, "card_messages", ()) if m.lat is not None and m.lon is not None), None
        )
        if located is not None:
            point = [located.lat, located.lon]
        elif territory is not None and territory.lat is not None and territory.lon is not None:
            point, approximate = [territory.lat, territory.lon], True
    center = None
    if pick and geometry is None and point is None:
        geometry, area_name, center = _region_outline(held)
    if geometry is None and point is None and center is None:
        return None
    return {
        "geometry": geometry,
        "area": area_name,
        "point": point,
        "center": center,
        "approximate": approximate,
        "label": case.address or (territory.name if territory else ""),
        "pick": pick,
    }


def _understanding(case: Case) -> dict[str, Any]:
    """What the pipeline matched and why, in words for the card (the JSON's shape is the pipeline's)."""
    data = case.understanding if isinstance(case.understanding, dict) else {}
    routing: dict[str, Any] = data["routing"] if isinstance(data.get("routing"), dict) else {}
    terms = data.get("matched_terms")
    return {
        "matched_terms": [str(t) for t in terms if t] if isinstance(terms, list) else [],
        "version": data.get("version") or data.get("model_version") or "",
        "other": explain(data, category_names=card.held_directory(case).category_names),
        "routing_practice": routing.get("practice"),
        "routing_model": routing if routing.get("model") else None,
    }


def card_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Everything the case card shows, loaded with a fixed number of queries; the versions of the
    process's caches it reads (its directory, the calendar, the similar cases' index) by one."""
    from .deadlines import calendar_cache

    with caching.read_together(card.directory, calendar_cache, similar.index):
        return _card_context(request, case)


def _card_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    user = request.user
    card.attach_directory(case)  # its directory rows from the process's copy, not joined (~4 ms)
    case.card_messages = card.lists.messages(case)  # type: ignore[attr-defined]
    answers = card.lists.answers(case)
    delivery_views.attach_to_answers(answers, user)
    for answer in answers:
        # Before approval the moderator sees whether the answer looks like a formal non-answer.
        answer.quality = (  # type: ignore[attr-defined]
            assess_answer(case.text or case.title, answer.text, answered_on=answer.created_at.date())
            if answer.status == AnswerStatus.DRAFT
            else None
        )
        answer.ui_actions = [  # type: ignore[attr-defined]
            (
                spec,
                spec.form_for(user)(
                    case=case,
                    user=user,
                    initial={"answer": answer.pk},
                    auto_id=f"id_{spec.name}{answer.pk}_%s",
                ),
            )
            for spec in available_answer_actions(answer, case, user)
        ]
    working_left = None
    if case.deadline_at and case.awaits_agency and case.deadline_at > timezone.now():
        from .deadlines import working_minutes

        working_left = working_minutes(timezone.now(), case.deadline_at)
    case_actions = [
        (spec, spec.form_for(user)(case=case, user=user, auto_id=f"id_{spec.name}_%s"))
        for spec in available_actions(case, user)
    ]
    action_names = {spec.name for spec, _form in case_actions}
    place_action = None
    if role_allows(PLACE_ACTION.who, user, case) and PLACE_ACTION.allowed(case):
        place_action = (
            PLACE_ACTION,
            PLACE_ACTION.form_for(user)(case=case, user=user, auto_id="id_place_%s"),
        )
    shows_similar = can_work_cases(user) and case.status not in FINAL and case.status != CaseStatus.PUBLISHED
    similar_cases, answer_draft = (
        similar.for_card(case, user, draft="answer" in action_names) if shows_similar else ([], None)
    )
    return {
        "case": case,
        "case_messages": case.card_messages,  # type: ignore[attr-defined]
        "events": card.lists.events(case),
        "answers": answers,
        "ratings": card.lists.ratings(case),
        "actions": case_actions,
        "map_data": _map_data(case, pick=place_action is not None),
        "place_action": place_action,
        "similar_cases": similar_cases,
        "can_draft": "answer" in action_names,
        "answer_draft": answer_draft,
        "understanding": _understanding(case),
        "working_minutes_left": working_left,
        "now": timezone.now(),
        "next_case": suggestions.next_case(user, request, case) if permissions.works_queue(user) else None,
    }


@login_required
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = access_case(request.user, case_id)
    template = "cases/_card.html" if _is_htmx_target(request, "case-card") else "cases/detail.html"
    response = render(request, template, card_context(request, case))
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --- actions -------------------------------------------------------------------------------------

ActionFunc = Callable[[HttpRequest, Case, dict[str, Any]], Any]


def _form_error_text(form: CaseActionForm) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return "; ".join(parts)


def _after_action(request: HttpRequest, case_id: int) -> HttpResponse:
    """Back to the card (swapped in place for HTMX), or to the queue if the case left the user's scope."""
    try:
        case = access_case(request.user, case_id)
    except Http404:
        if getattr(request, "htmx", None):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("cases:queue")
            return response
        return redirect("cases:queue")
    if getattr(request, "htmx", None):
        return render(request, "cases/_card.html", card_context(request, case))
    return redirect("cases:detail", case_id=case.pk)


def case_action(name: str) -> Callable[[ActionFunc], Callable[..., HttpResponse]]:
    """Wrap an action view: POST only, scope (404), role, form parsing and clear error messages."""
    spec: ActionSpec = ACTIONS_BY_NAME[name]

    def decorator(func: ActionFunc) -> Callable[..., HttpResponse]:
        @wraps(func)
        @login_required
        @require_POST
        def view(request: HttpRequest, case_id: int) -> HttpResponse:
            case = access_case(request.user, case_id)
            try:
                if not role_allows(spec.who, request.user, case):
                    raise PermissionDenied(_("Your role may not do this on this case."))
                form = spec.form_for(request.user)(request.POST, case=case, user=request.user)
                if not form.is_valid():
                    raise ValidationError(_form_error_text(form))
                func(request, case, form.cleaned_data)
            except IllegalTransition as exc:
                messages.error(request, str(exc))
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            except PermissionDenied as exc:
                messages.error(request, str(exc) or _("You may not do this."))
            else:
                messages.success(request, _("%(action)s: done.") % {"action": spec.label})
            return _after_action(request, case.pk)

        return view

    return decorator


@case_action("moderate")
def moderate(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    was_urgent = case.is_urgent
    moderated = actions.moderate_case(
        case,
        me(request),
        category=data["category"],
        territory=data["territory"],
        agency=data["agency"],
        is_urgent=data["is_urgent"],
    )
    if moderated.is_urgent and not was_urgent:
        notifications.case_urgent(moderated)


@case_action("place")
def set_place(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.set_case_place(case, me(request), lat=data["lat"], lon=data["lon"])


@case_action("assign")
def assign(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.assign_case(case, me(request), data["agency"], comment=data["comment"])


@case_action("start")
def start(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.start_work(case, me(request))


@case_action("answer")
def answer(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.write_answer(
        case,
        me(request),
        text=data["text"],
        kind=data["kind"],
        draft=data.get("draft") or "",
        draft_source=data.get("draft_source"),
    )


@case_action("redirect")
def redirect_to_agency(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.redirect_case(case, me(request), reason=data["reason"], agency=data.get("agency"))


@case_action("escalate")
def escalate(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.escalate_case(case, me(request), reason=data["reason"])


@case_action("merge")
def merge(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.merge_cases(case, data["target"], me(request))


@case_action("reject")
def reject(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.reject_case(case, me(request), reason=data["reason"])


@case_action("rate")
def rate(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.rate_case(
        case, score=data["score"], comment=data["comment"], reopen=data["reopen"], actor=me(request)
    )


@case_action("close")
def close(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.close_case(case, me(request))


@case_action("reopen")
def reopen(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.reopen_case(case, me(request), reason=data["reason"])


@case_action("extend")
def extend(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.extend_deadline(case, me(request), days=data["days"], reason=data["reason"])


@case_action("interim")
def interim(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.request_interim_answer(case, me(request), hours=data["hours"], comment=data["comment"])


@case_action("note")
def note(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.add_note(case, me(request), text=data["text"])


@case_action("approve")
def approve(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.approve_answer(data["answer"], me(request))


@case_action("return")
def return_answer(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.return_answer(data["answer"], me(request), comment=data["comment"])


@case_action("publish")
def publish(request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    actions.publish_answer(data["answer"], me(request))


@login_required
def message_photo(request: HttpRequest, case_id: int, message_id: int) -> FileResponse:
    """The photo a resident attached to a message of a case: staff who may see the case only
    (out of scope is a 404), served re-encoded and sandboxed by :func:`image_response`."""
    case = access_case(request.user, case_id)
    message = case.messages.filter(pk=message_id).exclude(photo="").first()  # type: ignore[attr-defined]
    if message is None:
        raise Http404("No photo")
    return image_response(message.photo, stem=f"{case.number}-{message.pk}")
