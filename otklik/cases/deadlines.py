"""Deadlines: pick the policy for a case and compute when the agency must answer.

The arithmetic is :mod:`otklik.cases.calendar` (pure); this module adds the database: the active
``DeadlinePolicy`` rows and the ``CalendarDay`` overrides, read once per process and rebuilt when a
calendar day is saved or deleted in any process (:class:`otklik.caching.ProcessCache`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Min, Q
from django.dispatch import receiver

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.choices import SOCIAL_CHANNELS, DeadlineClock, DeadlineUnit
from otklik.directory.models import CalendarDay, Category, DeadlinePolicy

from .calendar import WorkingCalendar, WorkingHours

if TYPE_CHECKING:
    from .models import Case

# Without a matching policy an agency has one working day.
DEFAULT_AMOUNT = 1
DEFAULT_UNIT = DeadlineUnit.WORKING_DAYS


@dataclass(frozen=True)
class DeadlineResult:
    policy: DeadlinePolicy | None
    deadline_at: datetime
    interim_deadline_at: datetime | None


# --- the calendar -------------------------------------------------------------------------------------


def build_calendar() -> WorkingCalendar:
    """The production calendar with the database's overrides, the project's zone and office hours."""
    overrides = dict(CalendarDay.objects.values_list("date", "kind"))
    hours = WorkingHours.parse(
        getattr(settings, "OTKLIK_WORKDAY_START", "09:00"),
        getattr(settings, "OTKLIK_WORKDAY_END", "18:00"),
        getattr(settings, "OTKLIK_LUNCH_START", "13:00"),
        getattr(settings, "OTKLIK_LUNCH_END", "14:00"),
    )
    return WorkingCalendar(overrides, hours=hours, tz=settings.TIME_ZONE)


calendar_cache = ProcessCache("calendar", build=build_calendar)
bump_on_change("calendar", CalendarDay)


def get_calendar() -> WorkingCalendar:
    return calendar_cache.get()


@receiver(setting_changed, dispatch_uid="otklik.cases.deadlines.setting_changed")
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "TIME_ZONE" or setting.startswith(("OTKLIK_WORKDAY_", "OTKLIK_LUNCH_")):
        calendar_cache.clear()


# --- policies -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyParams:
    """What a policy is chosen by, for callers that have no case yet."""

    channel: str = ""
    category: Category | None = None
    is_urgent: bool = False


def _param(subject: Any, name: str, default: Any = None) -> Any:
    if isinstance(subject, Mapping):
        return subject.get(name, default)
    return getattr(subject, name, default)


def _specificity(
    policy: DeadlinePolicy, channel: str, category: Category | None
) -> tuple[int, int, int, int, int]:
    """Higher wins: category (exact > its parent > any), channel (exact > any social > any),
    urgent-only, then the policy's priority, then the older policy."""
    if policy.category_id is None:
        category_level = 0
    elif category is not None and policy.category_id == category.pk:
        category_level = 2
    else:
        category_level = 1
    if policy.channel and policy.channel == channel:
        channel_level = 2
    elif policy.social_only:
        channel_level = 1
    else:
        channel_level = 0
    return (category_level, channel_level, int(policy.urgent_only), policy.priority, -(policy.pk or 0))


def matches(policy: DeadlinePolicy, channel: str, category: Category | None, is_urgent: bool) -> bool:
    if not policy.is_active:
        return False
    if policy.channel and policy.channel != channel:
        return False
    if policy.social_only and channel not in SOCIAL_CHANNELS:
        return False
    if policy.urgent_only and not is_urgent:
        return False
    if policy.category_id is not None:
        ids = {category.pk, category.parent_id} if category is not None else set()
        if policy.category_id not in ids:
            return False
    return True


def pick_policy(
    case_or_params: Case | PolicyParams | Mapping[str, Any],
    *,
    policies: Iterable[DeadlinePolicy] | None = None,
) -> DeadlinePolicy | None:
    """The most specific active policy for a case (or its channel, category, urgency); None if none fits."""
    channel = _param(case_or_params, "channel") or ""
    category: Category | None = _param(case_or_params, "category")
    is_urgent = bool(_param(case_or_params, "is_urgent", False))
    if policies is None:
        category_ids = [pk for pk in (category.pk, category.parent_id) if pk] if category is not None else []
        qs = DeadlinePolicy.objects.filter(is_active=True).filter(Q(channel="") | Q(channel=channel))
        qs = qs.filter(Q(category__isnull=True) | Q(category_id__in=category_ids))
        if channel not in SOCIAL_CHANNELS:
            qs = qs.filter(social_only=False)
        if not is_urgent:
            qs = qs.filter(urgent_only=False)
        policies = qs
    candidates = [p for p in policies if matches(p, channel, category, is_urgent)]
    if not candidates:
        return None
    return max(candidates, key=lambda p: _specificity(p, channel, category))


def add_term(start: datetime, amount: int, unit: str, calendar: WorkingCalendar | None = None) -> datetime:
    """``start`` plus a term in one of the ``DeadlineUnit`` units, over the production calendar."""
    cal = calendar or get_calendar()
    if unit == DeadlineUnit.HOURS:
        return cal.add_calendar(start, hours=amount)
    if unit == DeadlineUnit.WORKING_HOURS:
        return cal.add_working_hours(start, amount)
    if unit == DeadlineUnit.DAYS:
        return cal.add_calendar(start, days=amount)
    if unit == DeadlineUnit.WORKING_DAYS:
        return cal.add_working_days(start, amount)
    raise ValueError(f"Unknown deadline unit: {unit!r}")


def deadline_from_policy(
    policy: DeadlinePolicy | None, start: datetime, calendar: WorkingCalendar | None = None
) -> DeadlineResult:
    """The final (and interim, if the policy asks for one) deadline of a policy counted from ``start``."""
    cal = calendar or get_calendar()
    if policy is None:
        return DeadlineResult(None, add_term(start, DEFAULT_AMOUNT, DEFAULT_UNIT, cal), None)
    interim = None
    if policy.interim_amount and policy.interim_unit:
        interim = add_term(start, policy.interim_amount, policy.interim_unit, cal)
    return DeadlineResult(policy, add_term(start, policy.amount, policy.unit, cal), interim)


def clock_start(case: Case, policy: DeadlinePolicy | None, now: datetime) -> datetime:
    """When the policy's clock started for the case: its registration (the case's creation), its first
    post, or ``now`` (the assignment; also without a policy). Never after ``now``."""
    clock = policy.clock_start if policy is not None else DeadlineClock.ASSIGNMENT
    if clock == DeadlineClock.REGISTRATION and case.created_at:
        return min(case.created_at, now)
    if clock == DeadlineClock.POSTED:
        posted = case.messages.aggregate(first=Min("posted_at"))["first"] if case.pk else None  # type: ignore[attr-defined]
        start = posted or case.created_at
        return min(start, now) if start else now
    return now


def deadline_for_case(case: Case, now: datetime, *, restart: bool = False) -> tuple[DeadlineResult, datetime]:
    """When the agency must answer a case routed at ``now``, and when its clock started: as its policy
    says, or at ``now`` when ``restart`` (a reopened case); without a policy, one working day."""
    policy = pick_policy(case)
    start = now if restart else clock_start(case, policy, now)
    return deadline_from_policy(policy, start), start


def working_minutes(start: datetime, end: datetime) -> int:
    """Time to answer in working minutes of the production calendar."""
    return get_calendar().working_minutes_between(start, end)
