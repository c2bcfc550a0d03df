"""Election day: who sees what, observers' reports, incidents for the lawyers, the dashboard's
figures and the stations on its map (importing stations: :mod:`otklik.elections.stations`).

**Access.** An observer sees and reports for their own polling station only. Lawyers and the
center (moderators, supervisors, administrators) see the dashboard, every report and incident;
lawyers take incidents up and resolve them. Anyone else gets a 403.

**Turnout.** A station's turnout at an hour is the last turnout figure its observers reported up to
that hour; the region's is the sum over reporting stations against their registered voters.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

from otklik.accounts.choices import ALL_CASES_ROLES, Role
from otklik.cases import notifications

from .models import (
    OPEN_INCIDENTS,
    CallKind,
    ChecklistQuestion,
    Commission,
    Election,
    Incident,
    IncidentStatus,
    Observer,
    PollingStation,
    Report,
    ReportKind,
    VoterCall,
)

MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}


# --- access --------------------------------------------------------------------------------------


def is_headquarters(user: Any) -> bool:
    """The situational center: the center's roles and the lawyers."""
    return bool(
        user.is_authenticated
        and (user.is_superuser or user.role in ALL_CASES_ROLES or user.role == Role.LAWYER)
    )


def require_headquarters(user: Any) -> None:
    if not is_headquarters(user):
        raise PermissionDenied(_("The situational center's pages are for its staff and lawyers."))


def observer_station(user: Any) -> PollingStation:
    """The observer's own station; PermissionDenied for anyone who is not a bound observer."""
    if not user.is_authenticated or user.role != Role.OBSERVER:
        raise PermissionDenied(_("Only observers report from a polling station."))
    observer = Observer.objects.select_related("station__commission").filter(user=user).first()
    if observer is None:
        raise PermissionDenied(_("You are not bound to a polling station yet."))
    return observer.station


def visible_reports(user: Any) -> Any:
    """Reports ``user`` may open: headquarters every one, an observer those of their station."""
    if is_headquarters(user):
        return Report.objects.all()
    if user.is_authenticated and user.role == Role.OBSERVER:
        return Report.objects.filter(station__observers__user=user)
    return Report.objects.none()


def active_election(today: Any = None) -> Election | None:
    """The active election nearest to today (the coming one before past ones)."""
    today = today or timezone.localdate()
    elections = Election.objects.filter(is_active=True)
    return elections.filter(day__gte=today).order_by("day").first() or elections.order_by("-day").first()


# --- reports -------------------------------------------------------------------------------------


def check_photo(photo: UploadedFile) -> None:
    """A photo must be an image of a usual format and at most 10 MB (Pillow reads its header)."""
    if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."))
    try:
        with Image.open(photo) as image:
            image.verify()
            kind = image.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError):
        kind = ""
    if kind not in PHOTO_FORMATS:
        raise ValidationError(_("The file is not a photo (JPEG, PNG, WEBP or HEIF)."))
    photo.seek(0)


def file_report(
    *,
    observer: Any,
    election: Election,
    kind: str,
    turnout: int | None = None,
    text: str = "",
    photo: UploadedFile | None = None,
    now: datetime | None = None,
    client_id: str = "",
    checklist: dict[int, bool] | None = None,
) -> Report:
    """An observer's report from their own station; a violation opens an incident for the lawyers.

    ``client_id`` is the sender's id of the report: the same id from the same observer again (a
    form sent twice, an app retrying over a bad connection) returns the first report, unchanged."""
    station = observer_station(observer)
    now = now or timezone.now()
    client_id = client_id.strip()[:64]
    if client_id:
        earlier = Report.objects.filter(author=observer, client_id=client_id).first()
        if earlier is not None:
            return earlier
    text = text.strip()
    if kind not in ReportKind.values:
        raise ValidationError(_("Unknown kind of report."))
    if kind == ReportKind.TURNOUT:
        if turnout is None:
            raise ValidationError(_("Give the number of voters who have voted so far."))
        if station.registered_voters and turnout > station.registered_voters:
            raise ValidationError(
                _("The turnout %(turnout)s is more than the %(voters)s registered voters.")
                % {"turnout": turnout, "voters": station.registered_voters}
            )
        last = latest_turnout(station, election)
        if last is not None and turnout < last:
            raise ValidationError(
                _("The turnout cannot go down: %(last)s was reported before.") % {"last": last}
            )
    if kind == ReportKind.VIOLATION and len(text) < 10:
        raise ValidationError(_("Describe the violation: what, where, who."))
    if photo is not None:
        check_photo(photo)
    questions = {q.pk: q for q in ChecklistQuestion.objects.filter(election=election)}
    answers = {int(k): bool(v) for k, v in (checklist or {}).items()} if kind == ReportKind.OPENED else {}
    if set(answers) - set(questions):
        raise ValidationError(_("The checklist has no such question."))
    try:
        with transaction.atomic():
            report = Report.objects.create(
                election=election,
                station=station,
                author=observer,
                kind=kind,
                turnout=turnout if kind == ReportKind.TURNOUT else None,
                text=text,
                created_at=now,
                client_id=client_id,
                checklist={str(k): v for k, v in answers.items()},
            )
            if photo is not None:
                report.photo.save(photo.name or "photo", photo, save=True)
            if kind == ReportKind.VIOLATION:
                escalate(report)
            failed = [questions[pk].text for pk, yes in answers.items() if not yes and questions[pk].critical]
            if failed:  # a "no" to a critical question of the opening is a violation in its own right
                text = _("Opening checklist: “no” to — %(questions)s") % {"questions": "; ".join(failed)}
                escalate(
                    Report.objects.create(
                        election=election,
                        station=station,
                        author=observer,
                        kind=ReportKind.VIOLATION,
                        text=text,
                        created_at=now,
                    )
                )
    except IntegrityError:  # the same client id sent twice at once: the other request made it
        earlier = Report.objects.filter(author=observer, client_id=client_id).first() if client_id else None
        if earlier is None:
            raise
        return earlier
    return report


