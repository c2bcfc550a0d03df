"""The incoming queue: filters, quick tabs with counts and sorting over ``Case.objects.visible_to``.

Views parse ``request.GET`` into :class:`QueueFilterForm` and call :func:`queue_cases`; nothing here
reaches cases except through the queryset the caller passes in (already scoped to the user).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db import connection
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Agency, Category, Territory

from .choices import AWAITING_AGENCY, CaseStatus
from .models import CaseQuerySet

PAGE_SIZE = 50


def overdue_q(now: datetime) -> Q:
    """Cases an agency still owes an answer on, past their deadline (as ``Case.objects.overdue``)."""
    return Q(status__in=AWAITING_AGENCY, deadline_at__lt=now)


@dataclass(frozen=True)
class Tab:
    key: str
    label: Any

    def q(self, now: datetime) -> Q:
        if self.key == "overdue":
            return overdue_q(now)
        statuses = TAB_STATUSES.get(self.key)
        return Q() if statuses is None else Q(status__in=statuses)


TAB_STATUSES: dict[str, frozenset[str]] = {
    "moderation": frozenset({CaseStatus.NEW, CaseStatus.MODERATION, CaseStatus.REDIRECTED}),
    "assigned": frozenset({CaseStatus.ASSIGNED, CaseStatus.REOPENED}),
    "in_progress": frozenset({CaseStatus.IN_PROGRESS, CaseStatus.ESCALATED}),
    "approval": frozenset({CaseStatus.ANSWERED, CaseStatus.APPROVED}),
}

TABS: tuple[Tab, ...] = (
    Tab("moderation", _("Moderation")),
    Tab("assigned", _("Assigned")),
    Tab("in_progress", _("In progress")),
    Tab("approval", _("Awaiting approval")),
    Tab("overdue", _("Overdue")),
    Tab("all", _("All")),
)
TAB_KEYS = tuple(t.key for t in TABS)
DEFAULT_TAB = "all"

SORTS: dict[str, tuple[Any, list[Any]]] = {
    "newest": (_("Newest first"), ["-created_at", "-id"]),
    "deadline": (_("Deadline soonest"), [F("deadline_at").asc(nulls_last=True), "-created_at", "-id"]),
    "messages": (_("Most messages"), ["-message_count", "-created_at", "-id"]),
    "urgent": (
        _("Urgent first"),
        ["-is_urgent", F("deadline_at").asc(nulls_last=True), "-created_at", "-id"],
    ),
    # The moderation queue worked from the least certain automatic decision up (issue: understanding).
    "uncertain": (
        _("Least certain first"),
        [F("category_confidence").asc(nulls_first=True), "-created_at", "-id"],
    ),
}
DEFAULT_SORT = "newest"


class TerritoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Territory) -> str:
        return obj.name


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"— {obj.name}" if obj.parent_id else obj.name


def category_tree() -> Any:
    """Active categories, each top category followed by its subcategories, in one query."""
    return (
        Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by(
            Coalesce("parent__order", "order"),
            Coalesce("parent__name", "name"),
            F("parent_id").asc(nulls_first=True),
            "order",
            "name",
        )
    )


class QueueFilterForm(forms.Form):
    """Everything the queue can be narrowed by; every field is optional and invalid values are ignored."""

    tab = forms.ChoiceField(
        choices=[(t.key, t.label) for t in TABS], required=False, widget=forms.HiddenInput
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *CaseStatus.choices]
    )
    category = CategoryChoiceField(
        label=_("Category"), required=False, empty_label=_("Any category"), queryset=Category.objects.none()
    )
    territory = TerritoryChoiceField(
        label=_("Territory"),
        required=False,
        empty_label=_("Any territory"),
        queryset=Territory.objects.none(),
    )
    agency = forms.ModelChoiceField(
        label=_("Agency"), required=False, empty_label=_("Any agency"), queryset=Agency.objects.none()
    )
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(key, label) for key, (label, _order) in SORTS.items()]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = dict(self.fields)
        fields["category"].queryset = category_tree()
        fields["territory"].queryset = Territory.objects.filter(
            kind__in=[TerritoryKind.REGION, TerritoryKind.DISTRICT, TerritoryKind.OKRUG]
        ).order_by("kind", "name")
        fields["agency"].queryset = Agency.objects.order_by("name")

    def cleaned(self) -> dict[str, Any]:
        """Valid values only: a bad parameter in the URL narrows nothing instead of failing the page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {}) or {}
        return {name: data.get(name) for name in self.fields if name not in self.errors}


