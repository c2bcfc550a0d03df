"""The one case filter (:class:`CaseFilter`, a django-filter FilterSet) and the incoming queue built on
it: quick tabs with counts and sorting over ``Case.objects.visible_to``.

The queue, the REST API, case exports and the analytics drill-down all filter cases with
:class:`CaseFilter`; nothing here reaches cases except through the queryset the caller passes in
(already scoped to the user).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Agency, Category, Territory

from .choices import AWAITING_AGENCY, CaseStatus
from .counts import Counts, filter_digest, shared_counts
from .models import Case, CaseQuerySet
from .search import search_cases

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


def territory_label(obj: Territory) -> str:
    return obj.name


def category_label(obj: Category) -> str:
    return f"— {obj.name}" if obj.parent_id else obj.name


class TerritoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Territory) -> str:
        return territory_label(obj)


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return category_label(obj)


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


# --- the one case filter -------------------------------------------------------------------------


def shown_q(field: str, match: Callable[[str], Q]) -> Q:
    """Match a case by the value it shows for ``field`` (category, territory, agency): the decided one
    or, while none is decided, the pipeline's suggestion (docs/decisions/0006-one-case-filter.md)."""
    return match(field) | (Q(**{f"{field}__isnull": True}) & match(f"suggested_{field}"))


class QuickSelect(forms.Select):
    """Django's select, rendered in Python with the same markup: its template includes a template per
    option, and even its option dicts (``optgroups``) cost more than the options' markup, which made
    the queue's filter form (every category, territory and agency) a large share of the page's CPU."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> Any:
        widget = forms.Widget.get_context(self, name, value, attrs)["widget"]  # no option dicts
        chosen = set(widget["value"])
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        has_selected = False
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # an option group: Django's own way
                return super().render(name, value, attrs, renderer)
            text = "" if option_value is None else str(option_value)
            selected = (not has_selected or self.allow_multiple_selected) and text in chosen
            has_selected |= selected
            parts.append(self.option_markup(text, str(label), selected))
        parts.append("</select>")
        return mark_safe("".join(parts))  # every value and label is escaped in option_markup

    def option_markup(self, text: str, label: str, selected: bool) -> str:
        """One option's markup, its value and label escaped."""
        return f'<option value="{escape(text)}"{" selected" if selected else ""}>{escape(label)}</option>'


