"""Deputies: making one with its reception office, the public directory, page visits, and the rating
of deputies for the party's internal ranking.

**The rating.** For a period, each deputy's office KPIs come from the analytics rollups
(:func:`otklik.analytics.kpi.agency_kpis`): appeals received, answered, answered on time, reopened,
ratings and good ratings (4–5 of 5). Four shares make the score:

* responsiveness — answered / received;
* speed — answered on time / answered;
* quality — 1 − reopened / answered (an answer that did not solve the problem comes back);
* feedback — good ratings / ratings;
* replied — residents who say they got a reply / residents who answered the two-week question
  (:mod:`otklik.deputies.followup`: a deputy may reply outside the system, the resident knows);
* concrete — cases whose published final answer passes the answer-quality check / cases with a
  published final answer (:mod:`otklik.cases.quality`: work done, a term within the next year, a
  check's finding or a step towards the one responsible — not a formal non-answer, "отписка"), from
  the rollups like the rest; ``otklik reassess-answers`` re-derives it after the check changes.

Each share is smoothed toward the mean of all deputies in the table with the weight of
:data:`PRIOR` appeals (a Bayesian average), so a deputy with two appeals and two good ratings does
not top a deputy with two hundred and a 95 % record. The score rewards answering: it is
100 × responsiveness × the mean of the other shares (over the shares some deputy in the table has
evidence for — before anyone is asked, "replied" does not count), the share of appeals that got an
answer, weighed by how good the answers were. A deputy who leaves most appeals unanswered cannot
rank first on the few answers they gave: answering 40 % caps the score near 40, however good those
answers. The raw shares are shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, F, QuerySet, Sum, Value, When
from django.utils import timezone

from otklik.accounts.permissions import AnyUser, Capability, can
from otklik.analytics import kpi, rollups
from otklik.analytics.figures import percent
from otklik.analytics.filters import Scope
from otklik.cases.models import Case
from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
from otklik.directory.models import Agency, Territory

from . import followup
from .models import (
    LEVEL_ORDER,
    LIGHT_REGION,
    Deputy,
    Faction,
    Level,
    PageVisit,
    RatingRow,
    RegionalCoordinator,
)

PRIOR = 5.0  # appeals' worth of the mean a deputy's shares start from
RATING_DAYS = 365


def make_deputy(
    full_name: str,
    *,
    council: str,
    level: str = Level.REGIONAL,
    faction: Faction | None = None,
    constituency: str = "",
    **fields: Any,
) -> Deputy:
    """A deputy with a reception office (an agency of kind "deputy" that executors answer for), of
    ``region`` (by default the installation's region when it serves one)."""
    if "region" not in fields and "region_id" not in fields:
        only = list(Territory.objects.filter(kind=TerritoryKind.REGION).values_list("pk", flat=True)[:2])
        fields["region_id"] = only[0] if len(only) == 1 else None
    with transaction.atomic():
        return Deputy.objects.create(
            full_name=full_name,
            council=council,
            level=level,
            faction=faction,
            constituency=constituency,
            office=office_for(full_name),
            **fields,
        )


def office_for(full_name: str) -> Agency:
    """The deputy's reception office: the agency the appeals to them are routed to."""
    office, _created = Agency.objects.get_or_create(
        name=f"Приёмная депутата {full_name}", defaults={"short_name": full_name, "kind": AgencyKind.DEPUTY}
    )
    return office


def directory(
    *,
    level: str = "",
    faction: int | None = None,
    territory: int | None = None,
    region: int | None = None,
    q: str = "",
) -> QuerySet[Deputy]:
    """The public list of active deputies with the filters of the directory page, the regional
    parliament first, then the capital's council, then municipal councils (the page pages it).
    Each word of ``q`` must be in the name, whatever its case (``ё`` as ``е``)."""
    deputies = (
        Deputy.objects.filter(is_active=True)
        .select_related("faction", "office", "region")
        .defer(*LIGHT_REGION)
    )
    if region:
        deputies = deputies.filter(region_id=region)
    if level:
        deputies = deputies.filter(level=level)
    if faction:
        deputies = deputies.filter(faction_id=faction)
    if territory:
        in_territory = Deputy.territories.through.objects.filter(territory_id=territory)
        deputies = deputies.filter(pk__in=in_territory.values("deputy_id"))
    words = q.casefold().replace("ё", "е").split()
    if words:  # matched in Python: SQLite's LIKE folds the case of Latin letters only
        names = deputies.values_list("pk", "full_name")
        deputies = deputies.filter(
            pk__in=[pk for pk, name in names if all(w in name.casefold().replace("ё", "е") for w in words)]
        )
    order = CaseWhen(*(When(level=key, then=Value(n)) for key, n in LEVEL_ORDER.items()), default=Value(9))
    return deputies.annotate(level_order=order).order_by("region__name", "level_order", "full_name", "pk")


def count_visit(deputy: Deputy, *, day: date | None = None) -> None:
    """One more visit of the deputy's page today (an upsert: concurrent visits are all counted)."""
    day = day or timezone.localdate()
    updated = PageVisit.objects.filter(deputy=deputy, day=day).update(count=F("count") + 1)
    if updated:
        return
    try:
        with transaction.atomic():
            PageVisit.objects.create(deputy=deputy, day=day, count=1)
    except IntegrityError:  # another request created today's row first
        PageVisit.objects.filter(deputy=deputy, day=day).update(count=F("count") + 1)


# --- the rating ----------------------------------------------------------------------------------


@dataclass
class DeputyScore:
    deputy: Deputy
    kpi: kpi.AgencyKpi
    visits: int = 0
    portal: int = 0  # appeals from the deputy's page
    calls: int = 0  # appeals taken by the call center
    shares: dict[str, float | None] = field(default_factory=dict)  # raw, for the table
    score: float | None = None
    replies: followup.Replies = followup.NO_REPLIES

    @property
    def received(self) -> int:
        return self.kpi.received


SHARES = ("responsiveness", "speed", "quality", "feedback", "replied", "concrete")


def _parts(row: DeputyScore) -> dict[str, tuple[float, float]]:
    """Each share as (successes, trials)."""
    k = row.kpi
    return {
        "responsiveness": (k.answered, k.received),
        "speed": (k.on_time, k.answered),
        "quality": (k.answered - k.reopened, k.answered),
        "feedback": (k.ratings_good, k.ratings),
        "replied": (row.replies.yes, row.replies.answered),
        "concrete": (row.kpi.concrete, row.kpi.published),
    }


def _score(parts: dict[str, tuple[float, float]], means: dict[str, float]) -> float:
    """Smoothed responsiveness × the mean of the other smoothed shares (see the module docstring)."""
    smoothed = {
        name: (hit + PRIOR * means[name]) / (n + PRIOR) for name, (hit, n) in parts.items() if name in means
    }
    answering = smoothed.pop("responsiveness", 1.0)
    quality = sum(smoothed.values()) / len(smoothed) if smoothed else 1.0
    return answering * quality


@dataclass(frozen=True)
class Reach:
    """The deputies a user may see, as factions and regions (None: every one, with or without)."""

    factions: tuple[int, ...] | None = None
    regions: tuple[int, ...] | None = None

    def deputies(self) -> QuerySet[Deputy]:
        deputies = Deputy.objects.select_related("faction", "office")
        if self.factions is not None:
            deputies = deputies.filter(faction__in=self.factions)
        if self.regions is not None:
            deputies = deputies.filter(region__in=self.regions)
        return deputies


def reach(user: AnyUser) -> Reach:
    """Whose rating and figures ``user`` may see: the center and analysts every deputy, a party
    coordinator the deputies of the factions they coordinate — of every region for the party's
    headquarters, of their regions only for a regional coordinator
    (:class:`~.models.RegionalCoordinator`); anyone else nobody (PermissionDenied)."""
    if can(user, Capability.READ_DEPUTY_RATINGS):
        return Reach()
    if can(user, Capability.COORDINATE_FACTION):
        factions = tuple(Faction.objects.filter(coordinators=user.pk).values_list("pk", flat=True))
        regions = coordinated_regions(user)
        return Reach(factions, None if regions is None else tuple(regions))
    raise PermissionDenied


def visible_deputies(user: AnyUser) -> QuerySet[Deputy]:
    """The deputies of :func:`reach` (PermissionDenied for those who may see none)."""
    return reach(user).deputies()


def coordinated_regions(user: AnyUser) -> list[int] | None:
    """The regions a regional coordinator is bound to; None for everyone else (every region)."""
    if not can(user, Capability.COORDINATE_FACTION) or can(user, Capability.READ_DEPUTY_RATINGS):
        return None
    regions = list(RegionalCoordinator.objects.filter(user_id=user.pk).values_list("region", flat=True))
    return regions or None


def regions() -> QuerySet[Territory]:
    """The regions the installation serves (those with a deputy)."""
    return Territory.objects.filter(
        kind=TerritoryKind.REGION, pk__in=Deputy.objects.values("region_id")
    ).only("pk", "name")


def rating(deputies: QuerySet[Deputy], scope: Scope) -> list[DeputyScore]:
    """The deputies ranked by score (those without appeals last), with their shares and visits."""
    rollups.ensure_fresh()
    chosen = list(deputies)
    kpis = kpi.agency_kpis(scope)
    visits = dict(
        PageVisit.objects.filter(deputy__in=chosen, day__gte=scope.date_from, day__lte=scope.date_to)
        .values_list("deputy")
        .annotate(n=Sum("count"))
        .values_list("deputy", "n")
    )
    channels: dict[tuple[int, str], int] = {
        (agency, channel): n
        for agency, channel, n in Case.objects.filter(
            agency__in=[d.office_id for d in chosen],
            created_at__date__gte=scope.date_from,
            created_at__date__lte=scope.date_to,
        )
        .values_list("agency", "channel")
        .annotate(n=Count("pk"))
        .values_list("agency", "channel", "n")
    }
    rows = [
        DeputyScore(
            d, kpis.get(d.office_id) or kpi.AgencyKpi(d.office_id, name=d.full_name), visits.get(d.pk, 0)
        )
        for d in chosen
    ]
    replies = followup.replies_by_deputy(scope.date_from, scope.date_to, chosen)
    for row in rows:
        row.portal = channels.get((row.deputy.office_id, Channel.DEPUTY), 0)
        row.calls = channels.get((row.deputy.office_id, Channel.PHONE), 0)
        row.replies = replies.get(row.deputy.pk, row.replies)
    totals = {name: [0.0, 0.0] for name in SHARES}
    for row in rows:
        for name, (hit, n) in _parts(row).items():
            totals[name][0] += hit
            totals[name][1] += n
    # A share nobody in the table has evidence for (no resident asked yet, no answer published in
    # the system) is left out of the score rather than counted as everyone's 100 %.
    means = {name: hit / n for name, (hit, n) in totals.items() if n}
    for row in rows:
        parts = _parts(row)
        row.shares = {name: (hit / n if n else None) for name, (hit, n) in parts.items()}
        if row.kpi.received and means:
            row.score = round(100 * _score(parts, means), 1)
    rows.sort(key=lambda r: (r.score is None, -(r.score or 0), -r.received, r.deputy.full_name))
    return rows


def rating_scope(days: int = RATING_DAYS, *, today: date | None = None) -> Scope:
    end = today or timezone.localdate()
    return Scope(date_from=end - timedelta(days=days - 1), date_to=end)


@dataclass(frozen=True)
class PublicRecord:
    """What the deputy's public page says of their work over the last year."""

    received: int
    answered_pct: float | None
    on_time_pct: float | None
    median_minutes: float | None  # working minutes to the final answer
    satisfaction_pct: float | None
    ratings: int
    replies: followup.Replies = followup.NO_REPLIES  # the two-week question's answers


def public_record(deputy: Deputy) -> PublicRecord:
    """The deputy's figures of the last year: their row of the stored rating when there is one (the
    same figures as the rating's; the periodic job ``deputies-rating`` keeps it within minutes),
    else counted from the rollups."""
    stored = RatingRow.objects.filter(days=RATING_DAYS, deputy=deputy).first()
    if stored is not None:
        return PublicRecord(
            received=stored.received,
            answered_pct=percent(stored.answered, stored.received),
            on_time_pct=percent(stored.on_time, stored.answered),
            median_minutes=stored.final_median,
            satisfaction_pct=percent(stored.ratings_good, stored.ratings),
            ratings=stored.ratings,
            replies=followup.Replies(
                stored.replies_asked, stored.replies_yes, stored.replies_answered - stored.replies_yes
            ),
        )
    rollups.ensure_fresh()
    scope = rating_scope()
    replies = followup.replies_by_deputy(scope.date_from, scope.date_to, [deputy]).get(
        deputy.pk, followup.NO_REPLIES
    )
    k = kpi.agency_kpis(scope, agency=deputy.office_id).get(deputy.office_id)
    if k is None:
        return PublicRecord(0, None, None, None, None, 0, replies)
    return PublicRecord(
        received=k.received,
        answered_pct=percent(k.answered, k.received),
        on_time_pct=k.on_time_pct,
        median_minutes=k.final_median,
        satisfaction_pct=k.satisfaction_pct,
        ratings=k.ratings,
        replies=replies,
    )