def escalate(report: Report) -> Incident:
    """A violation report becomes an incident; the lawyers and supervisors hear of it after commit."""
    incident = Incident.objects.create(report=report)
    station = report.station
    notifications.notify_roles(
        (Role.LAWYER, Role.SUPERVISOR), f"Нарушение: {station} ({station.commission})", report.text
    )
    return incident


# --- the election-day hotline --------------------------------------------------------------------

HOTLINE_ROLES = (Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR)
PHONE_RE = re.compile(r"^\+?[\d\s()-]{5,20}$")


def may_take_calls(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role in HOTLINE_ROLES))


def require_hotline(user: Any) -> None:
    if not may_take_calls(user):
        raise PermissionDenied(_("Only the situational center's operators take calls."))


def take_call(
    *,
    operator: Any,
    election: Election,
    kind: str,
    phone: str,
    text: str,
    caller_name: str = "",
    station: PollingStation | None = None,
    now: datetime | None = None,
) -> VoterCall:
    """A voter's call; a violation at a named station goes to the lawyers as an incident."""
    require_hotline(operator)
    phone, text = phone.strip(), text.strip()
    if not PHONE_RE.match(phone):
        raise ValidationError(_("Enter the phone number the caller can be reached at."))
    if len(text) < 5:
        raise ValidationError(_("Write down what the caller says."))
    if kind not in CallKind.values:
        raise ValidationError(_("Unknown kind of call."))
    if kind in (CallKind.VIOLATION, CallKind.HOME_VOTING) and station is None:
        raise ValidationError(_("Name the polling station: the lawyers and the commission need it."))
    now = now or timezone.now()
    with transaction.atomic():
        call = VoterCall.objects.create(
            election=election,
            kind=kind,
            station=station,
            phone=phone,
            caller_name=caller_name.strip(),
            text=text,
            operator=operator,
            created_at=now,
        )
        if kind == CallKind.VIOLATION and station is not None:
            report = Report.objects.create(
                election=election,
                station=station,
                author=operator,
                kind=ReportKind.VIOLATION,
                text=f"Звонок избирателя ({phone}): {text}",
                created_at=now,
            )
            call.report = report
            call.save(update_fields=["report"])
            escalate(report)
    return call


def latest_turnout(station: PollingStation, election: Election) -> int | None:
    last = (
        Report.objects.filter(station=station, election=election, kind=ReportKind.TURNOUT)
        .order_by("-created_at", "-pk")
        .values_list("turnout", flat=True)
        .first()
    )
    return last


def take_incident(incident: Incident, lawyer: Any) -> Incident:
    _require_lawyer(lawyer)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_INCIDENTS:
            raise ValidationError(_("The incident is closed already."))
        incident.status, incident.lawyer = IncidentStatus.IN_WORK, lawyer
        incident.save(update_fields=["status", "lawyer", "updated_at"])
    return incident