class YesNoWidget(forms.CheckboxInput):
    """A tick box in a form; in a URL ``true``/``false`` (and ``1``/``0``, ``yes``/``no``, ``on``/``off``).
    No value means "either", never "no"."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, check_test=lambda v: str(v).strip().lower() in YES)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


YES = frozenset({"true", "1", "yes", "on"})
NO = frozenset({"false", "0", "no", "off"})


class YesNoField(forms.Field):
    widget = YesNoWidget

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in YES or text in NO:
            return text in YES
        raise forms.ValidationError(_("Give true or false."), code="invalid")


class YesNoFilter(django_filters.Filter):
    field_class = YesNoField


class ChoicesFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """One value or several separated by commas (``assigned,in_progress``); each must be a choice."""


class OfferedChoiceIterator(ModelChoiceIterator):
    def __init__(self, field: forms.ModelChoiceField) -> None:
        super().__init__(field)
        offered = getattr(field, "offered", None)
        if offered is not None:
            self.queryset = offered


class OfferedChoices:
    """A model choice field that accepts any row but offers (renders) only some."""

    iterator: type[ModelChoiceIterator] = OfferedChoiceIterator
    offered: Any = None

    def offer(self, queryset: Any) -> None:
        field: Any = self
        self.offered = queryset
        field.widget.choices = field.choices


class OfferedCategoryField(OfferedChoices, CategoryChoiceField):
    pass


class OfferedTerritoryField(OfferedChoices, TerritoryChoiceField):
    pass


class OfferedAgencyField(OfferedChoices, forms.ModelChoiceField):
    pass


class CategoryFilter(django_filters.ModelChoiceFilter):
    field_class = OfferedCategoryField


class TerritoryFilter(django_filters.ModelChoiceFilter):
    field_class = OfferedTerritoryField


class AgencyFilter(django_filters.ModelChoiceFilter):
    field_class = OfferedAgencyField


class CaseFilter(django_filters.FilterSet):
    """The one filter over cases: the operator queue, the REST API, case exports and the analytics
    drill-down all narrow ``Case.objects.visible_to(user)`` with it (it never widens a scope).

    Category, territory and agency match by the value a case shows — decided, or while none is
    decided, suggested — and a category covers its subcategories, a territory the places under it.
    ``.qs`` ignores a bad parameter (the queue narrows nothing for it); ``is_valid()`` and ``errors``
    name it (the API answers 400, an export refuses to start)."""

    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=200)
    status = ChoicesFilter(
        label=_("Status"), choices=CaseStatus.choices, empty_label=_("Any status"), widget=QuickSelect
    )
    category = CategoryFilter(
        label=_("Category"),
        queryset=Category.objects.all(),
        method="by_category",
        empty_label=_("Any category"),
        widget=QuickSelect,
        help_text=_("A top category covers its subcategories."),
    )
    territory = TerritoryFilter(
        label=_("Territory"),
        queryset=Territory.objects.all(),
        method="by_territory",
        empty_label=_("Any territory"),
        widget=QuickSelect,
        help_text=_("A district covers its settlements."),
    )
    agency = AgencyFilter(
        label=_("Agency"),
        queryset=Agency.objects.all(),
        method="by_agency",
        empty_label=_("Any agency"),
        widget=QuickSelect,
    )
    channel = ChoicesFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("Any channel"), widget=QuickSelect
    )
    overdue = YesNoFilter(
        label=_("Overdue only"),
        method="by_overdue",
        help_text=_("true: awaiting the agency past the deadline; false: all others."),
    )

    def __init__(
        self, data: Any = None, queryset: Any = None, *, now: datetime | None = None, **kw: Any
    ) -> None:
        super().__init__(data, queryset if queryset is not None else Case.objects.all(), **kw)
        self.now = now or timezone.now()

    # A category or territory matches with the rows under it: their ids are read first (a small query
    # of the directory), so the cases are filtered by their own columns — no join to the directory
    # that would make a count at millions of cases read every case (issue 13, item 6).

    def by_category(self, qs: CaseQuerySet, name: str, value: Category) -> CaseQuerySet:
        ids = list(Category.objects.filter(Q(pk=value.pk) | Q(parent=value.pk)).values_list("pk", flat=True))
        return qs.filter(shown_q("category", lambda f: Q(**{f"{f}_id__in": ids})))

    def by_territory(self, qs: CaseQuerySet, name: str, value: Territory) -> CaseQuerySet:
        ids = list(
            Territory.objects.filter(
                Q(pk=value.pk) | Q(parent=value.pk) | Q(parent__parent=value.pk)
            ).values_list("pk", flat=True)
        )
        return qs.filter(shown_q("territory", lambda f: Q(**{f"{f}_id__in": ids})))

    def by_agency(self, qs: CaseQuerySet, name: str, value: Agency) -> CaseQuerySet:
        return qs.filter(shown_q("agency", lambda f: Q(**{f: value})))

    def by_overdue(self, qs: CaseQuerySet, name: str, value: bool | None) -> CaseQuerySet:
        if value is None:
            return qs
        return qs.filter(overdue_q(self.now)) if value else qs.exclude(overdue_q(self.now))

    def search(self, qs: CaseQuerySet, name: str, value: str) -> CaseQuerySet:
        text = value.strip()
        return search_cases(qs, text) if text else qs

    def offer_queue_choices(self, directory: QueueDirectory | None = None) -> CaseFilter:
        """The queue's form offers the category tree, the region and its municipalities, and the
        agencies by name (kept in the process, :data:`queue_directory`) — and the chosen value,
        wherever it came from (any value still filters)."""
        offered = (directory or queue_directory.get()).offered
        for name, options in offered.items():
            field: Any = self.form.fields[name]
            chosen = str(self.data.get(name) or "") if self.data is not None else ""
            if chosen.isdigit() and int(chosen) not in options.ids:
                # a value the form does not offer (a settlement, an inactive category): in its place
                field.offer(QUEUE_OFFERS[name]() | field.queryset.model.objects.filter(pk=int(chosen)))
            else:
                field.widget.choices = [("", field.empty_label), *options.choices]
        return self


QUEUE_OFFERS: dict[str, Callable[[], Any]] = {
    "category": category_tree,
    "territory": lambda: Territory.objects.filter(
        kind__in=[TerritoryKind.REGION, TerritoryKind.DISTRICT, TerritoryKind.OKRUG]
    ).order_by("kind", "name"),
    "agency": lambda: Agency.objects.order_by("name"),
}
QUEUE_LABELS: dict[str, Callable[[Any], str]] = {
    "category": category_label,
    "territory": territory_label,
    "agency": str,
}


@dataclass(frozen=True)
class Offered:
    choices: list[tuple[int, str]]
    ids: frozenset[int]


@dataclass(frozen=True)
class QueueDirectory:
    """What the queue shows of the directory, by id: the form's options, and the names a row prints
    for its category (with its parent's), territory and agency — so the page's cases are read
    without joining eight directory rows to each (at 50 rows most of the page's ORM time)."""

    offered: dict[str, Offered]
    categories: dict[int, tuple[str, str]]  # id → (name, the parent's name or "")
    territories: dict[int, str]
    agencies: dict[int, str]
    # the case card's selects (forms.py): every territory by name, the active agencies by name
    card_territories: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    card_agencies: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    # the territories with an outline (the card's map reads the one it draws)
    outlined: frozenset[int] = frozenset()


def _build_directory() -> QueueDirectory:
    offered = {}
    for name, queryset in QUEUE_OFFERS.items():
        label = QUEUE_LABELS[name]
        choices = [(obj.pk, label(obj)) for obj in queryset()]
        offered[name] = Offered(choices, frozenset(pk for pk, _label in choices))
    return QueueDirectory(
        offered=offered,
        categories={
            pk: (name, parent or "")
            for pk, name, parent in Category.objects.values_list("pk", "name", "parent__name")
        },
        territories=dict(Territory.objects.values_list("pk", "name")),
        # as Agency.__str__
        agencies={
            pk: short or name for pk, name, short in Agency.objects.values_list("pk", "name", "short_name")
        },
        card_territories=[(obj.pk, territory_label(obj)) for obj in Territory.objects.order_by("name")],
        card_agencies=[(obj.pk, str(obj)) for obj in Agency.objects.filter(is_active=True).order_by("name")],
        outlined=frozenset(Territory.objects.filter(geometry__isnull=False).values_list("pk", flat=True)),
    )


# The queue's directory, read once per process and again when a category, territory or agency is
# saved or deleted (every page asked for its options: three queries and a model per option; and
# each row joined its eight directory rows).
DIRECTORY = "cases.queue-offers"
bump_on_change(DIRECTORY, Category, Territory, Agency)
queue_directory = ProcessCache(DIRECTORY, build=_build_directory, max_age=600)


# The "all" tab and the paginator of a tab without a status count at most this many cases (200 pages):
# beyond it they say "more than", so a page never counts the whole history of the region.
COUNT_CAP = 10_000
# The statuses the working tabs hold: cases still being worked on, however many were ever closed.
WORKING = frozenset().union(*TAB_STATUSES.values(), AWAITING_AGENCY)


def bounded_count(qs: CaseQuerySet, cap: int | None = None) -> tuple[int, bool]:
    """How many rows ``qs`` holds, counting at most ``cap`` (:data:`COUNT_CAP`) + 1 of them: (count,
    more than ``cap``)."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by()[: cap + 1].count()
    return min(n, cap), n > cap


def tab_counts(qs: CaseQuerySet, now: datetime) -> tuple[dict[str, int], set[str]]:
    """How many cases each quick tab holds, and the tabs whose count is "more than" that.

    The working tabs are counted in one query over the working statuses only (the status index
    reaches them without reading closed cases); "all" is a bounded count. So the cost follows the
    cases at work and the cap, never the number of cases ever stored."""
    rows = (
        qs.filter(status__in=WORKING)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(deadline_at__lt=now)))
    )
    by_status = {row["status"]: (row["n"], row["late"]) for row in rows}
    counts: dict[str, int] = {}
    for tab in TABS:
        statuses = TAB_STATUSES.get(tab.key)
        if statuses is not None:
            counts[tab.key] = sum(by_status.get(s, (0, 0))[0] for s in statuses)
    counts["overdue"] = sum(by_status.get(s, (0, 0))[1] for s in AWAITING_AGENCY)
    counts["all"], more = bounded_count(qs)
    return counts, {"all"} if more else set()


@dataclass
class QueueResult:
    cases: CaseQuerySet
    counts: dict[str, int]
    tab: str
    sort: str
    more: set[str]  # the tabs with more cases than their count says (COUNT_CAP)
    directory: QueueDirectory  # names the rows' category, territory and agency
    counted_at: float = 0.0  # when the counts were counted (time.time()); see otklik.cases.counts

    @property
    def total(self) -> tuple[int, bool]:
        """The current tab's count for the paginator, and whether there are more."""
        return self.counts[self.tab], self.tab in self.more


def queue_cases(
    visible: CaseQuerySet,
    data: Any,
    *,
    now: datetime | None = None,
    scope: str | None = None,
    user_id: int | None = None,
) -> tuple[forms.Form, QueueResult]:
    """Filter, count and sort the cases the user may see; ``data`` is ``request.GET``. With the
    ``scope`` ``visible`` was narrowed to (:func:`otklik.cases.access.case_scope`), the counts are
    shared with that scope for a few seconds (:mod:`otklik.cases.counts`; ``user_id``: whose own
    writes they must show)."""
    now = now or timezone.now()
    directory = queue_directory.get()
    filters = CaseFilter(data, visible, now=now).offer_queue_choices(directory)
    filtered: CaseQuerySet = filters.qs
    tab = str(data.get("tab") or "")
    tab = tab if tab in TAB_KEYS else DEFAULT_TAB
    sort = str(data.get("sort") or "")
    sort = sort if sort in SORTS else DEFAULT_SORT
    if scope is None:
        counts, more = tab_counts(filtered, now)
        counted = Counts(counts, frozenset(more), time.time())
    else:
        digest = filter_digest(data, list(CaseFilter.base_filters))
        # counted now, or later beside the request (then as of that moment)
        counted = shared_counts(scope, digest, user_id, lambda: tab_counts(filtered, timezone.now()))
    current = next(t for t in TABS if t.key == tab)
    # the rows' category, territory and agency are named from ``directory``: no join
    cases = filtered.filter(current.q(now)).order_by(*SORTS[sort][1])
    return filters.form, QueueResult(
        cases=cases,
        counts=dict(counted.counts),
        tab=tab,
        sort=sort,
        more=set(counted.more),
        directory=directory,
        counted_at=counted.at,
    )
