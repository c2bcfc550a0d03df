"""The situational center's dashboard: figures per commission and per hour, the stations on its
map, the silent stations to call, the opening checklist's answers, and one station's record.

**Turnout.** The region's turnout is the sum over reporting stations of their latest figure
against their registered voters; at an hour, each station's last figure reported by then counts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy

from otklik.analytics.figures import percent, summed

from . import hotline
from .coordination import latest_calls
from .models import (
    OPEN_INCIDENTS,
    ChecklistQuestion,
    Commission,
    Election,
    Incident,
    Observer,
    ObserverCall,
    PollingStation,
    Report,
    ReportKind,
    VoterCall,
)
from .reports import incident_list


def clock() -> datetime:
    """The dashboard's "now" (a seam: browser tests set the hour of election day they show)."""
    return timezone.now()


@dataclass
class CommissionRow:
    commission: Commission
    stations: int = 0
    registered: int = 0
    opened: int = 0
    closed: int = 0
    voted: int = 0
    registered_reporting: int = 0
    open_incidents: int = 0

    @property
    def turnout_pct(self) -> float | None:
        return percent(self.voted, self.registered_reporting)


@dataclass(frozen=True)
class Silence:
    """A station the center has not heard from as it should have: not opened by 8:15, nothing for
    ``OTKLIK_ELECTIONS_SILENT_HOURS`` while voting, not closed by 20:30."""

    station: PollingStation
    reason: str  # "not_opened", "quiet" or "not_closed"
    since: datetime  # the last report, or when it was due
    phones: tuple[str, ...] = ()
    last_call: ObserverCall | None = None  # the center's latest call to the station's observers

    @property
    def label(self) -> str:
        return str(SILENCE_LABELS[self.reason])


SILENCE_LABELS = {
    "not_opened": gettext_lazy("no report of the opening"),
    "quiet": gettext_lazy("no reports for a long time"),
    "not_closed": gettext_lazy("no report of the closing"),
}


@dataclass
class ChecklistRow:
    question: ChecklistQuestion
    yes: int = 0
    no: list[PollingStation] = field(default_factory=list)  # the stations that answered "no"

    @property
    def answered(self) -> int:
        return self.yes + len(self.no)

    @property
    def yes_pct(self) -> float | None:
        return percent(self.yes, self.answered)


def checklist_summary(election: Election) -> list[ChecklistRow]:
    """Each opening question: how many stations said yes, and which said no (their latest answer)."""
    rows = {q.pk: ChecklistRow(q) for q in ChecklistQuestion.objects.filter(election=election)}
    if not rows:
        return []
    latest: dict[int, tuple[PollingStation, dict[str, bool]]] = {}
    for report in (
        Report.objects.filter(election=election, kind=ReportKind.OPENED)
        .exclude(checklist={})
        .select_related("station")
        .order_by("created_at", "pk")
    ):
        latest[report.station_id] = (report.station, report.checklist)
    for station, answers in latest.values():
        for key, yes in answers.items():
            row = rows.get(int(key))
            if row is None:
                continue
            if yes:
                row.yes += 1
            else:
                row.no.append(station)
    for row in rows.values():
        row.no.sort(key=lambda s: s.number)
    return list(rows.values())


@dataclass
class Dashboard:
    election: Election
    rows: list[CommissionRow] = field(default_factory=list)
    hours: list[tuple[int, float | None]] = field(default_factory=list)  # (local hour, turnout %)
    incidents: list[Incident] = field(default_factory=list)
    points: list[dict[str, Any]] = field(default_factory=list)  # the stations with coordinates
    silent: list[Silence] = field(default_factory=list)  # stations to call, longest silence first

    total_stations = summed("stations")
    total_opened = summed("opened")
    total_closed = summed("closed")
    total_incidents = summed("open_incidents")
    _voted = summed("voted")
    _registered_reporting = summed("registered_reporting")

    @property
    def turnout_pct(self) -> float | None:
        return percent(self._voted, self._registered_reporting)


def by_territory(board: Dashboard) -> list[dict[str, Any]]:
    """The commissions' figures summed per territory (the municipality a ТИК serves), for the map;
    commissions without a territory are left out."""
    groups: dict[int, list[CommissionRow]] = defaultdict(list)
    for row in board.rows:
        if row.commission.territory_id is not None:
            groups[row.commission.territory_id].append(row)
    out = []
    for territory, rows in groups.items():
        voted, registered = sum(r.voted for r in rows), sum(r.registered_reporting for r in rows)
        out.append(
            {
                "id": territory,
                "stations": sum(r.stations for r in rows),
                "opened": sum(r.opened for r in rows),
                "incidents": sum(r.open_incidents for r in rows),
                "turnout": percent(voted, registered),
            }
        )
    return out


