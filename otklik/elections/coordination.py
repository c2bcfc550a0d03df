"""Coordinating observers at scale: the center's calls to observers and the coverage of stations.

**Calls.** A silent station or a doubt makes an operator of the center call the station's observer
(the phones come from the import, shown as ``tel:`` links). Each call is logged — who called which
station, when, the outcome and a note — so the next operator sees that the station was called a
minute ago and what was said, and the day's calls are counted (a national center reported 7,820
calls to observers in one day). The silent-stations list shows each station's latest call.

**Coverage.** By territorial commission: stations, those with an observer, observers, and those who
never signed in (an invitation not used: call them before election day); the stations without an
observer and the observers who never signed in are listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser
from otklik.analytics.figures import percent, summed

from .access import require_observer_calls
from .hotline import PHONE_RE
from .models import (
    REACHED_OUTCOMES,
    CallOutcome,
    Commission,
    Election,
    Observer,
    ObserverCall,
    PollingStation,
)


def log_call(
    *,
    caller: AnyUser,
    election: Election,
    station: PollingStation,
    outcome: str,
    observer: Observer | None = None,
    phone: str = "",
    note: str = "",
    now: datetime | None = None,
) -> ObserverCall:
    """A call to a station's observer (``observer`` one of the station's, or another number
    ``phone``), by an operator of the center."""
    person = require_observer_calls(caller)
    if outcome not in CallOutcome.values:
        raise ValidationError(_("Choose the outcome of the call."))
    if observer is not None and observer.station_id != station.pk:
        raise ValidationError(_("The observer is at another station."))
    phone = (phone or (observer.phone if observer else "")).strip()
    if not PHONE_RE.match(phone):
        raise ValidationError(_("Enter the number called."))
    note = note.strip()
    if outcome == CallOutcome.PROBLEM and len(note) < 5:
        raise ValidationError(_("Say what the problem is."))
    return ObserverCall.objects.create(
        election=election,
        station=station,
        observer=observer,
        phone=phone,
        caller=person,
        outcome=outcome,
        note=note,
        called_at=now or timezone.now(),
    )


def latest_calls(election: Election, station_ids: Iterable[int]) -> dict[int, ObserverCall]:
    """Each station's latest call of the election (stations never called are left out)."""
    wanted = list(station_ids)
    if not wanted:
        return {}
    latest: dict[int, ObserverCall] = {}
    for call in (
        ObserverCall.objects.filter(election=election, station_id__in=wanted)
        .select_related("caller")
        .order_by("station_id", "-called_at", "-pk")
    ):
        latest.setdefault(call.station_id, call)
    return latest


def call_log(
    election: Election, *, outcome: str = "", commission: Commission | None = None
) -> QuerySet[ObserverCall]:
    calls = ObserverCall.objects.filter(election=election)
    if outcome == "unreached":
        calls = calls.exclude(outcome__in=REACHED_OUTCOMES)
    elif outcome in CallOutcome.values:
        calls = calls.filter(outcome=outcome)
    if commission is not None:
        calls = calls.filter(station__commission=commission)
    return calls.select_related("station__commission", "observer__user", "caller").order_by(
        "-called_at", "-pk"
    )


@dataclass
class CallSummary:
    total: int = 0
    reached: int = 0
    stations: int = 0  # stations called at least once
    by_outcome: list[tuple[str, str, int]] = field(default_factory=list)  # (outcome, label, calls)

    @property
    def reached_pct(self) -> float | None:
        return percent(self.reached, self.total)


def call_summary(election: Election) -> CallSummary:
    counts = Counter(
        dict(
            ObserverCall.objects.filter(election=election)
            .values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        )
    )
    stations = ObserverCall.objects.filter(election=election).values("station").distinct().count()
    return CallSummary(
        total=sum(counts.values()),
        reached=sum(counts[o] for o in REACHED_OUTCOMES),
        stations=stations,
        by_outcome=[(value, str(label), counts[value]) for value, label in CallOutcome.choices],
    )


# --- coverage ------------------------------------------------------------------------------------


@dataclass
class CoverageRow:
    commission: Commission
    stations: int = 0
    covered: int = 0  # stations with at least one observer
    observers: int = 0
    signed_in: int = 0  # observers who have ever signed in

    @property
    def uncovered(self) -> int:
        return self.stations - self.covered

    @property
    def never_signed_in(self) -> int:
        return self.observers - self.signed_in

    @property
    def covered_pct(self) -> float | None:
        return percent(self.covered, self.stations)


@dataclass
class Coverage:
    rows: list[CoverageRow]
    uncovered: list[PollingStation]  # stations without an observer (the first ``limit``)
    never_signed_in: list[Observer]  # observers who never signed in (the first ``limit``)

    total_stations = summed("stations")
    total_covered = summed("covered")
    total_uncovered = summed("uncovered")
    total_observers = summed("observers")
    total_never_signed_in = summed("never_signed_in")

    @property
    def covered_pct(self) -> float | None:
        return percent(self.total_covered, self.total_stations)


def coverage(*, commission: Commission | None = None, limit: int = 200) -> Coverage:
    """Stations and observers by territorial commission (one commission's, if given)."""
    commissions = Commission.objects.order_by("name")
    stations = PollingStation.objects.all()
    observers = Observer.objects.all()
    if commission is not None:
        commissions = commissions.filter(pk=commission.pk)
        stations = stations.filter(commission=commission)
        observers = observers.filter(station__commission=commission)
    rows = {c.pk: CoverageRow(c) for c in commissions}
    # One row per station and observer after the join: count stations once each.
    for commission_id, total, covered in (
        stations.values_list("commission")
        .annotate(
            total=Count("pk", distinct=True),
            covered=Count("pk", filter=Q(observers__isnull=False), distinct=True),
        )
        .values_list("commission", "total", "covered")
    ):
        rows[commission_id].stations, rows[commission_id].covered = total, covered
    for commission_id, total, signed in (
        observers.values_list("station__commission")
        .annotate(total=Count("pk"), signed=Count("pk", filter=Q(user__last_login__isnull=False)))
        .values_list("station__commission", "total", "signed")
    ):
        rows[commission_id].observers, rows[commission_id].signed_in = total, signed
    return Coverage(
        rows=[r for r in rows.values() if r.stations or r.observers],
        uncovered=list(
            stations.filter(observers__isnull=True).select_related("commission").order_by("number")[:limit]
        ),
        never_signed_in=list(
            observers.filter(user__last_login__isnull=True, user__is_active=True)
            .select_related("user", "station__commission")
            .order_by("station__number", "pk")[:limit]
        ),
    )
