"""Forms of the case card's actions and the rules for which action a user sees on which case.

Each form only parses input; the view passes the cleaned values to one function of
:mod:`otklik.cases.actions`, which re-checks permissions and the lifecycle itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from otklik.accounts.permissions import AnyUser, Capability, answers_for_agency, can
from otklik.directory.models import Agency, Territory
from otklik.understanding.answer_draft import REFUSALS

from .card import CardSelect, CardWidgets
from .choices import FINAL, AnswerKind, AnswerStatus, CaseStatus
from .filters import (
    CategoryChoiceField,
    QueueDirectory,
    TerritoryChoiceField,
    category_tree,
    queue_directory,
)
from .lifecycle import allowed_targets, answer_sources, can_transition
from .models import Answer, Case

CENTER = "center"
EXECUTOR = "executor"
WORKER = "worker"  # the center or the executor of the case's agency
SUPERVISOR = "supervisor"


def is_center(user: AnyUser) -> bool:
    return can(user, Capability.MODERATE)


def is_case_executor(user: AnyUser, case: Case) -> bool:
    return answers_for_agency(user, case.agency_id)


def role_allows(who: str, user: AnyUser, case: Case) -> bool:
    if who == CENTER:
        return is_center(user)
    if who == EXECUTOR:
        return is_case_executor(user, case)
    if who == SUPERVISOR:
        return can(user, Capability.SUPERVISE)
    return is_center(user) or is_case_executor(user, case)


# --- forms ---------------------------------------------------------------------------------------


def active_agencies() -> Any:
    return Agency.objects.filter(is_active=True).order_by("name")


def card_directory(case: Case) -> QueueDirectory:
    """The directory kept in the process (the queue's: one version query), once per card."""
    directory = getattr(case, "_directory", None)
    if directory is None:
        directory = case._directory = queue_directory.get()  # type: ignore[attr-defined]
    return directory


def _card_options(case: Case) -> dict[str, list[tuple[int, str]]]:
    """The options of the card's selects from the directory kept in the process: the category tree,
    every territory, the active agencies — each select was a query and a model instance per option
    on every card (half the card's CPU)."""
    directory = card_directory(case)
    return {
        "category": directory.offered["category"].choices,
        "territory": directory.card_territories,
        "agency": directory.card_agencies,
    }


class CaseActionForm(forms.Form):
    """Base of every action form: knows the case and the user it is shown to.

    A select listing the directory (:data:`DIRECTORY_SELECTS`) renders its options from the process's
    copy of the directory; the field's queryset still checks a posted value. The widgets are rendered
    in Python (:class:`~otklik.cases.card.CardWidgets`, the same markup as their templates)."""

    default_renderer = CardWidgets()

    def __init__(self, *args: Any, case: Case, user: AnyUser, **kwargs: Any) -> None:
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)
        names = next((DIRECTORY_SELECTS[k] for k in type(self).__mro__ if k in DIRECTORY_SELECTS), ())
        listed = [name for name in names if name in self.fields]
        if listed:
            options = _card_options(case)
            for name in listed:
                field: Any = self.fields[name]
                empty = [] if field.empty_label is None else [("", field.empty_label)]
                field.widget.choices = [*empty, *options[name]]


class EmptyForm(CaseActionForm):
    pass


