"""Incremental upkeep of the rollup tables.

Each case is turned into a :class:`Fact` (where and when it was created, what it is, its current
flags and answer times). The rollups hold the sum of all facts. When a case changes, its old fact
(kept in ``CaseFact``) is subtracted and the new one added, with an additive upsert, so a refresh
costs in proportion to the cases that changed, not to the whole history.

Every daily table (the area cubes, agency counts, answer-time histograms) has a monthly twin kept by
the same deltas; long periods read whole months from it (see :mod:`otklik.analytics.periods`). Each
refresh takes a new ``RollupState.version`` and stamps the days whose figures it changed
(``RollupChange``): rendered exports of a period are valid while none of its days is stamped anew.

The public map's counters (:mod:`otklik.analytics.public_counts`) are kept by the same deltas.

Which cases changed is found from a watermark: case events with an id above the last one seen
(every state change appends one) and cases whose ``updated_at`` moved past the last refresh. A small
overlap is re-read on every run; re-counting an unchanged case yields a zero delta, so it is harmless.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from otklik.cases.models import Case, CaseEvent, Rating
from otklik.cases.quality import published_quality

from . import public_counts
from .cubes import (
    AREA_KEY,
    AREA_VALUES,
    CUBES,
    DAILY_TABLES,
    MONTH,
    MONTHLY_TABLES,
    ROLLUP_MODELS,
    Deltas,
    _upsert,
    add_fact,
    apply_deltas,
    cube_for,
)
from .deltas import diff_facts, store_facts
from .facts import (
    CASE_FIELDS,
    EDGES,
    FINAL,
    FIRST,
    HEX_HI,
    HEX_LO,
    Directory,
    Fact,
    bucket_bounds,
    bucket_of,
    cell_center,
    fact_of,
)
from .models import (
    AgencyDay,
    AgencyDuration,
    AreaDay,
    CaseFact,
    RenderedExport,
    RollupChange,
    RollupState,
)

log = logging.getLogger("otklik.analytics.rollups")

STATE = "cases"
BATCH = 5000
EVENT_OVERLAP = 500  # event ids re-read each run: a transaction may commit a lower id late
UPDATED_OVERLAP = timedelta(minutes=5)


# --- the refresh ----------------------------------------------------------------------------------


@dataclass
class RefreshResult:
    cases: int = 0
    rows: int = 0
    full: bool = False
    last_event_id: int = 0


def _ratings(ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = (
        Rating.objects.filter(case_id__in=ids)
        .values("case_id")
        .annotate(n=Count("pk"), good=Count("pk", filter=Q(score__gte=4)))
    )
    return {r["case_id"]: (r["n"], r["good"]) for r in rows}


def _old_fact(row: CaseFact) -> Fact:
    return Fact(**{name: getattr(row, name) for name in Fact.__dataclass_fields__})


def stamp_days(days: Iterable[date], version: int) -> None:
    """Mark ``days`` as changed by the refresh ``version`` (rendered exports of them go stale)."""
    rows = [[day, version] for day in sorted(set(days))]
    if rows:
        _upsert(
            RollupChange._meta.db_table,
            ["day", "version"],
            rows,
            "ON CONFLICT (day) DO UPDATE SET version = excluded.version",
        )


def recount(ids: list[int], directory: Directory, tz: Any, *, version: int = 0) -> int:
    """Recount the given cases: subtract their old facts, add the new ones, store the new facts;
    stamp the days whose figures changed with ``version``."""
    deltas: Deltas = defaultdict(dict)
    old = {f.case_id: _old_fact(f) for f in CaseFact.objects.filter(case_id__in=ids)}
    rows = list(Case.objects.filter(pk__in=ids).values(*CASE_FIELDS))
    ratings = _ratings(ids)
    concrete = published_quality(Q(case_id__in=ids))
    new: dict[int, Fact] = {}
    for row in rows:
        pk = row["pk"]
        new[pk] = fact_of(row, ratings.get(pk, (0, 0)), directory, tz, directory.clock, concrete.get(pk))
    days: set[date] = set()

    def count(fact: Fact, sign: int) -> None:
        add_fact(deltas, fact, sign)
        days.add(fact.day)

    changed, gone = diff_facts(ids, old, new, count)
    with transaction.atomic():
        touched = apply_deltas(deltas)
        stamp_days(days, version)
        fields = list(Fact.__dataclass_fields__)
        store_facts(CaseFact, fields, [[getattr(f, name) for name in fields] for _pk, f in changed], gone)
        touched += public_counts.recount(ids, tz)
    return touched


FULL_CHUNK = 20_000


def _full_build(directory: Directory, tz: Any, *, version: int = 0) -> RefreshResult:
    """PostgreSQL: every case's fact by COPY, then each rollup in one INSERT … SELECT … GROUP BY."""
    result = RefreshResult(full=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE analytics_casefact, analytics_agencyday, analytics_agencyduration, "
            + ", ".join(model._meta.db_table for model in ROLLUP_MODELS)
        )
    fields = list(Fact.__dataclass_fields__)
    last = 0
    while True:
        rows = list(Case.objects.filter(pk__gt=last).order_by("pk").values(*CASE_FIELDS)[:FULL_CHUNK])
        if not rows:
            break
        first, last = rows[0]["pk"], rows[-1]["pk"]
        ratings = {
            r["case_id"]: (r["n"], r["good"])
            for r in Rating.objects.filter(case_id__gte=first, case_id__lte=last)
            .values("case_id")
            .annotate(n=Count("pk"), good=Count("pk", filter=Q(score__gte=4)))
        }
        concrete = published_quality(Q(case_id__gte=first, case_id__lte=last))
        facts = [
            fact_of(r, ratings.get(r["pk"], (0, 0)), directory, tz, directory.clock, concrete.get(r["pk"]))
            for r in rows
        ]
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY analytics_casefact ({', '.join(fields)}) FROM STDIN") as copy,
        ):
            for fact in facts:
                copy.write_row([getattr(fact, name) for name in fields])
        result.cases += len(rows)
    edges = "ARRAY[" + ",".join(str(e) for e in EDGES) + "]"
    # Each rollup is written in the order of its key (day first): the rows a period reads then sit
    # on a few pages instead of one page each (a month of the histogram: ~9,500 pages read → ~200).
    with connection.cursor() as cursor:
        measures = ", ".join(AREA_VALUES)
        cursor.execute(
            f"INSERT INTO analytics_areaday ({', '.join(AREA_KEY)}, {measures}) "
            f"SELECT {', '.join(AREA_KEY)}, count(*), sum(messages), "
            "sum(is_open::int), sum(is_overdue::int), sum(is_resolved::int) "
            "FROM analytics_casefact GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        )
        for model, key, _values in CUBES.values():
            if model is AreaDay:
                continue
            cols = ", ".join(key)
            sums = ", ".join(f"sum({v})" for v in AREA_VALUES)
            cursor.execute(
                f"INSERT INTO {model._meta.db_table} ({cols}, {measures}) "
                f"SELECT {cols}, {sums} FROM analytics_areaday GROUP BY {cols} ORDER BY {cols}"
            )
        cursor.execute(
            "SELECT cell_lo FROM analytics_casefact WHERE cell_lo <> '' UNION "
            "SELECT cell_hi FROM analytics_casefact WHERE cell_hi <> ''"
        )
        centers = [(cell, *cell_center(cell)) for (cell,) in cursor.fetchall()]
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS staging_cells (cell varchar(16), lat float, lon float)"
        )
        cursor.execute("TRUNCATE staging_cells")
        with cursor.copy("COPY staging_cells (cell, lat, lon) FROM STDIN") as copy:
            for row in centers:
                copy.write_row(row)
        for resolution, column in ((HEX_LO, "cell_lo"), (HEX_HI, "cell_hi")):
            cursor.execute(
                "INSERT INTO analytics_hexweek (resolution, week, cell, category, channel, lat, lon, "
                "cases, messages, open, overdue) "
                f"SELECT %s, date_trunc('week', f.day)::date, f.{column}, f.category, f.channel, "
                "min(c.lat), min(c.lon), count(*), "
                "sum(f.messages), sum(f.is_open::int), sum(f.is_overdue::int) "
                f"FROM analytics_casefact f JOIN staging_cells c ON c.cell = f.{column} "
                "GROUP BY 2, 3, 4, 5 ORDER BY 2, 3, 4, 5",
                [resolution],
            )
        cursor.execute(
            "INSERT INTO analytics_hextotalweek "
            "(resolution, week, cell, lat, lon, cases, messages, open, overdue) "
            "SELECT resolution, week, cell, min(lat), min(lon), sum(cases), sum(messages), sum(open), "
            "sum(overdue) FROM analytics_hexweek GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
        )
        cursor.execute(
            "INSERT INTO analytics_agencyday (day, agency, received, answered, on_time, open, overdue, "
            "reopened, ratings, ratings_good, published, concrete) "
            "SELECT day, agency, count(*), sum(answered::int), sum(on_time::int), sum(is_open::int), "
            "sum(is_overdue::int), sum(reopened::int), sum(ratings), sum(ratings_good), "
            "sum(published::int), sum(concrete::int) "
            "FROM analytics_casefact WHERE agency <> 0 GROUP BY 1, 2 ORDER BY 1, 2"
        )
        cursor.execute(
            "INSERT INTO analytics_agencyduration (day, agency, kind, bucket, count) "
            f"SELECT day, agency, kind, width_bucket(greatest(minutes, 0), {edges}) - 1, count(*) FROM ("
            "SELECT day, agency, %s AS kind, first_minutes AS minutes FROM analytics_casefact "
            "WHERE agency <> 0 AND first_minutes IS NOT NULL UNION ALL "
            "SELECT day, agency, %s, final_minutes FROM analytics_casefact "
            "WHERE agency <> 0 AND final_minutes IS NOT NULL"
            ") f GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            [FIRST, FINAL],
        )
        for name, (monthly, key, values) in MONTHLY_TABLES.items():
            daily = DAILY_TABLES[name.removesuffix(MONTH)][0]._meta.db_table
            cols = ", ".join(k for k in key if k != "month")
            cursor.execute(
                f"INSERT INTO {monthly._meta.db_table} (month, {cols}, {', '.join(values)}) "
                f"SELECT date_trunc('month', day)::date, {cols}, {', '.join(f'sum({v})' for v in values)} "
                f"FROM {daily} GROUP BY 1, {cols} ORDER BY 1, {cols}"
            )
        # Every day's exports go stale, including days that no longer hold a case.
        cursor.execute("UPDATE analytics_rollupchange SET version = %s", [version])
        cursor.execute(
            "INSERT INTO analytics_rollupchange (day, version) SELECT DISTINCT day, %s "
            "FROM analytics_casefact ON CONFLICT (day) DO UPDATE SET version = excluded.version",
            [version],
        )
        cursor.execute(
            "ANALYZE analytics_agencyday, analytics_agencyduration, "
            + ", ".join(model._meta.db_table for model in ROLLUP_MODELS)
        )
    return result