def close_incident(incident: Incident, lawyer: Any, *, status: str, resolution: str) -> Incident:
    _require_lawyer(lawyer)
    if status not in (IncidentStatus.RESOLVED, IncidentStatus.UNFOUNDED):
        raise ValidationError(_("An incident closes as resolved or not confirmed."))
    if len(resolution.strip()) < 10:
        raise ValidationError(_("Say what was done or found."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.status not in OPEN_INCIDENTS:
            raise ValidationError(_("The incident is closed already."))
        incident.status, incident.resolution = status, resolution.strip()
        incident.lawyer = incident.lawyer or lawyer
        incident.save(update_fields=["status", "resolution", "lawyer", "updated_at"])
    return incident


def _require_lawyer(user: Any) -> None:
    if not (user.is_authenticated and (user.role == Role.LAWYER or user.is_superuser)):
        raise PermissionDenied(_("Only lawyers take up and close incidents."))


# --- the dashboard -------------------------------------------------------------------------------


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
        return round(100 * self.voted / self.registered_reporting, 1) if self.registered_reporting else None


@dataclass(frozen=True)
class Silence:
    """A station the center has not heard from as it should have: not opened by 8:15, nothing for
    ``OTKLIK_ELECTIONS_SILENT_HOURS`` while voting, not closed by 20:30."""

    station: PollingStation
    reason: str  # "not_opened", "quiet" or "not_closed"
    since: datetime  # the last report, or when it was due
    phones: tuple[str, ...] = ()

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
        return round(100 * self.yes / self.answered, 1) if self.answered else None


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

    def total(self, name: str) -> int:
        return sum(getattr(r, name) for r in self.rows)

    @property
    def total_stations(self) -> int:
        return self.total("stations")

    @property
    def total_opened(self) -> int:
        return self.total("opened")

    @property
    def total_closed(self) -> int:
        return self.total("closed")

    @property
    def total_incidents(self) -> int:
        return self.total("open_incidents")

    @property
    def turnout_pct(self) -> float | None:
        registered = self.total("registered_reporting")
        return round(100 * self.total("voted") / registered, 1) if registered else None


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
                "turnout": round(100 * voted / registered, 1) if registered else None,
            }
        )
    return out


def dashboard(election: Election, *, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
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
    for station_id in Incident.objects.filter(
        report__election=election, status__in=OPEN_INCIDENTS
    ).values_list("report__station_id", flat=True):
        open_incidents[station_id] += 1
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
        )
        for station in stations
        if station.lat is not None and station.lon is not None
    ]
    # New ones first, then those a lawyer is on, then the closed; the latest first within each.
    rank = Case(
        When(status=IncidentStatus.NEW, then=Value(0)),
        When(status=IncidentStatus.IN_WORK, then=Value(1)),
        default=Value(2),
    )
    board.incidents = list(
        Incident.objects.filter(report__election=election)
        .select_related("report__station__commission", "lawyer")
        .order_by(rank, "-report__created_at")[:50]
    )
    return board


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
    out = [Silence(s.station, s.reason, s.since, tuple(phones.get(s.station.pk, ()))) for s in out]
    return sorted(out, key=lambda s: (s.since, s.station.number))


def _point(
    station: PollingStation,
    opened: set[int],
    closed: set[int],
    series: list[tuple[datetime, int]] | None,
    incidents: int,
    *,
    silent: bool = False,
) -> dict[str, Any]:
    """A station on the dashboard's map: where, whether it is waiting to open, open or counting,
    its last reported turnout (% of its registered voters), its open incidents, whether it is silent."""
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
    }


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

    @property
    def turnout_pct(self) -> float | None:
        voters = self.station.registered_voters
        return round(100 * self.turnout / voters, 1) if self.turnout is not None and voters else None


def find_station(number: str) -> PollingStation | None:
    digits = re.sub(r"\D", "", number or "")
    return PollingStation.objects.filter(number=int(digits)).first() if digits else None


def station_record(station: PollingStation, election: Election | None) -> StationRecord:
    reports = list(
        Report.objects.filter(station=station, election=election)
        .select_related("incident__lawyer", "author")
        .order_by("-created_at", "-pk")
    )
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
        home_voting=list(home_voting_requests(election).filter(station=station)),
    )


def home_voting_requests(election: Election | None) -> Any:
    """The hotline's requests to vote at home, by station (the commission sends its portable box)."""
    return (
        VoterCall.objects.filter(election=election, kind=CallKind.HOME_VOTING)
        .select_related("station__commission")
        .order_by("station__number", "created_at", "pk")
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
    return [
        (hour, round(100 * voted[slot] / reg[slot], 1) if reg[slot] else None)
        for slot, (hour, _moment) in enumerate(moments)
    ]
