"""The hand-annotated pairs of appeals (``docs/annotation/pairs.md``): duplicates, the same reason, different.

One set, ``spb_pairs.csv``: pairs of ``spb_our_city_dev`` appeals posted within three days of each
other (the near-duplicate window), keyed ``"<smaller id>|<larger id>"``. The texts, points, addresses
and times are read from ``../shared/data`` at evaluation time. Two kinds of draw: the **strata**
(:data:`STRATA`, :func:`draw_pairs` repeats them) and the **join waves** (:data:`JOIN_WAVES`): a
random sample of the joins the pipeline made when the whole data set was replayed through it, with
the near-duplicate logic of that round (:func:`draw_join_wave`).
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .annotations import ANNOTATIONS_DIR, held_out, pair_key, read_annotations
from .answer_annotations import SPB, read_spb

FILE = ANNOTATIONS_DIR / "spb_pairs.csv"
WINDOW_HOURS = 72


class PairLabel:
    DUPLICATE = "duplicate"  # the same problem at the same place: one case
    SAME_REASON = "same_reason"  # the same kind of problem, another place or object
    DIFFERENT = "different"


LABELS = (PairLabel.DUPLICATE, PairLabel.SAME_REASON, PairLabel.DIFFERENT)
SEED = 20261211
# (stratum, pairs drawn), in the order drawn; the strata partition the candidate pairs (see pairs.md).
STRATA = (
    ("text_close_near", 70),
    ("text_close_mid", 40),
    ("text_close_apart", 50),
    ("building_same_reason", 60),
    ("building_other_reason", 50),
    ("nearby_same_reason", 30),
    ("district_random", 30),
)


# (stratum, pairs drawn, seed): samples of the pipeline's joins on the replayed data set, each with the
# near-duplicate logic of its round (pairs.md names the commits); pairs annotated before are not drawn.
JOIN_WAVES = (
    ("pipeline_join_1", 120, 20261212),
    ("pipeline_join_2", 100, 20261213),
    ("pipeline_join_3", 100, 20261214),
    ("pipeline_join_4", 100, 20261215),
)


@dataclass(frozen=True)
class Appeal:
    id: str
    text: str
    created: datetime
    lat: float
    lon: float
    address: str  # the portal's building address, empty for a street-level problem
    reason: str
    district: str


@dataclass(frozen=True)
class AnnotatedPair:
    first: Appeal  # posted first
    second: Appeal
    label: str
    stratum: str
    note: str

    @property
    def key(self) -> str:
        return pair_key(self.first.id, self.second.id)

    @property
    def held_out(self) -> bool:
        return held_out(SPB, self.key)

    @property
    def duplicate(self) -> bool:
        return self.label == PairLabel.DUPLICATE

    @property
    def borderline(self) -> bool:
        return self.note.startswith("?")


def appeals(rows: Iterable[Mapping[str, str]]) -> dict[str, Appeal]:
    """The appeals that have a point, by id."""
    out: dict[str, Appeal] = {}
    for row in rows:
        try:
            lat, lon = float(row["latitude"]), float(row["longitude"])
        except (TypeError, ValueError):
            continue
        out[row["id"]] = Appeal(
            row["id"],
            row["text"],
            datetime.fromisoformat(row["created"]),
            lat,
            lon,
            row["full_address"],
            row["reason"],
            row["district"],
        )
    return out


def annotated_pairs(
    data: Path | None = None, *, rows: Mapping[str, Mapping[str, str]] | None = None
) -> list[AnnotatedPair]:
    by_id = appeals((rows or read_spb(data)).values())
    keys = {
        pair_key(a, b): (a, b)
        for a, b in (line.split("|") for line in _keys(FILE))
        if a in by_id and b in by_id
    }
    out: list[AnnotatedPair] = []
    for a in read_annotations(FILE, LABELS, known_ids=keys.keys()):
        first, second = sorted((by_id[x] for x in keys[a.id]), key=lambda p: (p.created, int(p.id)))
        out.append(AnnotatedPair(first, second, a.label, a.stratum, a.note))
    return out


def _keys(path: Path) -> list[str]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [row["id"] for row in csv.DictReader(handle)]


def distance_m(a: Appeal, b: Appeal) -> float:
    dy = (a.lat - b.lat) * 111_320
    dx = (a.lon - b.lon) * 111_320 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


# --- the draw ------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+")
_STOP_TEXT = """и в во на не нет но а о об от до по за из у к ко с со же ли бы то что как это так уже еще
    или для при над под про без через его ее их мы вы они он она оно я ты все всё вот там тут
    где когда кто чем чтобы если даже очень просто только был была были будет есть нам нас вам"""
_STOP = frozenset(_STOP_TEXT.split())


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("ё", "е"))


def _stems(text: str) -> frozenset[str]:
    """The draw's own text likeness (word stems of five letters, numbers whole) — the same idea as the
    near-duplicate logic's features, written here so the draw does not move when that logic does."""
    out = set()
    for w in _words(text):
        if w.isdigit():
            out.add(w)
        elif len(w) >= 3 and w not in _STOP:
            out.add(w[:5])
    return frozenset(out)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _candidate(a: Appeal, b: Appeal, d: float, likeness: float) -> bool:
    """Whether a pair is one the draw reads from: at one building, a template far apart, the same
    reason nearby, a like text within 3 km, or the same district farther than 300 m."""
    same_text = _words(a.text) == _words(b.text)
    return (
        d <= 50
        or (same_text and d > 300)
        or (d <= 300 and a.reason == b.reason)
        or (likeness >= 0.5 and not same_text and d <= 3000)
        or (a.district == b.district and d > 300)
    )