def changed_case_ids(
    last_event_id: int, last_updated_at: datetime | None, since: datetime | None = None
) -> Iterator[int]:
    """The cases changed after a watermark: those with a case event above ``last_event_id`` or saved
    since ``last_updated_at`` (each less its overlap), or, with ``since``, changed since then. Other
    rollups kept by the same watermark (the deputies' service figures) read it too."""
    seen: set[int] = set()
    events = CaseEvent.objects.all()
    cases = Case.objects.all()
    if since is not None:
        events = events.filter(created_at__gte=since)
        cases = cases.filter(updated_at__gte=since)
    else:
        events = events.filter(pk__gt=max(0, last_event_id - EVENT_OVERLAP))
        if last_updated_at is not None:
            cases = cases.filter(updated_at__gte=last_updated_at - UPDATED_OVERLAP)
    for qs in (events.values_list("case_id", flat=True), cases.values_list("pk", flat=True)):
        for case_id in qs.iterator(chunk_size=10_000):
            if case_id not in seen:
                seen.add(case_id)
                yield case_id


def refresh_rollups(since: datetime | None = None, *, now: datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date.

    ``since=None``: incremental from the stored watermark (the first run counts every case).
    ``since=<datetime>``: recount cases changed (or with events) since then, whatever the watermark.
    """
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    RollupState.objects.get_or_create(name=STATE)
    # A new version for every refresh, taken before counting: a version is never reused, so an
    # export keyed by the stamps of its days cannot outlive a change to them.
    RollupState.objects.filter(name=STATE).update(version=F("version") + 1)
    state = RollupState.objects.get(name=STATE)
    version = state.version
    top_event = CaseEvent.objects.aggregate(m=Max("pk"))["m"] or 0
    # ``updated_at`` is the wall clock of the save (auto_now): the next run looks back from the
    # moment this one started, less UPDATED_OVERLAP for transactions that commit late.
    started = timezone.now()
    directory = Directory.load()
    public_counts.ensure_built(tz)  # the public map's counters, first counted whole
    result = RefreshResult(last_event_id=top_event)
    if state.refreshed_at is None and since is None and connection.vendor == "postgresql":
        result = _full_build(directory, tz, version=version)
        result.last_event_id = top_event
        ids_iter: Iterable[int] = []
    elif state.refreshed_at is None and since is None:
        result.full = True
        ids_iter = Case.objects.order_by("pk").values_list("pk", flat=True).iterator(20_000)
    else:
        ids_iter = changed_case_ids(state.last_event_id, state.last_updated_at, since)
    batch: list[int] = []
    for case_id in ids_iter:
        batch.append(case_id)
        if len(batch) >= BATCH:
            result.rows += recount(batch, directory, tz, version=version)
            result.cases += len(batch)
            batch = []
    if batch:
        result.rows += recount(batch, directory, tz, version=version)
        result.cases += len(batch)
    state.last_event_id = max(state.last_event_id, top_event)
    state.last_updated_at = started
    state.refreshed_at = now
    state.cases_seen += result.cases
    state.save(update_fields=["last_event_id", "last_updated_at", "refreshed_at", "cases_seen"])
    log.info("rollups refreshed: %d case(s), %d row(s), full=%s", result.cases, result.rows, result.full)
    return result


def recount_cases(ids: Iterable[int]) -> RefreshResult:
    """Recount the given cases under a new version (after something outside the case changed what
    it counts, e.g. its answers' verdicts re-assessed)."""
    RollupState.objects.get_or_create(name=STATE)
    RollupState.objects.filter(name=STATE).update(version=F("version") + 1)
    version = RollupState.objects.get(name=STATE).version
    directory = Directory.load()
    tz = timezone.get_current_timezone()
    result = RefreshResult()
    ids = list(ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        result.rows += recount(chunk, directory, tz, version=version)
        result.cases += len(chunk)
    return result


def rebuild_rollups(*, now: datetime | None = None) -> RefreshResult:
    """Empty every rollup and count all cases again (after a bulk delete, a directory reshuffle…).

    The state's ``version`` is kept (versions are never reused); rendered exports are dropped."""
    with transaction.atomic():
        for model in (*ROLLUP_MODELS, AgencyDay, AgencyDuration, CaseFact, RenderedExport):
            model.objects.all().delete()
        public_counts.forget()
        RollupState.objects.filter(name=STATE).update(
            last_event_id=0, last_updated_at=None, refreshed_at=None, cases_seen=0
        )
    return refresh_rollups(now=now)


def last_refresh() -> datetime | None:
    state = RollupState.objects.filter(name=STATE).first()
    return state.refreshed_at if state else None


STALE_AFTER = timedelta(minutes=2)


def ensure_fresh(*, now: datetime | None = None, max_age: timedelta = STALE_AFTER) -> None:
    """Refresh lazily when the rollups are older than ``max_age`` (pages call this before reading)."""
    now = now or timezone.now()
    refreshed = last_refresh()
    if refreshed is None or now - refreshed > max_age:
        refresh_rollups(now=now)


# Also read from here by the analytics pages, tests and benches.
__all__ = [
    "RefreshResult",
    "bucket_bounds",
    "bucket_of",
    "changed_case_ids",
    "cube_for",
    "ensure_fresh",
    "last_refresh",
    "rebuild_rollups",
    "recount",
    "refresh_rollups",
]