def _as_shown(field: str, match: Callable[[str], Q]) -> Q:
    """Match what the queue shows in a column: the decided value or, while none is decided, the
    pipeline's suggestion (a moderator filters the waiting cases by what was suggested)."""
    return match(field) | (Q(**{f"{field}__isnull": True}) & match(f"suggested_{field}"))


def apply_filters(qs: CaseQuerySet, params: dict[str, Any], now: datetime) -> CaseQuerySet:
    """Every filter except the tab (so the tab counts stay meaningful)."""
    if params.get("status"):
        qs = qs.filter(status=params["status"])
    if category := params.get("category"):
        qs = qs.filter(_as_shown("category", lambda f: Q(**{f: category}) | Q(**{f"{f}__parent": category})))
    if territory := params.get("territory"):
        qs = qs.filter(
            _as_shown(
                "territory",
                lambda f: (
                    Q(**{f: territory})
                    | Q(**{f"{f}__parent": territory})
                    | Q(**{f"{f}__parent__parent": territory})
                ),
            )
        )
    if agency := params.get("agency"):
        qs = qs.filter(_as_shown("agency", lambda f: Q(**{f: agency})))
    if params.get("channel"):
        qs = qs.filter(channel=params["channel"])
    if params.get("overdue"):
        qs = qs.filter(overdue_q(now))
    if text := (params.get("q") or "").strip():
        condition = Q(number__icontains=text)
        for variant in _case_variants(text):
            condition |= (
                Q(title__icontains=variant) | Q(text__icontains=variant) | Q(address__icontains=variant)
            )
        qs = qs.filter(condition)
    return qs


def _case_variants(text: str) -> list[str]:
    """SQLite's LIKE folds only ASCII case; try the usual Cyrillic spellings there (PostgreSQL needs one)."""
    if connection.vendor != "sqlite":
        return [text]
    return list(dict.fromkeys([text, text.lower(), text.upper(), text.capitalize(), text.title()]))


def tab_counts(qs: CaseQuerySet, now: datetime) -> dict[str, int]:
    """How many cases each quick tab holds, in one aggregate query."""
    aggregates = {tab.key: Count("pk", filter=tab.q(now)) for tab in TABS}
    return qs.aggregate(**aggregates)


@dataclass
class QueueResult:
    cases: CaseQuerySet
    counts: dict[str, int]
    tab: str
    sort: str
    params: dict[str, Any]


def queue_cases(
    visible: CaseQuerySet, data: Any, *, now: datetime | None = None
) -> tuple[QueueFilterForm, QueueResult]:
    """Filter, count and sort the cases the user may see; ``data`` is ``request.GET``."""
    now = now or timezone.now()
    form = QueueFilterForm(data)
    params = form.cleaned()
    tab: str = params["tab"] if params.get("tab") in TAB_KEYS else DEFAULT_TAB
    sort: str = params["sort"] if params.get("sort") in SORTS else DEFAULT_SORT
    filtered = apply_filters(visible, params, now)
    counts = tab_counts(filtered, now)
    current = next(t for t in TABS if t.key == tab)
    cases = (
        filtered.filter(current.q(now))
        .select_related(
            "category",
            "category__parent",
            "territory",
            "agency",
            # what the pipeline suggests, shown until a moderator decides
            "suggested_category",
            "suggested_category__parent",
            "suggested_territory",
            "suggested_agency",
        )
        .order_by(*SORTS[sort][1])
    )
    return form, QueueResult(cases=cases, counts=counts, tab=tab, sort=sort, params=params)
