"""The commissions' protocols against what the observers saw — the situational center's check after
the polls close (NDI Apollo calls it the quick-count verification).

**Loading.** :func:`import_protocols` reads the CEC's per-station results table (the format of
``shared/data/ru_elections_uik_results``): registered voters, ballots issued (early, in the room and
outside it, summed), valid and invalid ballots, and one column per candidate or party. Stations are
matched by number; re-running replaces a station's protocol.

**Checking.** :func:`check` compares each protocol's ballots issued with the observer's final
turnout — the last figure reported at or after 19:30 on election day, when few voters are still to
come — and lists the stations where the protocol counts more voters than the observer saw by more
than ``threshold_pp`` points of the registered voters (5 by default): where ballots may have been
added. It also sets the official shares of the options against the exit poll's estimate and its 95 %
margin — an official share outside the margin is worth a look — and, station by station where the
exit poll was taken (from 30 respondents), lists an option whose share in the protocol is more than
20 points from its share among the respondents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import exit_polls
from .models import Election, ExitPollCount, PollingStation, Protocol, Report, ReportKind
from .tables import open_table

FINAL_FROM = time(19, 30)


@dataclass
class ProtocolImport:
    protocols: int = 0
    replaced: int = 0
    options: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _int(value: str) -> int:
    return int(float(value or 0))


def import_protocols(path: Path, *, election: Election, region: str = "") -> ProtocolImport:
    result = ProtocolImport()
    stations = {s.number: s for s in PollingStation.objects.all()}
    with path.open(encoding="utf-8-sig", newline="") as handle, transaction.atomic():
        reader, _columns = open_table(handle, {})
        header: list[str] = reader.fieldnames
        voters = re.compile(r"Число избирателей, (включенных|внесенных)")
        registered = next((h for h in header if voters.match(h)), None)
        issued = [h for h in header if h.startswith("Число избирательных бюллетеней, выданных")]
        valid = next((h for h in header if h.startswith("Число действительных")), None)
        invalid = next((h for h in header if h.startswith("Число недействительных")), None)
        if "uik" not in header or registered is None or not issued:
            raise ValidationError(
                f"{path.name}: not a CEC per-station results table (uik, voters, ballots issued)"
            )
        if "region" in header and not region:
            raise ValidationError(f"{path.name} holds several regions: name the one to import (--region)")
        result.options = [
            h for h in header if h not in ("region", "tik", "uik") and not h.startswith("Число")
        ]
        for line, row in enumerate(reader, start=2):
            if "region" in header and (row["region"] or "").strip() != region:
                continue
            number = re.search(r"\d+", row["uik"] or "")
            station = stations.get(int(number.group(0))) if number else None
            if station is None:
                result.skipped.append(f"line {line}: no polling station {row['uik']!r}")
                continue
            try:
                fields = {
                    "registered": _int(row[registered]),
                    "issued": sum(_int(row[h]) for h in issued),
                    "valid": _int(row[valid]) if valid else 0,
                    "invalid": _int(row[invalid]) if invalid else 0,
                    "votes": {name: _int(row[name]) for name in result.options},
                    "loaded_at": timezone.now(),
                }
            except ValueError:
                result.skipped.append(f"line {line}: a figure is not a number")
                continue
            _protocol, created = Protocol.objects.update_or_create(
                election=election, station=station, defaults=fields
            )
            result.protocols += created
            result.replaced += not created
    return result


@dataclass(frozen=True)
class Discrepancy:
    protocol: Protocol
    observed: int  # the observer's final turnout
    observed_at: datetime
    gap_pct: float  # ballots issued beyond what the observer saw, in points of the registered voters

    @property
    def extra(self) -> int:
        return self.protocol.issued - self.observed


@dataclass(frozen=True)
class OptionCheck:
    name: str
    official_pct: float
    exit_poll_pct: float | None
    margin95_pct: float | None

    @property
    def outside(self) -> bool:
        if self.exit_poll_pct is None or self.margin95_pct is None:
            return False
        return abs(self.official_pct - self.exit_poll_pct) > self.margin95_pct


@dataclass(frozen=True)
class StationGap:
    """An exit-poll station whose protocol gives an option a share far from what its voters said."""

    protocol: Protocol
    option: str
    official_pct: float
    poll_pct: float
    respondents: int

    @property
    def gap_pp(self) -> float:
        return round(self.official_pct - self.poll_pct, 1)


@dataclass
class ProtocolCheck:
    protocols: int = 0
    registered: int = 0
    issued: int = 0
    compared: int = 0  # protocols with an observer's final figure
    discrepancies: list[Discrepancy] = field(default_factory=list)
    options: list[OptionCheck] = field(default_factory=list)
    station_gaps: list[StationGap] = field(default_factory=list)

    @property
    def turnout_pct(self) -> float | None:
        return round(100 * self.issued / self.registered, 1) if self.registered else None


STATION_GAP_PP = 20.0  # an option's share at an exit-poll station, protocol against respondents
STATION_MIN_RESPONDENTS = 30


def _station_gaps(election: Election, protocols: dict[int, Protocol]) -> list[StationGap]:
    """Exit-poll stations (with enough respondents) where an option's official share differs from the
    respondents' by more than :data:`STATION_GAP_PP` points."""
    counts: dict[int, dict[str, int]] = {}
    for station_id, name, count in ExitPollCount.objects.filter(sheet__election=election).values_list(
        "sheet__station_id", "option__name", "count"
    ):
        per = counts.setdefault(station_id, {})
        per[name] = per.get(name, 0) + count
    gaps = []
    for station_id, per in counts.items():
        protocol = protocols.get(station_id)
        respondents = sum(per.values())
        if protocol is None or not protocol.valid or respondents < STATION_MIN_RESPONDENTS:
            continue
        for name, said in per.items():
            if name not in protocol.votes:
                continue
            official = 100 * int(protocol.votes[name]) / protocol.valid
            poll = 100 * said / respondents
            if abs(official - poll) > STATION_GAP_PP:
                gaps.append(StationGap(protocol, name, round(official, 1), round(poll, 1), respondents))
    return sorted(gaps, key=lambda g: (-abs(g.gap_pp), g.protocol.station.number, g.option))


