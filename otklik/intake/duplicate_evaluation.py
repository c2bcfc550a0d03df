"""Near-duplicate joins measured on hand-annotated pairs of real appeals (``otklik evaluate-duplicates``).

Each annotated pair (``docs/annotation/pairs.md``: two St Petersburg appeals posted within the
three-day window) goes through the real pipeline — :func:`~otklik.intake.pipeline.run_batch`, its
*dedup* and *similar* stages — as two web-form messages with their texts, times and points: the
first makes a case, then the second arrives in a batch of its own. The pair is **joined** when the
second message attaches to the first one's case. Every pair runs inside a savepoint that is rolled
back, so no pair sees another's cases; the caller wraps the whole run in a transaction it rolls back
(the command does), so the database is left as it was.

Precision = pairs joined that are duplicates / pairs joined (a wrong join hides a resident's
problem); recall = duplicates joined / duplicates.

:func:`replay` runs the whole data set through the pipeline in time order (one appeal a batch, at its
own time) and returns the joins it made: the population the join waves of the annotation are drawn
from (``pair_annotations.JOIN_WAVES``). A wave's share of duplicates is the precision of the joins the
logic of its round makes on real traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from otklik.directory.choices import Channel
from otklik.directory.models import Territory
from otklik.directory.regions import load_region
from otklik.understanding.annotations import shared_data
from otklik.understanding.pair_annotations import AnnotatedPair, Appeal

from .models import Message, Source
from .pipeline import run_batch

SOURCE = "evaluation-spb-portal"
SPB_ZONE = ZoneInfo("Europe/Moscow")  # the portal's times are St Petersburg's local time
REGION = "Санкт-Петербург"


def load_spb(data: Path | None = None) -> Territory:
    """Saint Petersburg's municipal okrugs (``russia_geojson_osm``): a point finds its okrug."""
    return load_region(
        name=REGION,
        geojson_path=(data or shared_data()) / "russia_geojson_osm" / "Saint-Petersburg.geojson",
        towns_csv_path=None,
    ).region


def item(appeal: Appeal) -> dict[str, object]:
    return {
        "source": SOURCE,
        "external_id": appeal.id,
        "text": appeal.text,
        "posted_at": appeal.created.replace(tzinfo=SPB_ZONE).isoformat(),
        "lat": appeal.lat,
        "lon": appeal.lon,
        "address": appeal.address,  # the portal's building address (empty for a street-level problem)
    }


def joined(pair: AnnotatedPair) -> bool:
    """Whether the pipeline attaches the later appeal to the earlier one's case (nothing is kept)."""
    Source.objects.get_or_create(code=SOURCE, defaults={"name": SOURCE, "channel": Channel.WEB_FORM})
    savepoint = transaction.savepoint()
    try:
        run_batch([item(pair.first)], now=_aware(pair.first.created))
        run_batch([item(pair.second)], now=_aware(pair.second.created))
        cases = dict(
            Message.objects.filter(
                source__code=SOURCE, external_id__in=[pair.first.id, pair.second.id]
            ).values_list("external_id", "case_id")
        )
        first, second = cases.get(pair.first.id), cases.get(pair.second.id)
        return first is not None and first == second
    finally:
        transaction.savepoint_rollback(savepoint)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=SPB_ZONE)


# A slice of the replay starts this long before its first appeal: every message a join could reach
# (posted within the three-day window) and the case it belongs to are there, unless a case grew by joins
# for more than twice the window before the slice.
WARM_UP = timedelta(days=6)


def replay_slice(appeals: Iterable[Appeal], k: int, n: int) -> tuple[list[Appeal], set[str]]:
    """The appeals replayed for slice ``k`` of ``n`` (0-based) and the ids whose joins it reports. The
    time-sorted appeals are cut into ``n`` slices of equal count; a slice replays its own appeals after
    those of :data:`WARM_UP` before it, and reports the joins of its own appeals only — so ``n``
    processes on ``n`` databases share the replay's work, and their joins together are the whole
    replay's but for a case that grew for longer than the warm-up (its first appeal then differs)."""
    ordered = sorted(appeals, key=lambda a: (a.created, int(a.id)))
    size = -(-len(ordered) // n)
    own = ordered[k * size : (k + 1) * size]
    if not own:
        return [], set()
    warm = [a for a in ordered[: k * size] if a.created >= own[0].created - WARM_UP]
    return warm + own, {a.id for a in own}


def replay(
    appeals: Iterable[Appeal], *, progress: Callable[[int], None] | None = None
) -> list[tuple[str, str]]:
    """Every appeal through the pipeline in time order; the joins made: (the case's first appeal, the
    appeal attached to it). The caller rolls the transaction back."""
    Source.objects.get_or_create(code=SOURCE, defaults={"name": SOURCE, "channel": Channel.WEB_FORM})
    for n, appeal in enumerate(sorted(appeals, key=lambda a: (a.created, int(a.id)))):
        run_batch([item(appeal)], now=_aware(appeal.created))
        if progress is not None and n % 1000 == 0:
            progress(n)
    by_case: dict[int, list[tuple[int, str]]] = {}
    for pk, external_id, case_id in Message.objects.filter(source__code=SOURCE).values_list(
        "pk", "external_id", "case_id"
    ):
        by_case.setdefault(case_id, []).append((pk, external_id))
    joins = []
    for messages in by_case.values():
        messages.sort()
        joins += [(messages[0][1], external_id) for _, external_id in messages[1:]]
    return joins


@dataclass
class PartReport:
    pairs: int = 0
    duplicates: int = 0
    joined: int = 0
    joined_duplicates: int = 0
    joined_borderline: int = 0  # joined duplicates whose label is borderline ("?" in the note)
    borderline_duplicates: int = 0
    wrong: list[AnnotatedPair] = field(default_factory=list)  # joined, not duplicates
    missed: list[AnnotatedPair] = field(default_factory=list)  # duplicates not joined

    @property
    def precision(self) -> float:
        return self.joined_duplicates / self.joined if self.joined else 1.0

    @property
    def recall(self) -> float:
        return self.joined_duplicates / self.duplicates if self.duplicates else 0.0

    @property
    def strict_precision(self) -> float:
        """Precision when every borderline duplicate is counted a wrong join."""
        return (self.joined_duplicates - self.joined_borderline) / self.joined if self.joined else 1.0


def part_of(pair: AnnotatedPair) -> str:
    """A join wave is its own part; a stratified pair is development or held-out."""
    if pair.stratum.startswith("pipeline_join"):
        return pair.stratum
    return "held-out" if pair.held_out else "development"


def evaluate(
    pairs: Iterable[AnnotatedPair], *, parts: Iterable[str] = ("development", "held-out")
) -> dict[str, PartReport]:
    wanted = list(parts)
    report = {p: PartReport() for p in wanted}
    for pair in pairs:
        part = part_of(pair)
        if part not in report:
            continue
        r = report[part]
        was_joined = joined(pair)
        r.pairs += 1
        r.duplicates += pair.duplicate
        r.joined += was_joined
        r.joined_duplicates += was_joined and pair.duplicate
        r.joined_borderline += was_joined and pair.duplicate and pair.borderline
        r.borderline_duplicates += pair.duplicate and pair.borderline
        if was_joined and not pair.duplicate:
            r.wrong.append(pair)
        if pair.duplicate and not was_joined:
            r.missed.append(pair)
    return report