class ReasonForm(CaseActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class OptionalReasonForm(CaseActionForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ModerateForm(CaseActionForm):
    # The card's selects list every category, territory and agency: rendered in Python (CardSelect).
    category = CategoryChoiceField(
        label=_("Category"), queryset=category_tree(), required=True, widget=CardSelect
    )
    territory = TerritoryChoiceField(
        label=_("Territory"), queryset=Territory.objects.order_by("name"), required=False, widget=CardSelect
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"),
        queryset=active_agencies(),
        required=False,
        empty_label=_("By routing rules"),
        widget=CardSelect,
    )
    is_urgent = forms.BooleanField(label=_("Urgent"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        case = self.case
        category = case.category or case.suggested_category
        territory = case.territory or case.suggested_territory
        agency = case.agency or case.suggested_agency
        if agency is None and category is not None:
            from .routing import route

            routed = route(category, territory)
            agency = routed.agency if routed else None
        self.initial.setdefault("category", category.pk if category else None)
        self.initial.setdefault("territory", territory.pk if territory else None)
        self.initial.setdefault("agency", agency.pk if agency else None)
        self.initial.setdefault("is_urgent", case.is_urgent)


class AssignForm(CaseActionForm):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=active_agencies(), widget=CardSelect)
    comment = forms.CharField(
        label=_("Comment"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency = self.case.agency or self.case.suggested_agency
        self.initial.setdefault("agency", agency.pk if agency else None)


class MergeForm(CaseActionForm):
    target = forms.CharField(label=_("Into case number"), max_length=32)

    def clean_target(self) -> Case:
        number = self.cleaned_data["target"].strip().lstrip("#")
        target = Case.objects.visible_to(self.user).filter(number=number).first()
        if target is None:
            raise forms.ValidationError(_("No case with number %(number)s.") % {"number": number})
        return target


class CenterRedirectForm(CaseActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    agency = forms.ModelChoiceField(
        label=_("New agency"),
        queryset=active_agencies(),
        required=False,
        empty_label=_("None: back to moderation"),
        widget=CardSelect,
    )


class AnswerForm(CaseActionForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=AnswerKind.choices, initial=AnswerKind.FINAL, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Answer to the resident"),
        min_length=10,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    # filled by "Use as a draft": the text offered, so that it is never sent unedited (the page's script
    # says why before sending, with the server's words)
    draft = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.HiddenInput(
            attrs={"data-unchanged": REFUSALS["unchanged"], "data-placeholder": REFUSALS["placeholder"]}
        ),
    )
    draft_source = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AnswerChoiceForm(CaseActionForm):
    """An action on one answer of the case: the answer is looked up among this case's answers only."""

    answer = forms.ModelChoiceField(queryset=Answer.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        answer_field: Any = self.fields["answer"]
        answer_field.queryset = self.case.answers.all()


class ReturnAnswerForm(AnswerChoiceForm):
    comment = forms.CharField(
        label=_("What must be reworked"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


# The selects each form lists from the directory (their querysets are these: the category tree, every
# territory by name, the active agencies by name — tests/…/test_card_options.py compares them).
DIRECTORY_SELECTS: dict[type[CaseActionForm], tuple[str, ...]] = {
    ModerateForm: ("category", "territory", "agency"),
    AssignForm: ("agency",),
    CenterRedirectForm: ("agency",),
}


PICK_PRECISIONS = frozenset({"none", "region"})


def place_is_missing(case: Case) -> bool:
    """No point, or the pipeline placed the case no closer than the region: pick it on the map."""
    if case.lat is None or case.lon is None:
        return True
    data = case.understanding if isinstance(case.understanding, dict) else {}
    place = data.get("place")
    return isinstance(place, dict) and place.get("precision") in PICK_PRECISIONS


class PlaceForm(CaseActionForm):
    lat = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("lat", "lon"):
            self.fields[name].widget.attrs.update({"step": "any", "data-place-input": name})
        if self.case.lat is not None and self.case.lon is not None:
            self.initial.setdefault("lat", self.case.lat)
            self.initial.setdefault("lon", self.case.lon)


class ExtendForm(CaseActionForm):
    days = forms.IntegerField(label=_("Extend by, days"), min_value=1, max_value=30, initial=30)
    reason = forms.CharField(
        label=_("Reason (the applicant is told)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InterimForm(CaseActionForm):
    hours = forms.IntegerField(
        label=_("Within, working hours"),
        min_value=1,
        max_value=80,
        required=False,
        help_text=_("Empty: the policy's interim term, else 4 working hours."),
    )
    comment = forms.CharField(
        label=_("What to report"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoteForm(CaseActionForm):
    text = forms.CharField(
        label=_("Note (seen by staff only, never by residents)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RateForm(CaseActionForm):
    score = forms.TypedChoiceField(
        label=_("Score"), coerce=int, choices=[(n, str(n)) for n in range(5, 0, -1)], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Resident's comment"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reopen = forms.BooleanField(
        label=_("The resident says the problem is not solved: reopen"), required=False
    )


# --- which action is shown to whom ---------------------------------------------------------------


def _targets(*statuses: str) -> Callable[[Case], bool]:
    return lambda case: any(status in allowed_targets(case.status) for status in statuses)


def _in(*statuses: str) -> Callable[[Case], bool]:
    return lambda case: case.status in statuses


@dataclass(frozen=True)
class ActionSpec:
    """One action of the case card: who may run it, when the lifecycle allows it, and its form."""

    name: str
    label: Any
    who: str
    allowed: Callable[[Case], bool]
    form_class: type[CaseActionForm]
    executor_form_class: type[CaseActionForm] | None = None
    danger: bool = False
    help: Any = ""
    per_answer: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url_name(self) -> str:
        return f"cases:{self.name}"

    def form_for(self, user: AnyUser) -> type[CaseActionForm]:
        if self.executor_form_class is not None and not is_center(user):
            return self.executor_form_class
        return self.form_class


CASE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "moderate",
        _("Moderate"),
        CENTER,
        _in(CaseStatus.NEW, CaseStatus.MODERATION, CaseStatus.REDIRECTED),
        ModerateForm,
        help=_("Confirm or correct category and place; with an agency the case is assigned."),
    ),
    ActionSpec(
        "assign",
        _("Assign"),
        CENTER,
        _targets(CaseStatus.ASSIGNED),
        AssignForm,
        help=_("Route to an agency: the deadline starts now."),
    ),
    ActionSpec(
        "start",
        _("Start work"),
        EXECUTOR,
        _in(CaseStatus.ASSIGNED, CaseStatus.REOPENED, CaseStatus.ESCALATED),
        EmptyForm,
    ),
    ActionSpec(
        "answer",
        _("Write an answer"),
        EXECUTOR,
        _in(CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED, CaseStatus.ESCALATED),
        AnswerForm,
        help=_("A final answer goes to the center for approval."),
    ),
    ActionSpec(
        "redirect",
        _("Redirect"),
        WORKER,
        _targets(CaseStatus.REDIRECTED),
        CenterRedirectForm,
        executor_form_class=ReasonForm,
        help=_("Not this agency's case: say why."),
    ),
    ActionSpec("escalate", _("Escalate"), CENTER, _targets(CaseStatus.ESCALATED), OptionalReasonForm),
    ActionSpec(
        "merge",
        _("Merge"),
        CENTER,
        _targets(CaseStatus.MERGED),
        MergeForm,
        help=_("A duplicate: its messages move to the other case."),
    ),
    ActionSpec(
        "reject",
        _("Reject"),
        CENTER,
        _targets(CaseStatus.REJECTED),
        ReasonForm,
        danger=True,
        help=_("Not a resident's problem: spam, advertising, off-topic."),
    ),
    ActionSpec(
        "rate",
        _("Record the resident's rating"),
        CENTER,
        _in(CaseStatus.PUBLISHED, CaseStatus.CLOSED),
        RateForm,
    ),
    ActionSpec(
        "extend",
        _("Extend the deadline"),
        SUPERVISOR,
        lambda case: case.awaits_agency and case.deadline_at is not None,
        ExtendForm,
        help=_("59-FZ allows up to 30 more days; the applicant is told where they wrote."),
    ),
    ActionSpec(
        "interim",
        _("Ask for an interim answer"),
        CENTER,
        lambda case: case.awaits_agency,
        InterimForm,
        help=_("The agency is told by when to report what is being done."),
    ),
    ActionSpec("close", _("Close"), CENTER, _targets(CaseStatus.CLOSED), EmptyForm),
    ActionSpec("reopen", _("Reopen"), CENTER, _targets(CaseStatus.REOPENED), ReasonForm),
    ActionSpec("note", _("Internal note"), WORKER, lambda case: True, NoteForm),
)


def _answer_transition(answer: Answer, case: Case, target: str) -> bool:
    return answer.kind != AnswerKind.FINAL or can_transition(case.status, target)


ANSWER_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "approve",
        _("Approve"),
        CENTER,
        lambda case: True,
        AnswerChoiceForm,
        per_answer=True,
        extra={"answer_statuses": answer_sources(AnswerStatus.APPROVED), "target": CaseStatus.APPROVED},
    ),
    ActionSpec(
        "return",
        _("Return for rework"),
        CENTER,
        lambda case: True,
        ReturnAnswerForm,
        per_answer=True,
        danger=True,
        extra={"answer_statuses": answer_sources(AnswerStatus.RETURNED), "target": CaseStatus.IN_PROGRESS},
    ),
    ActionSpec(
        "publish",
        _("Publish"),
        CENTER,
        lambda case: True,
        AnswerChoiceForm,
        per_answer=True,
        extra={"answer_statuses": answer_sources(AnswerStatus.PUBLISHED), "target": CaseStatus.PUBLISHED},
    ),
)

# Shown in the card's place panel under the map, not among the actions.
PLACE_ACTION = ActionSpec(
    "place",
    _("Pick the place on the map"),
    CENTER,
    lambda case: case.status not in FINAL and place_is_missing(case),
    PlaceForm,
    help=_("Click the map where the problem is: the territory follows from the point."),
)

ACTIONS_BY_NAME: dict[str, ActionSpec] = {
    spec.name: spec for spec in (*CASE_ACTIONS, *ANSWER_ACTIONS, PLACE_ACTION)
}


def available_actions(case: Case, user: AnyUser) -> list[ActionSpec]:
    """Case-level actions the user may run on the case in its current status."""
    return [spec for spec in CASE_ACTIONS if role_allows(spec.who, user, case) and spec.allowed(case)]


def available_answer_actions(answer: Answer, case: Case, user: AnyUser) -> list[ActionSpec]:
    """Actions on one answer (approve, return, publish) the user may run now."""
    result = []
    for spec in ANSWER_ACTIONS:
        if not role_allows(spec.who, user, case) or answer.status not in spec.extra["answer_statuses"]:
            continue
        if not _answer_transition(answer, case, spec.extra["target"]):
            continue
        if (
            spec.name == "return"
            and answer.kind == AnswerKind.FINAL
            and case.status not in (CaseStatus.ANSWERED, CaseStatus.APPROVED)
        ):
            continue
        result.append(spec)
    return result
