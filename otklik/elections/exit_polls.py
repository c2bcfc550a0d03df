"""Exit polls: observers enter tallies of respondents at their station; the situational center sees
each option's share with 95 % and 99 % margins.

The sample is a cluster sample — respondents are interviewed at a few stations, and people at one
station vote alike — so the margin is not the simple binomial one. Each option's share is a ratio
estimate p = Σyᵢ / Σmᵢ over stations i (yᵢ respondents naming the option, mᵢ respondents at the
station), and its variance is estimated from the spread between stations (the linearization
variance of a ratio, as NDI's quick counts compute it):

    var(p) = n / (n − 1) · Σ (yᵢ − p·mᵢ)² / (Σmᵢ)²

with n stations. With fewer than two stations no margin is given. Declined answers are counted but
not in the shares.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.accounts.permissions import AnyUser, signed_in

from .access import observer_station
from .models import Election, ExitPollCount, ExitPollOption, ExitPollSheet

Z95, Z99 = 1.959964, 2.575829


@dataclass(frozen=True)
class Share:
    option: ExitPollOption
    respondents: int
    share: float  # 0..1
    margin95: float | None
    margin99: float | None

    @property
    def share_pct(self) -> float:
        return round(100 * self.share, 1)

    @property
    def margin95_pct(self) -> float | None:
        return round(100 * self.margin95, 1) if self.margin95 is not None else None

    @property
    def margin99_pct(self) -> float | None:
        return round(100 * self.margin99, 1) if self.margin99 is not None else None


@dataclass(frozen=True)
class ExitPoll:
    shares: list[Share]
    respondents: int
    declined: int
    stations: int


def enter_sheet(
    *, observer: AnyUser, election: Election, counts: dict[int, int], declined: int = 0
) -> ExitPollSheet:
    """An observer's tally at their own station: option id → respondents."""
    station = observer_station(observer)
    observer = signed_in(observer)
    options = {o.pk: o for o in ExitPollOption.objects.filter(election=election)}
    unknown = set(counts) - set(options)
    if unknown:
        raise ValidationError(_("Unknown exit poll option."))
    if any(n < 0 for n in counts.values()) or declined < 0:
        raise ValidationError(_("Counts cannot be negative."))
    if not sum(counts.values()) and not declined:
        raise ValidationError(_("The sheet is empty."))
    with transaction.atomic():
        sheet = ExitPollSheet.objects.create(
            election=election, station=station, author=observer, declined=declined, created_at=timezone.now()
        )
        ExitPollCount.objects.bulk_create(
            ExitPollCount(sheet=sheet, option=options[pk], count=n) for pk, n in counts.items() if n
        )
    return sheet


def ratio_margins(by_station: list[tuple[int, int]]) -> tuple[float, float | None]:
    """(share, standard error) of a ratio estimate from (yᵢ, mᵢ) per station."""
    total = sum(m for _y, m in by_station)
    if not total:
        return 0.0, None
    p = sum(y for y, _m in by_station) / total
    n = len([1 for _y, m in by_station if m])
    if n < 2:
        return p, None
    spread = sum((y - p * m) ** 2 for y, m in by_station)
    return p, math.sqrt(n / (n - 1) * spread) / total


def aggregate(election: Election) -> ExitPoll:
    options = list(ExitPollOption.objects.filter(election=election))
    per_station: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for station_id, option_id, count in ExitPollCount.objects.filter(sheet__election=election).values_list(
        "sheet__station_id", "option_id", "count"
    ):
        per_station[station_id][option_id] += count
    declined = sum(ExitPollSheet.objects.filter(election=election).values_list("declined", flat=True))
    respondents = {s: sum(c.values()) for s, c in per_station.items()}
    shares = []
    for option in options:
        pairs = [(counts.get(option.pk, 0), respondents[s]) for s, counts in per_station.items()]
        p, se = ratio_margins(pairs)
        shares.append(
            Share(
                option=option,
                respondents=sum(y for y, _m in pairs),
                share=p,
                margin95=Z95 * se if se is not None else None,
                margin99=Z99 * se if se is not None else None,
            )
        )
    shares.sort(key=lambda s: (-s.share, s.option.order, s.option.name))
    return ExitPoll(
        shares=shares, respondents=sum(respondents.values()), declined=declined, stations=len(per_station)
    )