def build(election: Election, *, now: datetime | None = None) -> Dashboard:
    """Every figure of the dashboard at ``now``: per commission, per hour, per station for the map,
    the silent stations and the latest incidents."""
    now = now or clock()
    stations = list(PollingStation.objects.select_related("commission"))
    reports = list(
        Report.objects.filter(election=election, created_at__lte=now)
        .order_by("created_at", "pk")
        .values_list("station_id", "kind", "turnout", "created_at")
    )
    opened, closed = set(), set()
    turnout_series: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for station_id, kind, turnout, at in reports:
        if kind == ReportKind.OPENED:
            opened.add(station_id)
        elif kind == ReportKind.CLOSED:
            closed.add(station_id)
        elif kind == ReportKind.TURNOUT and turnout is not None:
            turnout_series[station_id].append((at, turnout))
            opened.add(station_id)  # people vote there: it is open, whether or not "opened" was sent
    open_incidents: dict[int, int] = defaultdict(int)
    open_types: dict[int, set[int]] = defaultdict(set)  # station → the types of its open incidents
    for station_id, type_id in Incident.objects.filter(
        report__election=election, status__in=OPEN_INCIDENTS
    ).values_list("report__station_id", "report__violation_type_id"):
        open_incidents[station_id] += 1
        if type_id is not None:
            open_types[station_id].add(type_id)
    rows: dict[int, CommissionRow] = {}
    registered = {s.pk: s.registered_voters for s in stations}
    for station in stations:
        row = rows.setdefault(station.commission_id, CommissionRow(station.commission))
        row.stations += 1
        row.registered += station.registered_voters
        row.opened += station.pk in opened or station.pk in closed
        row.closed += station.pk in closed
        row.open_incidents += open_incidents.get(station.pk, 0)
        series = turnout_series.get(station.pk)
        if series:
            row.voted += series[-1][1]
            row.registered_reporting += station.registered_voters
    board = Dashboard(election, rows=sorted(rows.values(), key=lambda r: r.commission.name))
    board.hours = _hourly(election, turnout_series, registered, now)
    last_report = {station_id: at for station_id, _kind, _turnout, at in reports}  # in time order
    board.silent = _silent(election, stations, opened, closed, last_report, now)
    quiet = {s.station.pk for s in board.silent}
    board.points = [
        _point(
            station,
            opened,
            closed,
            turnout_series.get(station.pk),
            open_incidents.get(station.pk, 0),
            silent=station.pk in quiet,
            types=open_types.get(station.pk),
        )
        for station in stations
        if station.lat is not None and station.lon is not None
    ]
    board.incidents = list(incident_list(election)[:50])  # new, in work, closed
    return board


def silent_stations(board: Dashboard, commission: Commission | None = None) -> list[Silence]:
    """The board's silent stations (longest silence first), one commission's if given."""
    return [s for s in board.silent if commission is None or s.station.commission_id == commission.pk]


def _silent(
    election: Election,
    stations: list[PollingStation],
    opened: set[int],
    closed: set[int],
    last_report: dict[int, datetime],
    now: datetime,
) -> list[Silence]:
    """Stations with an observer (or that have reported) that the center should call now."""
    tz = timezone.get_current_timezone()
    local = timezone.localtime(now, tz)
    if local.date() != election.day:
        return []
    day = datetime(election.day.year, election.day.month, election.day.day, tzinfo=tz)
    quiet_after = timedelta(hours=float(getattr(settings, "OTKLIK_ELECTIONS_SILENT_HOURS", 2)))
    watched = set(last_report)
    phones: dict[int, list[str]] = defaultdict(list)
    for station_id, phone in Observer.objects.order_by("pk").values_list("station_id", "phone"):
        watched.add(station_id)
        if phone:
            phones[station_id].append(phone)
    out = []
    for station in stations:
        if station.pk not in watched or station.pk in closed:
            continue
        last = last_report.get(station.pk)
        if station.pk not in opened:
            if now >= day + timedelta(hours=8, minutes=15):
                out.append(Silence(station, "not_opened", last or day + timedelta(hours=8)))
        elif now >= day + timedelta(hours=20, minutes=30):
            out.append(Silence(station, "not_closed", day + timedelta(hours=20)))
        elif last is not None and now - last >= quiet_after and now < day + timedelta(hours=20):
            out.append(Silence(station, "quiet", last))
    calls = latest_calls(election, [s.station.pk for s in out])
    out = [
        Silence(s.station, s.reason, s.since, tuple(phones.get(s.station.pk, ())), calls.get(s.station.pk))
        for s in out
    ]
    return sorted(out, key=lambda s: (s.since, s.station.number))