def check(election: Election, *, threshold_pp: float = 5.0) -> ProtocolCheck:
    protocols = list(Protocol.objects.filter(election=election).select_related("station__commission"))
    out = ProtocolCheck(protocols=len(protocols))
    if not protocols:
        return out
    out.registered = sum(p.registered for p in protocols)
    out.issued = sum(p.issued for p in protocols)
    tz = timezone.get_current_timezone()
    final_from = datetime.combine(election.day, FINAL_FROM, tzinfo=tz)
    finals: dict[int, tuple[int, datetime]] = {}
    for station_id, turnout, at in (
        Report.objects.filter(election=election, kind=ReportKind.TURNOUT, created_at__gte=final_from)
        .exclude(turnout=None)
        .order_by("created_at", "pk")
        .values_list("station_id", "turnout", "created_at")
    ):
        if turnout is not None:
            finals[station_id] = (turnout, at)  # the latest wins
    for protocol in protocols:
        final = finals.get(protocol.station_id)
        if final is None or not protocol.registered:
            continue
        out.compared += 1
        gap = 100 * (protocol.issued - final[0]) / protocol.registered
        if gap > threshold_pp:
            out.discrepancies.append(Discrepancy(protocol, final[0], final[1], round(gap, 1)))
    out.discrepancies.sort(key=lambda d: (-d.gap_pct, d.protocol.station.number))
    valid = sum(p.valid for p in protocols)
    totals: dict[str, int] = {}
    for protocol in protocols:
        for name, votes in protocol.votes.items():
            totals[name] = totals.get(name, 0) + int(votes)
    poll = {s.option.name: s for s in exit_polls.aggregate(election).shares}
    out.options = sorted(
        (
            OptionCheck(
                name,
                round(100 * votes / valid, 1) if valid else 0.0,
                poll[name].share_pct if name in poll else None,
                poll[name].margin95_pct if name in poll else None,
            )
            for name, votes in totals.items()
        ),
        key=lambda o: -o.official_pct,
    )
    out.station_gaps = _station_gaps(election, {p.station_id: p for p in protocols})
    return out
