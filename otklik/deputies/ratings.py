"""The deputies' rating across regions and levels, stored so that its pages read a table.

One installation serves many regions (``Deputy.region``) and levels (the regional parliament, the
council of the regional capital, municipal councils). The score of every active deputy is computed
by :func:`otklik.deputies.services.rating` from the analytics rollups — with the smoothing means of
*every* deputy of the installation, so a score is the same in the federal view and in its region's —
and stored per period in :class:`~otklik.deputies.models.RatingRow` with its global rank. The pages
then filter (region, level, faction, what the user may see), page through the rows by rank and group
them by region, instead of aggregating 100,000 appeals per request.

**Freshness.** A period's rows carry the fingerprint of what they were computed from: the rollups'
last change (``RollupChange``), the day, the deputies (count, newest) and the residents' answers to
the two-week question. :func:`ensure` recomputes when the fingerprint moved; the periodic job
``deputies-rating`` (every five minutes) does it in the background. A page (and the API) serves a
rating computed in the last :data:`SERVED_FOR` as it is, so that no request pays the seconds of a
computation while the job runs; it computes one itself only when there is none or the job stopped.
Page visits counted since the last computation show at the next one.

**Topics.** :func:`refresh_topics` stores the appeals to deputies by region, municipality, top
category and week (:class:`~otklik.deputies.models.TopicWeek`) from the rollups' case facts: counts
only, never an appeal (decision 0007). The appeals to deputies are cases, so the center's analytics
(the rollups by territory, category and channel) count them like any other; this table is their
part alone, by the deputy's region.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from otklik.analytics import rollups
from otklik.analytics.figures import percent
from otklik.analytics.models import CaseFact, RollupChange
from otklik.directory.models import Category, Territory

from .models import LIGHT_REGION, Deputy, RatingRow, RatingState, ReplyCheck, TopicWeek

PERIODS = (30, 90, 365)
TOPIC_WEEKS = 12
TOPICS_KEY = 0  # RatingState.days of the topics table
SERVED_FOR = timedelta(minutes=15)  # a page serves a stored rating this young without checking it


def fingerprint(days: int, *, today: date | None = None) -> str:
    today = today or timezone.localdate()
    changed = RollupChange.objects.aggregate(v=Max("version"))["v"] or 0
    deputies = Deputy.objects.aggregate(
        n=Count("pk"), last=Max("pk"), active=Count("pk", filter=Q(is_active=True))
    )
    # A resident's answer is recorded at the time it is given: the latest one moves with every
    # answer; a question asked adds a row (the newest id moves).
    checks = ReplyCheck.objects.aggregate(last=Max("answered_at"), asked=Max("pk"))
    last = checks["last"].isoformat() if checks["last"] else "-"
    people = f"{deputies['n']}/{deputies['active']}/{deputies['last']}"
    return f"{days}:{today.isoformat()}:r{changed}:d{people}:q{last}/{checks['asked']}"


def refresh(days: int) -> float:
    """Compute and store the rating of the last ``days`` days; the seconds it took."""
    from . import services

    started = time.perf_counter()
    rollups.ensure_fresh()
    mark = fingerprint(days)
    rows = services.rating(Deputy.objects.filter(is_active=True), services.rating_scope(days))
    stored = [
        RatingRow(
            days=days,
            deputy=row.deputy,
            rank=rank,
            score=row.score,
            received=row.kpi.received,
            answered=row.kpi.answered,
            on_time=row.kpi.on_time,
            reopened=row.kpi.reopened,
            ratings=row.kpi.ratings,
            ratings_good=row.kpi.ratings_good,
            published=row.kpi.published,
            concrete=row.kpi.concrete,
            replies_asked=row.replies.asked,
            replies_answered=row.replies.answered,
            replies_yes=row.replies.yes,
            final_median=row.kpi.final_median,
            visits=row.visits,
            portal=row.portal,
            calls=row.calls,
        )
        for rank, row in enumerate(rows, start=1)
    ]
    with transaction.atomic():
        RatingRow.objects.filter(days=days).delete()
        RatingRow.objects.bulk_create(stored, batch_size=2000)
        seconds = time.perf_counter() - started
        RatingState.objects.update_or_create(
            days=days, defaults={"fingerprint": mark, "computed_at": timezone.now(), "seconds": seconds}
        )
    return seconds


def ensure(days: int, *, page: bool = False) -> None:
    """Recompute the period's stored rating when what it was computed from has changed. A page
    (``page``) serves a rating computed less than :data:`SERVED_FOR` ago as it is — the periodic
    job keeps it within five minutes; a request should not pay the seconds a computation takes —
    and checks the fingerprint only when the rating is missing or older (the job not running)."""
    if page:
        computed = RatingState.objects.filter(days=days).values_list("computed_at", flat=True).first()
        if computed is not None and timezone.now() - computed <= SERVED_FOR:
            return
    rollups.ensure_fresh()
    state = RatingState.objects.filter(days=days).first()
    if state is None or state.fingerprint != fingerprint(days):
        refresh(days)


def rows(days: int, deputies: QuerySet[Deputy], *, fresh: bool = False) -> QuerySet[RatingRow]:
    """The stored rows of ``deputies`` (active ones) by rank, for a paginator (``fresh``: the caller
    has just called :func:`ensure`)."""
    if not fresh:
        ensure(days)
    return (
        RatingRow.objects.filter(days=days, deputy__in=deputies.filter(is_active=True).values("pk"))
        .select_related("deputy__faction", "deputy__region")
        .defer("deputy__about", *(f"deputy__{name}" for name in LIGHT_REGION))
        .order_by("rank")
    )


@dataclass
class RegionFigures:
    """The party's figures in one region (the federal view's row)."""

    region: Territory | None
    deputies: int
    rated: int  # deputies with a score (appeals in the period)
    received: int
    answered: int
    on_time: int
    ratings: int
    ratings_good: int
    mean_score: float | None
    best: float | None
    by_level: dict[str, int]

    @property
    def answered_pct(self) -> float | None:
        return percent(self.answered, self.received)

    @property
    def on_time_pct(self) -> float | None:
        return percent(self.on_time, self.answered)

    @property
    def satisfaction_pct(self) -> float | None:
        return percent(self.ratings_good, self.ratings)


def by_region(days: int, deputies: QuerySet[Deputy], *, fresh: bool = False) -> list[RegionFigures]:
    """Per region: the deputies (by level) and their appeals' figures, the regions by mean score.
    Kept in the cache while the stored rating it is grouped from stays the same (the key has the
    time it was computed and the deputies' filter)."""
    if not fresh:
        ensure(days)
    chosen = deputies.filter(is_active=True)
    computed = RatingState.objects.filter(days=days).values_list("computed_at", flat=True).first()
    question = hashlib.sha256(str(chosen.values("pk").query).encode()).hexdigest()[:24]
    key = f"deputies:by-region:{days}:{computed.isoformat() if computed else '-'}:{question}"
    found: list[RegionFigures] | None = cache.get(key)
    if found is None:
        found = _by_region(days, chosen)
        cache.set(key, found, timeout=3600)
    return found


def _by_region(days: int, chosen: QuerySet[Deputy]) -> list[RegionFigures]:
    sums = (
        RatingRow.objects.filter(days=days, deputy__in=chosen.values("pk"))
        .values("deputy__region")
        .annotate(
            deputies=Count("pk"),
            rated=Count("score"),
            received=Sum("received"),
            answered=Sum("answered"),
            on_time=Sum("on_time"),
            ratings=Sum("ratings"),
            ratings_good=Sum("ratings_good"),
            total=Sum("score"),
            best=Max("score"),
        )
        .order_by()
    )
    levels: dict[int | None, dict[str, int]] = defaultdict(dict)
    for region, level, n in chosen.values_list("region", "level").annotate(n=Count("pk")).order_by():
        levels[region][level] = n
    names = {t.pk: t for t in Territory.objects.filter(pk__in=[r for r in levels if r]).only("pk", "name")}
    out = [
        RegionFigures(
            region=names.get(row["deputy__region"]),
            deputies=row["deputies"],
            rated=row["rated"],
            received=row["received"] or 0,
            answered=row["answered"] or 0,
            on_time=row["on_time"] or 0,
            ratings=row["ratings"] or 0,
            ratings_good=row["ratings_good"] or 0,
            mean_score=round(row["total"] / row["rated"], 1) if row["rated"] else None,
            best=row["best"],
            by_level=levels.get(row["deputy__region"], {}),
        )
        for row in sums
    ]
    out.sort(
        key=lambda r: (r.mean_score is None, -(r.mean_score or 0), r.region is None, str(r.region or ""))
    )
    return out


# --- topics of appeals to deputies by territory and week -----------------------------------------


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def refresh_topics(*, weeks: int = TOPIC_WEEKS, today: date | None = None) -> int:
    """Store the appeals to deputies of the last ``weeks`` weeks by region, municipality, top
    category and week, from the rollups' case facts; the number of rows stored."""
    rollups.ensure_fresh()
    today = today or timezone.localdate()
    start = monday(today) - timedelta(weeks=weeks - 1)
    region_of = dict(Deputy.objects.values_list("office_id", "region_id"))
    counts: dict[tuple[int, int, int, date], int] = defaultdict(int)
    facts = (
        CaseFact.objects.filter(agency__in=list(region_of), day__gte=start, day__lte=today)
        .values_list("agency", "territory", "category", "day")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for agency, territory, category, day, n in facts:
        counts[(region_of.get(agency) or 0, territory, category, monday(day))] += n
    with transaction.atomic():
        TopicWeek.objects.all().delete()
        TopicWeek.objects.bulk_create(
            [
                TopicWeek(region=region, territory=territory, category=category, week=week, appeals=n)
                for (region, territory, category, week), n in counts.items()
            ],
            batch_size=5000,
        )
        RatingState.objects.update_or_create(
            days=TOPICS_KEY,
            defaults={"fingerprint": fingerprint(TOPICS_KEY, today=today), "computed_at": timezone.now()},
        )
    return len(counts)


def ensure_topics(*, page: bool = False) -> None:
    """Store the topics anew when what they were counted from has changed (``page``: as
    :func:`ensure`)."""
    state = RatingState.objects.filter(days=TOPICS_KEY).first()
    if page and state is not None and timezone.now() - state.computed_at <= SERVED_FOR:
        return
    if state is None or state.fingerprint != fingerprint(TOPICS_KEY):
        refresh_topics()


@dataclass
class Topics:
    """Appeals to deputies by topic: rows (category name, per-week counts, total), the weeks, and the
    municipalities with the most appeals (name, total, the leading topic)."""

    weeks: list[date]
    categories: list[tuple[str, list[int], int]]
    territories: list[tuple[str, int, str]]
    total: int


def topics(region: int | None, *, weeks: int = TOPIC_WEEKS, limit: int = 10) -> Topics:
    """The region's (or every region's) appeals to deputies by topic and week and by municipality."""
    ensure_topics(page=True)
    start = monday(timezone.localdate()) - timedelta(weeks=weeks - 1)
    rows = TopicWeek.objects.filter(week__gte=start)
    if region is not None:
        rows = rows.filter(region=region)
    week_list = [start + timedelta(weeks=k) for k in range(weeks)]
    index = {w: k for k, w in enumerate(week_list)}
    by_category: dict[int, list[int]] = defaultdict(lambda: [0] * weeks)
    by_territory: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    total = 0
    for category, territory, week, n in rows.values_list("category", "territory", "week", "appeals"):
        if week in index:
            by_category[category][index[week]] += n
            by_territory[territory][category] += n
            total += n
    names = dict(Category.objects.filter(pk__in=[c for c in by_category if c]).values_list("pk", "name"))
    places = dict(Territory.objects.filter(pk__in=[t for t in by_territory if t]).values_list("pk", "name"))
    unknown = "—"
    categories = sorted(
        ((names.get(c, unknown), series, sum(series)) for c, series in by_category.items()),
        key=lambda r: (-r[2], r[0]),
    )[:limit]
    territories = sorted(
        (
            (places.get(t, unknown), sum(cats.values()), names.get(max(cats, key=lambda c: cats[c]), unknown))
            for t, cats in by_territory.items()
        ),
        key=lambda r: (-r[1], r[0]),
    )[:limit]
    return Topics(week_list, categories, territories, total)