def _point(
    station: PollingStation,
    opened: set[int],
    closed: set[int],
    series: list[tuple[datetime, int]] | None,
    incidents: int,
    *,
    silent: bool = False,
    types: set[int] | None = None,
) -> dict[str, Any]:
    """A station on the dashboard's map: where, whether it is waiting to open, open or counting,
    its last reported turnout (% of its registered voters), its open incidents and their types (for
    the map's filter; only where there are some), whether it is silent."""
    state = "closed" if station.pk in closed else "open" if station.pk in opened else "waiting"
    voters = station.registered_voters
    return {
        "n": station.number,
        "lat": round(station.lat or 0.0, 6),
        "lon": round(station.lon or 0.0, 6),
        "state": state,
        "turnout": round(100 * series[-1][1] / voters, 1) if series and voters else None,
        "incidents": incidents,
        "address": station.address,
        "c": station.commission_id,  # the commissions' names are sent once (map_data)
        "silent": silent,  # the center should call its observer
    } | ({"v": sorted(types)} if types else {})


@dataclass
class StationRecord:
    """One station as the situational center sees it: who observes it and what they reported."""

    station: PollingStation
    observers: list[Observer]
    reports: list[Report]  # of the election, newest first, each with its incident if any
    state: str  # "waiting", "open" or "closed"
    turnout: int | None  # the latest figure
    open_incidents: int
    home_voting: list[VoterCall] = field(default_factory=list)  # hotline requests to vote at home
    calls: list[ObserverCall] = field(default_factory=list)  # the center's calls to its observers

    @property
    def turnout_pct(self) -> float | None:
        voters = self.station.registered_voters
        return round(100 * self.turnout / voters, 1) if self.turnout is not None and voters else None


def find_station(number: str) -> PollingStation | None:
    digits = re.sub(r"\D", "", number or "")
    return PollingStation.objects.filter(number=int(digits)).first() if digits else None


def station_record(
    station: PollingStation, election: Election | None, *, content: bool = True
) -> StationRecord:
    """A station's page. Without ``content`` its reports come without their text, photo and checklist
    (read as empty: for those who call observers, ``access.reads_reports_in_full``)."""
    found = Report.objects.filter(station=station, election=election)
    if not content:
        found = found.defer("text", "photo", "checklist")
    reports = list(
        found.select_related("incident__lawyer", "author", "violation_type").order_by("-created_at", "-pk")
    )
    if not content:
        for report in reports:  # never saved: the page reads them only
            report.text, report.photo, report.checklist = "", None, {}
    kinds = {r.kind for r in reports}
    turnouts = [r.turnout for r in reports if r.kind == ReportKind.TURNOUT and r.turnout is not None]
    state = (
        "closed"
        if ReportKind.CLOSED in kinds
        else "open"
        if kinds & {ReportKind.OPENED, ReportKind.TURNOUT}
        else "waiting"
    )
    incidents = [r.incident for r in reports if hasattr(r, "incident")]
    return StationRecord(
        station=station,
        observers=list(station.observers.select_related("user").order_by("user__last_name", "pk")),
        reports=reports,
        state=state,
        turnout=turnouts[0] if turnouts else None,
        open_incidents=sum(1 for i in incidents if i.status in OPEN_INCIDENTS),
        home_voting=list(hotline.home_voting_requests(election).filter(station=station)),
        calls=list(
            ObserverCall.objects.filter(election=election, station=station)
            .select_related("observer__user", "caller")
            .order_by("-called_at", "-pk")
        ),
    )


def map_data(board: Dashboard) -> dict[str, Any]:
    """What the dashboard's map draws: the districts' figures and the stations with coordinates."""
    names = {row.commission.pk: row.commission.name for row in board.rows}
    return {
        "territories": by_territory(board),
        "stations": board.points,
        "commissions": {c: names[c] for c in {p["c"] for p in board.points}},
    }


def _hourly(
    election: Election,
    series: dict[int, list[tuple[datetime, int]]],
    registered: dict[int, int],
    now: datetime,
) -> list[tuple[int, float | None]]:
    """Turnout % at each full hour of election day (8:00 to 20:00 local) up to now.

    One pass per station over its reports (they come in time order): at each hour, the last figure
    reported by then counts."""
    tz = timezone.get_current_timezone()
    day = election.day
    moments = []
    for hour in range(8, 21):
        moment = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
        if moment > now + timedelta(minutes=1):
            break
        moments.append((hour, moment))
    voted = [0] * len(moments)
    reg = [0] * len(moments)
    for station_id, points in series.items():
        voters = registered.get(station_id, 0)
        i, last = 0, None
        for slot, (_hour, moment) in enumerate(moments):
            while i < len(points) and points[i][0] <= moment:
                last = points[i][1]
                i += 1
            if last is not None:
                voted[slot] += last
                reg[slot] += voters
    return [(hour, percent(voted[slot], reg[slot])) for slot, (hour, _moment) in enumerate(moments)]
