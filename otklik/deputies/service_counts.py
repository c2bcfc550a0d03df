"""The upkeep of «Мой депутат»'s service figures (:mod:`otklik.deputies.statistics` reads them): the
appeals to deputies by week, faction, region, district and channel (:class:`~.models.ServiceWeek`)
and the visits of their pages by week, faction and region (:class:`~.models.VisitWeek`).

Kept like the analytics rollups (:mod:`otklik.analytics.rollups`): each appeal's contribution is
kept (:class:`~.models.AppealFact`); when the appeal changes — found by the rollups' watermark, case
events and ``updated_at`` — its old contribution is subtracted and the new one added by an additive
upsert, so a refresh costs in proportion to what changed. A deputy is kept too
(:class:`~.models.CountedDeputy`: office, faction, region, the district of the constituency); when
one of those changes (the admin, a bulk edit), every appeal of theirs is counted again and the
visits are summed anew. The visits are summed again for the weeks that can have moved since the
last run: the current week (today's visits are counted by an update of today's row), the week of
the last run and the weeks of rows added since (``PageVisit`` ids above the watermark); the admin
does not edit visits.

What counts, as the page has always counted it: an appeal is a case routed to a deputy's reception
office, merged ones left out; it is in the week (Monday) of the local day it was made; answered
when it has an answer, on time when that answer came by its deadline (or it has none); its district
is the municipality right under the region that its place lies in, else the one of the deputy's
constituency's first territory by name. After the territories themselves are reshuffled, run
:func:`rebuild` (``otklik refresh-service-figures --rebuild``, as the analytics rollups'
``refresh-rollups --rebuild``). The first run and a rebuild count in the database: one INSERT …
SELECT joins the deputies as counted to their offices' cases (and to a temporary table of each
territory's district) into the facts, as :func:`fact_of` would; another sums them into the weeks.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone

from otklik.analytics.deltas import add_counts, diff_facts, store_facts
from otklik.analytics.rollups import changed_case_ids
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case, CaseEvent
from otklik.directory.models import Territory

from .models import AppealFact, CountedDeputy, Deputy, PageVisit, ServiceState, ServiceWeek, VisitWeek

log = logging.getLogger("otklik.deputies.service_counts")

STATE = "service"
DISTRICTS = "service_districts"  # a temporary table of the full build
BATCH = 5000
STALE_AFTER = timedelta(minutes=2)
KEY = ("week", "faction", "region", "district", "channel")
VALUES = ("appeals", "answered", "on_time")
CASE_FIELDS = (
    "pk",
    "created_at",
    "territory_id",
    "channel",
    "agency_id",
    "status",
    "answered_at",
    "deadline_at",
)

# A deputy as counted: (office, faction, region, the constituency's district); 0 for none.
DeputyKey = tuple[int, int, int, int]
Key = tuple[date, int, int, int, str]


@dataclass
class RefreshResult:
    cases: int = 0
    deputies: int = 0
    rows: int = 0
    full: bool = False


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def districts() -> dict[int, tuple[int, str]]:
    """Each territory's district (its ancestor right under the region; a region itself stays) and
    that district's name."""
    nodes = {pk: (parent, name) for pk, parent, name in Territory.objects.values_list("pk", "parent", "name")}
    out: dict[int, tuple[int, str]] = {}
    for pk in nodes:
        chain = [pk]
        parent = nodes[pk][0]
        while parent is not None and len(chain) < 10:
            chain.append(parent)
            parent = nodes.get(parent, (None, ""))[0]
        district = chain[-2] if len(chain) >= 2 else chain[-1]
        out[pk] = (district, nodes[district][1] if district in nodes else "")
    return out


def deputy_keys(district_of: dict[int, tuple[int, str]]) -> dict[int, DeputyKey]:
    """Every deputy as they count now."""
    first: dict[int, int] = {}
    for deputy, territory in Deputy.territories.through.objects.order_by(
        "territory__name", "territory_id"
    ).values_list("deputy_id", "territory_id"):
        first.setdefault(deputy, territory)
    return {
        pk: (office, faction or 0, region or 0, district_of.get(first[pk], (0, ""))[0] if pk in first else 0)
        for pk, office, faction, region in Deputy.objects.values_list(
            "pk", "office_id", "faction_id", "region_id"
        )
    }


