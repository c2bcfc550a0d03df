"""The question every analytics page answers: a period, and optionally a territory, category, channel."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Category, Territory

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Scope:
    date_from: date
    date_to: date  # inclusive
    territory: int | None = None  # a municipality id
    category: int | None = None  # a top category id
    subcategory: int | None = None
    channel: str | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> Scope:
        """The period of the same length just before this one."""
        return replace(
            self, date_from=self.date_from - timedelta(days=self.days), date_to=self.date_from - timedelta(1)
        )

    def q(self, *, territory: bool = True, subcategory: bool = True) -> Q:
        """Conditions on a rollup table keyed by day, territory, category, subcategory and channel."""
        return Q(day__gte=self.date_from, day__lte=self.date_to) & self.filters(
            territory=territory, subcategory=subcategory
        )

    def filters(self, *, territory: bool = True, subcategory: bool = True) -> Q:
        """The same conditions without the period (for a daily or a monthly table)."""
        cond = Q()
        if territory and self.territory:
            cond &= Q(territory=self.territory)
        if self.category:
            cond &= Q(category=self.category)
        if subcategory and self.subcategory:
            cond &= Q(subcategory=self.subcategory)
        if self.channel:
            cond &= Q(channel=self.channel)
        return cond

    def filter_dimensions(self, *, territory: bool = True, subcategory: bool = True) -> set[str]:
        dims = set()
        if territory and self.territory:
            dims.add("territory")
        if self.category:
            dims.add("category")
        if subcategory and self.subcategory:
            dims.add("subcategory")
        if self.channel:
            dims.add("channel")
        return dims

    def area(self, *group: str, territory: bool = True, subcategory: bool = True) -> Any:
        """The rows of the smallest area rollup that can group by ``group`` under this scope's filters."""
        from .rollups import cube_for

        model = cube_for({*group, *self.filter_dimensions(territory=territory, subcategory=subcategory)})
        return model.objects.filter(self.q(territory=territory, subcategory=subcategory))

    def sums(
        self,
        group: Sequence[str],
        measures: Sequence[str],
        *,
        territory: bool = True,
        subcategory: bool = True,
    ) -> dict[tuple[Any, ...], dict[str, int]]:
        """``{group values: {measure: sum}}`` over the period, from the smallest area rollup that can
        answer: its monthly twin for the whole months, the daily table for the edges."""
        from .periods import parts, sum_parts
        from .rollups import cube_for

        dims = {*group, *self.filter_dimensions(territory=territory, subcategory=subcategory)}
        querysets = parts(
            cube_for(dims),
            cube_for(dims, monthly=True),
            self.date_from,
            self.date_to,
            self.filters(territory=territory, subcategory=subcategory),
        )
        return sum_parts(querysets, group, measures)

    def case_params(self) -> dict[str, Any]:
        """The same filters as parameters of the one case filter (otklik.cases.filters.CaseFilter), for
        the drill-down from a figure to its cases in the queue. It matches cases as the rollups count
        them: by the decided category and territory or, while none is decided, the suggested ones."""
        params: dict[str, Any] = {}
        if self.subcategory or self.category:
            params["category"] = self.subcategory or self.category
        if self.channel:
            params["channel"] = self.channel
        if self.territory:
            params["territory"] = self.territory
        return params


def today() -> date:
    return timezone.localdate()


class ScopeForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    territory = forms.TypedChoiceField(label=_("Territory"), required=False, coerce=int, empty_value=None)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any channel")), *Channel.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        territory: Any = self.fields["territory"]
        territory.choices = [
            ("", _("Whole region")),
            *municipalities().values_list("pk", "name"),
        ]
        rows = list(
            Category.objects.filter(is_active=True)
            .order_by("order", "name")
            .values_list("pk", "parent_id", "name")
        )
        by_parent: dict[int, list[tuple[int, str]]] = {}
        for pk, parent, name in rows:
            if parent:
                by_parent.setdefault(parent, []).append((pk, f"— {name}"))
        ordered: list[tuple[Any, str]] = [("", str(_("Any category")))]
        for pk, parent, name in rows:
            if not parent:
                ordered.append((pk, name))
                ordered.extend(by_parent.get(pk, []))
        category: Any = self.fields["category"]
        category.choices = ordered

    def scope(self) -> Scope:
        self.is_valid()
        data = {k: v for k, v in (getattr(self, "cleaned_data", {}) or {}).items() if k not in self.errors}
        end = data.get("date_to") or today()
        start = data.get("date_from") or default_scope(end).date_from
        if start > end:
            start, end = end, start
        start = max(start, end - timedelta(days=MAX_DAYS))
        category = subcategory = None
        if data.get("category"):
            parent = Category.objects.filter(pk=data["category"]).values_list("parent_id", flat=True).first()
            if parent:
                category, subcategory = parent, data["category"]
            else:
                category = data["category"]
        return Scope(
            date_from=start,
            date_to=end,
            territory=data.get("territory") or None,
            category=category,
            subcategory=subcategory,
            channel=data.get("channel") or None,
        )


def default_scope(day: date | None = None) -> Scope:
    """What a page shows with no filters: the whole region, the last DEFAULT_DAYS days to ``day``."""
    end = day or today()
    return Scope(date_from=end - timedelta(days=DEFAULT_DAYS - 1), date_to=end)


def municipalities() -> Any:
    return Territory.objects.filter(kind__in=[TerritoryKind.DISTRICT, TerritoryKind.OKRUG]).order_by("name")


def scope_from(data: Any) -> tuple[ScopeForm, Scope]:
    form = ScopeForm(data)
    return form, form.scope()