def stratum_of(a: Appeal, b: Appeal, stems: Mapping[str, frozenset[str]]) -> str | None:
    d = distance_m(a, b)
    likeness = _jaccard(stems[a.id], stems[b.id])
    if not _candidate(a, b, d, likeness):
        return None
    if likeness >= 0.5:
        return "text_close_near" if d <= 50 else "text_close_mid" if d <= 300 else "text_close_apart"
    if d <= 50:
        return "building_same_reason" if a.reason == b.reason else "building_other_reason"
    if d <= 300 and a.reason == b.reason:
        return "nearby_same_reason"
    return "district_random" if a.district == b.district else None


def candidate_pairs(by_id: Mapping[str, Appeal]) -> dict[str, list[tuple[Appeal, Appeal]]]:
    """Pairs posted within the window (both with a point and four words or more), by stratum."""
    items = sorted(
        (a for a in by_id.values() if len(_words(a.text)) >= 4), key=lambda a: (a.created, int(a.id))
    )
    stems = {a.id: _stems(a.text) for a in items}
    out: dict[str, list[tuple[Appeal, Appeal]]] = {}
    for i, a in enumerate(items):
        for b in items[i + 1 :]:
            if (b.created - a.created).total_seconds() > WINDOW_HOURS * 3600:
                break
            stratum = stratum_of(a, b, stems)
            if stratum is not None:
                out.setdefault(stratum, []).append((a, b))
    return out


def draw_pairs(by_id: Mapping[str, Appeal]) -> list[tuple[str, str]]:
    """(pair key, stratum) of the pairs read, as ``pairs.md`` describes."""
    candidates = candidate_pairs(by_id)
    rng = random.Random(SEED)
    out = []
    for stratum, n in STRATA:
        pool = sorted(candidates.get(stratum, []), key=lambda p: (int(p[0].id), int(p[1].id)))
        out += [(pair_key(a.id, b.id), stratum) for a, b in rng.sample(pool, n)]
    return out


def draw_join_wave(joins: Iterable[tuple[str, str]], annotated: Iterable[str], stratum: str) -> list[str]:
    """The pair keys of a join wave: ``joins`` (the earlier and the joined appeal's ids, from replaying
    the data set) less the pairs ``annotated`` before, sorted by their ids, sampled with the wave's seed."""
    size, seed = next((n, s) for name, n, s in JOIN_WAVES if name == stratum)
    pool = sorted({pair_key(a, b) for a, b in joins} - set(annotated), key=_id_order)
    return random.Random(seed).sample(pool, size)


def _id_order(key: str) -> tuple[int, ...]:
    return tuple(int(x) for x in key.split("|"))