@dataclass
class Fact:
    deputy: int
    week: date
    faction: int
    region: int
    district: int
    channel: str
    answered: bool
    on_time: bool

    @property
    def key(self) -> Key:
        return (self.week, self.faction, self.region, self.district, self.channel)

    @property
    def values(self) -> tuple[int, int, int]:
        return (1, int(self.answered), int(self.on_time))


def fact_of(
    row: dict[str, Any],
    by_office: dict[int, tuple[int, DeputyKey]],
    district_of: dict[int, tuple[int, str]],
    tz: Any,
) -> Fact | None:
    """How the case ``row`` (``Case.objects.values(*CASE_FIELDS)``) counts; None: it does not."""
    found = by_office.get(row["agency_id"]) if row["agency_id"] else None
    if found is None or row["status"] == CaseStatus.MERGED:
        return None
    deputy, (_office, faction, region, fallback) = found
    territory = row["territory_id"]
    district = district_of.get(territory, (0, ""))[0] if territory else fallback
    answered_at, deadline = row["answered_at"], row["deadline_at"]
    answered = answered_at is not None
    return Fact(
        deputy=deputy,
        week=monday(row["created_at"].astimezone(tz).date()),
        faction=faction,
        region=region,
        district=district,
        channel=row["channel"],
        answered=answered,
        on_time=answered and (deadline is None or answered_at <= deadline),
    )


def _stored(row: AppealFact) -> Fact:
    return Fact(**{name: getattr(row, name) for name in Fact.__dataclass_fields__})


def _apply(deltas: dict[Key, list[int]]) -> int:
    return add_counts(ServiceWeek._meta.db_table, KEY, VALUES, deltas)


def _add(deltas: dict[Key, list[int]], fact: Fact, sign: int) -> None:
    acc = deltas[fact.key]
    for i, v in enumerate(fact.values):
        acc[i] += sign * v


def _row(case_id: int, fact: Fact) -> list[Any]:
    return [case_id, *(getattr(fact, name) for name in Fact.__dataclass_fields__)]


def _facts(
    ids: Iterable[int],
    by_office: dict[int, tuple[int, DeputyKey]],
    district_of: dict[int, tuple[int, str]],
) -> dict[int, Fact]:
    tz = timezone.get_current_timezone()
    found = {}
    for row in Case.objects.filter(pk__in=ids).values(*CASE_FIELDS).iterator(chunk_size=20_000):
        fact = fact_of(row, by_office, district_of, tz)
        if fact is not None:
            found[row["pk"]] = fact
    return found


def recount(
    ids: list[int], by_office: dict[int, tuple[int, DeputyKey]], district_of: dict[int, tuple[int, str]]
) -> int:
    """Count the given cases again: their old contributions out, the new ones in; rows touched."""
    old = {f.case_id: _stored(f) for f in AppealFact.objects.filter(case_id__in=ids)}
    new = _facts(ids, by_office, district_of)
    deltas: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    changed, gone = diff_facts(ids, old, new, lambda fact, sign: _add(deltas, fact, sign))
    touched = _apply(deltas)
    store_facts(AppealFact, ["case_id", *Fact.__dataclass_fields__], [_row(pk, f) for pk, f in changed], gone)
    return touched


def _monday_sql(column: str) -> tuple[str, list[Any]]:
    """SQL for the Monday of the local day of the timestamp ``column`` (as :func:`monday` of
    ``created_at.astimezone(tz).date()``)."""
    day, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    if connection.vendor == "postgresql":
        return f"({day} - (EXTRACT(ISODOW FROM {day})::integer - 1))", [*params, *params]
    return f"date({day}, '-6 days', 'weekday 1')", list(params)


def _district_table(district_of: dict[int, tuple[int, str]]) -> str:
    """Each territory's district in a temporary table, for the full build to join the cases to."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {DISTRICTS} "
            "(territory bigint PRIMARY KEY, district bigint NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {DISTRICTS}")
        cursor.executemany(
            f"INSERT INTO {DISTRICTS} (territory, district) VALUES (%s, %s)",
            [(pk, district) for pk, (district, _name) in district_of.items()],
        )
    return DISTRICTS


def _build(keys: dict[int, DeputyKey], district_of: dict[int, tuple[int, str]]) -> RefreshResult:
    """Count every appeal anew into empty tables, in the database: the deputies as counted now
    (``CountedDeputy``) joined to their offices' cases make the facts (one INSERT … SELECT, as
    :func:`fact_of` would), the facts grouped make the weeks (another)."""
    for model in (AppealFact, ServiceWeek, VisitWeek, CountedDeputy):
        model.objects.all().delete()
    _count_deputies(keys, set(keys))
    districts = _district_table(district_of)
    week, params = _monday_sql("c.created_at")
    case, fact, weeks = Case._meta.db_table, AppealFact._meta.db_table, ServiceWeek._meta.db_table
    counted = CountedDeputy._meta.db_table
    answered = "c.answered_at IS NOT NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {fact} (case_id, {', '.join(Fact.__dataclass_fields__)}) "
            f"SELECT c.id, d.deputy, {week}, d.faction, d.region, "
            "CASE WHEN c.territory_id IS NULL THEN d.district ELSE COALESCE(t.district, 0) END, c.channel, "
            f"{answered}, {answered} AND (c.deadline_at IS NULL OR c.answered_at <= c.deadline_at) "
            f"FROM {case} c JOIN {counted} d ON d.office = c.agency_id "
            f"LEFT JOIN {districts} t ON t.territory = c.territory_id WHERE c.status <> %s",
            [*params, CaseStatus.MERGED],
        )
        cases = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {weeks} ({', '.join(KEY)}, {', '.join(VALUES)}) SELECT {', '.join(KEY)}, count(*), "
            "sum(CASE WHEN answered THEN 1 ELSE 0 END), sum(CASE WHEN on_time THEN 1 ELSE 0 END) "
            f"FROM {fact} GROUP BY {', '.join(KEY)}"
        )
        rows = cursor.rowcount
    return RefreshResult(cases=cases, rows=rows, full=True)


def _count_deputies(keys: dict[int, DeputyKey], moved: set[int]) -> None:
    """Keep the deputies ``moved`` as they count now."""
    CountedDeputy.objects.filter(deputy__in=moved).delete()
    CountedDeputy.objects.bulk_create(
        [
            CountedDeputy(deputy=pk, office=o, faction=f, region=r, district=d)
            for pk, (o, f, r, d) in keys.items()
            if pk in moved
        ],
        batch_size=5000,
    )


def _visit_rows(first: date | None, last: date | None) -> dict[tuple[date, int, int], int]:
    """Visits by week, faction and region of the weeks from ``first`` to ``last`` (Mondays; None:
    every week)."""
    visits = PageVisit.objects.all()
    if first is not None:
        visits = visits.filter(day__gte=first)
    if last is not None:
        visits = visits.filter(day__lt=last + timedelta(days=7))
    sums: dict[tuple[date, int, int], int] = defaultdict(int)
    for day, faction, region, n in (
        visits.values_list("day", "deputy__faction", "deputy__region").annotate(n=Sum("count")).order_by()
    ):
        sums[(monday(day), faction or 0, region or 0)] += n
    return sums


def _sum_visits(weeks: Iterable[date] | None) -> None:
    """Sum the visits of ``weeks`` (None: every week) anew."""
    if weeks is None:
        VisitWeek.objects.all().delete()
        sums = _visit_rows(None, None)
    else:
        chosen = sorted(set(weeks))
        if not chosen:
            return
        VisitWeek.objects.filter(week__in=chosen).delete()
        sums = {k: n for k, n in _visit_rows(chosen[0], chosen[-1]).items() if k[0] in set(chosen)}
    VisitWeek.objects.bulk_create(
        [VisitWeek(week=w, faction=f, region=r, visits=n) for (w, f, r), n in sums.items() if n],
        batch_size=5000,
    )


def _lock(state: ServiceState) -> ServiceState:
    """The state row, locked until the transaction ends: one upkeep at a time (SQLite: one writer
    at a time anyway)."""
    if connection.vendor == "postgresql":
        return ServiceState.objects.select_for_update().get(pk=state.pk)
    return ServiceState.objects.get(pk=state.pk)


def refresh(*, now: datetime | None = None) -> RefreshResult:
    """Bring the service's figures up to date (the first run counts everything)."""
    now = now or timezone.now()
    state, _created = ServiceState.objects.get_or_create(name=STATE)
    result = RefreshResult()
    with transaction.atomic():
        state = _lock(state)
        top_event = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
        top_visit = PageVisit.objects.aggregate(m=Max("pk"))["m"] or 0
        started = timezone.now()
        today = monday(timezone.localdate(now))
        district_of = districts()
        keys = deputy_keys(district_of)
        by_office = {key[0]: (pk, key) for pk, key in keys.items()}
        counted = {d.deputy: (d.office, d.faction, d.region, d.district) for d in CountedDeputy.objects.all()}
        ids: set[int] = set()
        if state.refreshed_at is None:
            result = _build(keys, district_of)
            moved = set(keys)
        else:
            moved = {pk for pk in keys.keys() | counted.keys() if keys.get(pk) != counted.get(pk)}
            ids = set(changed_case_ids(state.last_event_id, state.last_updated_at))
            if moved:
                offices = {key[0] for pk in moved for key in (keys.get(pk), counted.get(pk)) if key}
                ids |= set(Case.objects.filter(agency__in=offices).values_list("pk", flat=True))
                ids |= set(AppealFact.objects.filter(deputy__in=moved).values_list("case_id", flat=True))
        chosen = sorted(ids)
        for start in range(0, len(chosen), BATCH):
            result.rows += recount(chosen[start : start + BATCH], by_office, district_of)
        result.cases += len(chosen)
        if moved and not result.full:  # a build counts them first
            _count_deputies(keys, moved)
        # A deputy added, gone, or of another faction or region: their visits count elsewhere.
        regrouped = result.full or any(
            pk not in keys or pk not in counted or keys[pk][1:3] != counted[pk][1:3] for pk in moved
        )
        if regrouped:
            _sum_visits(None)
        else:
            since = state.visits_week or today
            weeks = {since + timedelta(weeks=k) for k in range(max(0, (today - since).days // 7) + 1)}
            added = PageVisit.objects.filter(pk__gt=state.last_visit_id).values_list("day", flat=True)
            weeks |= {monday(day) for day in added.distinct()}
            _sum_visits(weeks)
        result.deputies = len(moved)
        state.last_event_id = max(state.last_event_id, top_event)
        state.last_updated_at = started
        state.last_visit_id = max(state.last_visit_id, top_visit)
        state.visits_week = today
        state.refreshed_at = now
        state.save()
    log.info(
        "deputies' service figures refreshed: %d case(s), %d deputy(ies), %d row(s), full=%s",
        result.cases,
        result.deputies,
        result.rows,
        result.full,
    )
    return result


def rebuild(*, now: datetime | None = None) -> RefreshResult:
    """Count everything again (after a bulk load or a reshuffle of the territories)."""
    ServiceState.objects.update_or_create(name=STATE, defaults={"refreshed_at": None})
    return refresh(now=now)


def ensure_fresh(*, now: datetime | None = None, max_age: timedelta = STALE_AFTER) -> None:
    """Refresh when the figures are older than ``max_age`` (the page calls this before reading; the
    periodic job ``deputies-service-figures`` keeps them younger)."""
    now = now or timezone.now()
    refreshed = ServiceState.objects.filter(name=STATE).values_list("refreshed_at", flat=True).first()
    if refreshed is None or now - refreshed > max_age:
        refresh(now=now)
