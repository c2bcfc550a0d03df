"""The hand-annotated appeals for urgency (``docs/annotation/urgency.md``) joined with their texts.

Two sets, by row id: ``spb_urgency.csv`` (``spb_our_city_dev``) and ``kursk_urgency.csv``
(``kursk_pos_2022``, both files). Texts are read from ``../shared/data`` at evaluation time.

The rows were drawn as a **stratified random sample of distinct texts**: every distinct text (lower
case, words only) of a data set falls in one of three strata by cue words — ``cue_strong`` (words of
a likely emergency, or flagged by the urgency rules as they stood before this annotation),
``cue_broad`` (words that may touch one: water, heating, wires, children, trees, …) and ``no_cue``
(the rest) — and each stratum was sampled at random at its own rate. So figures can be given both
on the annotated rows and, weighting each row by its stratum's size over its sample size, for the
whole data set (:func:`population_weights`). :func:`draw_sample` repeats the draw.
"""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .annotations import ANNOTATIONS_DIR, held_out, read_annotations, shared_data

SPB = "spb_our_city_dev"
KURSK = "kursk_pos_2022"
FILES = {SPB: ANNOTATIONS_DIR / "spb_urgency.csv", KURSK: ANNOTATIONS_DIR / "kursk_urgency.csv"}
# Rows the urgency rules of commit c502b1a flagged (dataset,id): part of the ``cue_strong`` stratum.
OLD_RULES_FILE = ANNOTATIONS_DIR / "urgency_draw_old_rules.csv"


class UrgencyLabel:
    LIFE_HEALTH = "life_health"
    UTILITY = "utility_emergency"
    CHILD = "child_in_danger"
    NONE = "none"


LABELS = (UrgencyLabel.LIFE_HEALTH, UrgencyLabel.UTILITY, UrgencyLabel.CHILD, UrgencyLabel.NONE)
URGENT = frozenset(LABELS) - {UrgencyLabel.NONE}

STRATA = ("cue_strong", "cue_broad", "no_cue")


@dataclass(frozen=True)
class FrozenScore:
    """A second stratification of the texts no wave through ``after_wave`` drew, by round ``round``'s
    frozen score (``urgency_restratify``): ``r<N>_flagged`` (the combined verdict is urgent),
    ``r<N>_near`` (the rules flag it but the model's veto drops it, p ≥ 0.20, or — ``near_on_guard`` —
    a guard dropped a cue) and ``r<N>_rest``. :attr:`file` holds the flagged and near ids
    (``dataset,id,stratum``); every other unread text is in the rest. ``fingerprint`` names the
    detector that wrote the file (``urgency_restratify.detector_fingerprint``)."""

    round: int
    after_wave: int
    fingerprint: str
    near_on_guard: bool = False

    @property
    def flagged(self) -> str:
        return f"r{self.round}_flagged"

    @property
    def near(self) -> str:
        return f"r{self.round}_near"

    @property
    def rest(self) -> str:
        return f"r{self.round}_rest"

    @property
    def strata(self) -> tuple[str, str, str]:
        return (self.flagged, self.near, self.rest)

    @property
    def file(self) -> Path:
        return ANNOTATIONS_DIR / f"urgency_draw_r{self.round}.csv"


# From wave 11 on: the texts no wave 1-10 drew by round 8's combined verdict and p (main at a702fb9).
R8 = FrozenScore(8, 10, "6286ff183055e1e94890ff89c29096037fe4c004d39113dbbc86cfb15abfebe8")
# From wave 12 on: the texts no wave 1-11 drew by round 9's (main at 017d6a0), a guard's drop is near.
R9 = FrozenScore(
    9, 11, "46edc88681138e935ee26f50b5cfcf600dffc800cbea48140e3af600dd65faab", near_on_guard=True
)
# From wave 13 on: the texts no wave 1-12 drew by round 10's (frozen in e36c3be), a guard's drop is near.
R10 = FrozenScore(
    10, 12, "a322411cb2c5231a9f2a9efcb4373c9e34376af3b3d58cad56e0b18eca520132", near_on_guard=True
)
# From wave 14 on: the texts no wave 1-13 drew by round 11's (frozen in cf04909), a guard's drop is near.
R11 = FrozenScore(
    11, 13, "1087b943aa61a498531d6ae4d68cf12a6fac721fe4e0a0b31c00c284c1238c08", near_on_guard=True
)
# From wave 15 on: the texts no wave 1-14 drew by round 12's (frozen in 12b212f), a guard's drop is near.
R12 = FrozenScore(
    12, 14, "4bfd5a353a81b7967a7cd0afe4f149cfd19af22ccc9ce692fc41f6fa4f380590", near_on_guard=True
)
# From wave 16 on: the texts no wave 1-15 drew by round 13's (frozen in 9cdd765: the combined verdict with
# the model's own arm and guard arm on), a guard's drop is near.
R13 = FrozenScore(
    13, 15, "5e1ee38bdbca8783cfbb6d4cd5d28f9f248b70a6b89a77f44549c420305d4e22", near_on_guard=True
)
# From wave 17 on: the texts no wave 1-16 drew by round 14's (frozen in c0ceebc; the fingerprint is the
# shipped detector's, c0ceebc's with the model's run-time score made cheaper in 658c276/bf154df — the same
# probability to the bit, the model file unchanged), a guard's drop is near.
R14 = FrozenScore(
    14, 16, "65160baa593000155f51f1530959d1d72e0f4dcfee89588091a2cea6fc8c0b81", near_on_guard=True
)
# From wave 18 on: the texts no wave 1-17 drew by round 15's (frozen in 5e321ab: urgent = the rules and
# p >= 0.40, the model's own and guard arms off), a guard's drop is near.
R15 = FrozenScore(
    15, 17, "a6c4bf6645425304c97547b0f03dc1dc82e9056c915f1680716fce59b7f9ef3f", near_on_guard=True
)
# In the order of their waves: each is computed on the strata before it.
FROZEN_SCORES = (R8, R9, R10, R11, R12, R13, R14, R15)
R8_FLAGGED, R8_NEAR, R8_REST = R8_STRATA = R8.strata
R9_FLAGGED, R9_NEAR, R9_REST = R9_STRATA = R9.strata
R10_FLAGGED, R10_NEAR, R10_REST = R10_STRATA = R10.strata
R11_FLAGGED, R11_NEAR, R11_REST = R11_STRATA = R11.strata
R12_FLAGGED, R12_NEAR, R12_REST = R12_STRATA = R12.strata
R13_FLAGGED, R13_NEAR, R13_REST = R13_STRATA = R13.strata
R14_FLAGGED, R14_NEAR, R14_REST = R14_STRATA = R14.strata
R15_FLAGGED, R15_NEAR, R15_REST = R15_STRATA = R15.strata


def frozen_sizes(
    frozen: FrozenScore, spb: tuple[int, int, int], kursk: tuple[int, int, int]
) -> dict[tuple[str, str], int]:
    """A wave's sizes over ``frozen``'s strata: flagged / near / rest per data set."""
    return {
        (d, s): n
        for d, sizes in ((SPB, spb), (KURSK, kursk))
        for s, n in zip(frozen.strata, sizes, strict=True)
    }


# Cue words that only decide which rows were read (never the rules under test).
STRONG_CUES = re.compile(
    r"пожар|возгоран|задымл|горит|горят|огонь|пламя|запах газа|пахнет газ|утечк|взрыв|затоп|заливает"
    r"|залило|залили|топит|потоп|прорыв|прорвал|порыв|хлещ|кипят|фонтан|авари|нет отоплен|без отоплен"
    r"|отключ\w* отоплен|холодн\w* батаре|батаре\w* холодн|мерзн|мёрзн|замерза|без воды|нет воды"
    r"|воды нет|без света|нет света|света нет|оборван|оголен|оголён|искр|бь[её]т током|удар\w* током"
    r"|откры\w* люк|люк\w* откры|без крышки|провалил|обруш|обвал|рухн|угроз|опасн\w* для жизни|угрожа"
    r"|жизн|погиб|смерт|убь[её]т|убить|убило|умер|скорая|скорой|без сознан|травм|покусал|укусил|напал"
    r"|сосул|наледь|глыб|застрял|инсулин|упал[аио]? (дерев|столб|ветк)|падени\w* (дерев|сосул|льда|снега)",
    re.IGNORECASE,
)
BROAD_CUES = re.compile(
    r"гор(ит|ел|ят)|огон|дым|газ(?!он|ет|ел)|запах|вонь|воня|затоп|залив|протеч|протек|теч[её]т|течь"
    r"|капа|вода|воды|отоплен|батаре|радиатор|холодн|тепл|температур|градус|отключ|свет(?!офор)|электр"
    r"|провод|кабел|ток|столб|люк|колод|яма|ямы|провал|трещин|аварийн|пада|упал|опасн|здоров|ребен"
    r"|ребён|дети|детей|малыш|собак|стая|лифт|снег с крыш|крыш|дерев|балкон|козыр|плит|кирпич|стекл"
    r"|штукатур|лед|лёд|гололед|скольз|нож|драк|наркот|пьян|лекарств|больн|пенсионер|инвалид",
    re.IGNORECASE,
)
# A wave's third field: held-out rows only (True), every unread row (False), or per stratum the
# held-out rows when enough of them are left (PREFER_HELD_OUT).
PREFER_HELD_OUT = "prefer_held_out"
# (seed, {(dataset, stratum): rows}, held-out rows only) of the waves, in the order drawn.
WAVES = (
    (
        20261206,
        {
            (SPB, "cue_strong"): 200,
            (SPB, "cue_broad"): 130,
            (SPB, "no_cue"): 80,
            (KURSK, "cue_strong"): 150,
            (KURSK, "cue_broad"): 100,
            (KURSK, "no_cue"): 50,
        },
        False,
    ),
    (20261207, {(SPB, "cue_strong"): 150, (KURSK, "cue_strong"): 100}, False),
    (20261208, {(SPB, "cue_strong"): 90, (KURSK, "cue_strong"): 60}, True),
    # Read after the first held-out figure: the second round's fresh held-out rows (urgency.md).
    (
        20261209,
        {
            (SPB, "cue_strong"): 100,
            (SPB, "cue_broad"): 40,
            (KURSK, "cue_strong"): 50,
            (KURSK, "cue_broad"): 30,
        },
        True,
    ),
    # Read after the second held-out figure: the third round's fresh held-out rows.
    (
        20261210,
        {(SPB, "cue_strong"): 71, (SPB, "cue_broad"): 50, (KURSK, "cue_strong"): 1, (KURSK, "cue_broad"): 50},
        True,
    ),
    # Drawn after the final rules (round 4) were landed, before anyone read them: a first-sight wave
    # over every stratum of both data sets, from rows never read in either part (no held-out row of
    # ``cue_strong`` was left; a development row never read is as unseen by the rules as a held-out one).
    (
        20261211,
        {
            (SPB, "cue_strong"): 100,
            (SPB, "cue_broad"): 45,
            (SPB, "no_cue"): 15,
            (KURSK, "cue_strong"): 60,
            (KURSK, "cue_broad"): 25,
            (KURSK, "no_cue"): 10,
        },
        False,
    ),
    # Drawn after round 5's rules (built on wave 6's errors) were landed, before anyone read it: the
    # second first-sight wave, the same strata and sizes as wave 6. Held-out rows are preferred: a
    # stratum with at least its size of unread held-out texts draws from them only (the split is by a
    # hash of the id, so they are a random subset of the stratum); the others from every unread text.
    (
        20261212,
        {
            (SPB, "cue_strong"): 100,
            (SPB, "cue_broad"): 45,
            (SPB, "no_cue"): 15,
            (KURSK, "cue_strong"): 60,
            (KURSK, "cue_broad"): 25,
            (KURSK, "no_cue"): 10,
        },
        PREFER_HELD_OUT,
    ),
    # Drawn after round 5's rules, before anyone read it, while a learned urgency model was being built
    # by another engineer blind to it: the third first-sight wave, the strata, sizes and held-out
    # preference of wave 7.
    (
        20261213,
        {
            (SPB, "cue_strong"): 100,
            (SPB, "cue_broad"): 45,
            (SPB, "no_cue"): 15,
            (KURSK, "cue_strong"): 60,
            (KURSK, "cue_broad"): 25,
            (KURSK, "no_cue"): 10,
        },
        PREFER_HELD_OUT,
    ),
    # Drawn after round 6, before anyone read it, while round 7's learned model was being built by
    # another engineer blind to it: the fourth first-sight wave, the strata and held-out preference of
    # waves 7 and 8, with a larger ``cue_strong`` (150 / 70) so that the recall estimate is tighter.
    (
        20261214,
        {
            (SPB, "cue_strong"): 150,
            (SPB, "cue_broad"): 45,
            (SPB, "no_cue"): 15,
            (KURSK, "cue_strong"): 70,
            (KURSK, "cue_broad"): 25,
            (KURSK, "no_cue"): 10,
        },
        PREFER_HELD_OUT,
    ),
    # Drawn after round 7 was measured on wave 9, before anyone read it, while round 8 was being built by
    # another engineer blind to it: the fifth first-sight wave, the strata, sizes and held-out preference
    # of wave 9, except Kursk's ``cue_strong``: only 11 of its texts were left unread (all development),
    # so it takes those 11 instead of 70 (St Petersburg's had 152 unread for its 150).
    (
        20261215,
        {
            (SPB, "cue_strong"): 150,
            (SPB, "cue_broad"): 45,
            (SPB, "no_cue"): 15,
            (KURSK, "cue_strong"): 11,
            (KURSK, "cue_broad"): 25,
            (KURSK, "no_cue"): 10,
        },
        PREFER_HELD_OUT,
    ),
    # Defined after round 8 was measured on wave 10 and before any round-9 change, while round 9 was
    # being built by another engineer blind to it: the sixth first-sight wave. ``cue_strong`` had run out,
    # so it draws from the unread texts restratified by round 8's frozen score (R8_STRATA,
    # urgency_draw_r8.csv), with the held-out preference of waves 7-10 (St Petersburg ``r8_flagged`` and
    # Kursk ``r8_flagged`` / ``r8_near`` have fewer held-out texts than their size: every unread text).
    (20261216, frozen_sizes(R8, spb=(40, 90, 40), kursk=(20, 40, 20)), PREFER_HELD_OUT),
    # Defined after round 9 was measured on wave 11 and before round 10 is built: the seventh first-sight
    # wave, from the texts no wave 1-11 drew restratified by round 9's frozen score (R9_STRATA,
    # urgency_draw_r9.csv), the sizes of wave 11 and **no** held-out preference, so that every stratum
    # of both data sets gives development rows to read (wave 11's St Petersburg misses were all held-out).
    (20261217, frozen_sizes(R9, spb=(40, 90, 40), kursk=(20, 40, 20)), False),
    # Defined after round 10 was measured on wave 12 and before round 11 is built: the eighth first-sight
    # wave, from the texts no wave 1-12 drew restratified by round 10's frozen score (R10_STRATA,
    # urgency_draw_r10.csv), the sizes and the absent held-out preference of wave 12.
    (20261218, frozen_sizes(R10, spb=(40, 90, 40), kursk=(20, 40, 20)), False),
    # Defined after round 11 was measured on wave 13 and before round 12 is built: the ninth first-sight
    # wave, from the texts no wave 1-13 drew restratified by round 11's frozen score (R11_STRATA,
    # urgency_draw_r11.csv), the sizes and the absent held-out preference of waves 12 and 13.
    (20261219, frozen_sizes(R11, spb=(40, 90, 40), kursk=(20, 40, 20)), False),
    # Defined after round 12 was measured on wave 14 and before round 13 is built: the tenth first-sight
    # wave, from the texts no wave 1-14 drew restratified by round 12's frozen score (R12_STRATA,
    # urgency_draw_r12.csv), the sizes (40 / 90 / 40, 20 / 40 / 20) and the absent held-out preference of
    # waves 12-14, except where a stratum has fewer unread texts than its size: it takes all of them, as
    # wave 10's Kursk ``cue_strong`` did — St Petersburg ``r12_flagged`` 18 (of 40), Kursk ``r12_flagged``
    # 6 (of 20) and ``r12_near`` 13 (of 40), so 187 rows instead of 250.
    (20261220, frozen_sizes(R12, spb=(18, 90, 40), kursk=(6, 13, 20)), False),
    # Defined after round 13 was measured on wave 15 and before round 14 is built: the eleventh first-sight
    # wave, from the texts no wave 1-15 drew restratified by round 13's frozen score (R13_STRATA,
    # urgency_draw_r13.csv), the sizes (40 / 90 / 40, 20 / 40 / 20) and the absent held-out preference of
    # waves 12-15, a stratum with fewer unread texts than its size taking all of them as in wave 15 —
    # St Petersburg ``r13_flagged`` 10 (of 40), Kursk ``r13_near`` 1 (of 40) and Kursk ``r13_flagged``
    # none (round 13 flags no unread Kursk text; a stratum of size 0 is left out), so 161 rows.
    (
        20261221,
        {key: n for key, n in frozen_sizes(R13, spb=(10, 90, 40), kursk=(0, 1, 20)).items() if n},
        False,
    ),
    # Defined after round 14 was measured on wave 16 and before round 15 is built: the twelfth first-sight
    # wave, from the texts no wave 1-16 drew restratified by round 14's frozen score (R14_STRATA,
    # urgency_draw_r14.csv), no held-out preference, flagged and near sized as in waves 12-16 (40 / 90,
    # 20 / 40) and the rest doubled on purpose (80, 40): recall at first sight is what fails (wave 16:
    # 0.258, 21 of 23 misses with no cue the rules know), and the urgent texts with no cue sit in near and
    # the rest. A stratum with fewer unread texts than its size takes all of them — St Petersburg
    # ``r14_flagged`` 2 (of 40), ``r14_near`` 48 (of 90), Kursk ``r14_near`` 4 (of 40) — and Kursk
    # ``r14_flagged`` none (round 14 flags no unread Kursk text; left out), so 174 rows.
    (
        20261222,
        {key: n for key, n in frozen_sizes(R14, spb=(2, 48, 80), kursk=(0, 4, 40)).items() if n},
        False,
    ),
    # Defined after round 15 was frozen (5e321ab) and before round 16 is built: the thirteenth first-sight
    # wave, from the texts no wave 1-17 drew restratified by round 15's frozen score (R15_STRATA,
    # urgency_draw_r15.csv), no held-out preference, sized as wave 17 (40 / 90 / 80, 20 / 40 / 40). A
    # stratum with fewer unread texts than its size takes all of them — St Petersburg ``r15_flagged`` 1
    # (of 40) — and Kursk ``r15_flagged`` none (round 15 flags no unread Kursk text; left out), so 251 rows.
    (
        20261223,
        {key: n for key, n in frozen_sizes(R15, spb=(1, 90, 80), kursk=(0, 40, 40)).items() if n},
        False,
    ),
)
# The latest round's rows: read before the rules were run on them, and no rule was written or changed
# after seeing them. A fresh wave is measured whole (both parts): it is a random sample of every stratum.
FRESH_WAVE = 17


@dataclass(frozen=True)
class Appeal:
    """One appeal of a data set: its text and the month it was written (None when unknown)."""

    dataset: str
    id: str
    text: str
    month: int | None


@dataclass(frozen=True)
class AnnotatedAppeal:
    dataset: str
    id: str
    text: str
    month: int | None
    label: str
    stratum: str
    note: str
    wave: int = 1

    @property
    def held_out(self) -> bool:
        return held_out(self.dataset, self.id)

    @property
    def urgent(self) -> bool:
        return self.label in URGENT

    @property
    def borderline(self) -> bool:
        return self.note.startswith("?")


def read_appeals(data: Path | None = None) -> dict[str, list[Appeal]]:
    """Every appeal of both data sets, in file order (``../shared/data`` must be there)."""
    import gzip

    data = data or shared_data()
    spb: list[Appeal] = []
    with gzip.open(data / SPB / "appeals.csv.gz", "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            created = row.get("created") or ""
            month = int(created[5:7]) if len(created) >= 7 and created[5:7].isdigit() else None
            spb.append(Appeal(SPB, row["id"], row["text"], month))
    kursk: list[Appeal] = []
    for name in ("train_clean.csv", "test_clean.csv"):
        with (data / KURSK / name).open(encoding="utf-8", newline="") as handle:
            kursk.extend(Appeal(KURSK, row["id"], row["text_clean"], None) for row in csv.DictReader(handle))
    return {SPB: spb, KURSK: kursk}


def annotated_appeals(
    data: Path | None = None, *, appeals: Mapping[str, list[Appeal]] | None = None
) -> list[AnnotatedAppeal]:
    """Every annotated appeal with its text."""
    appeals = appeals or read_appeals(data)
    out: list[AnnotatedAppeal] = []
    for dataset, path in FILES.items():
        by_id = {a.id: a for a in appeals[dataset]}
        for a in read_annotations(path, LABELS, known_ids=by_id.keys()):
            row = by_id[a.id]
            wave = int(a.extra.get("wave") or 1)
            out.append(AnnotatedAppeal(dataset, a.id, row.text, row.month, a.label, a.stratum, a.note, wave))
    return out


# --- the draw ------------------------------------------------------------------------------------


def distinct_key(text: str) -> str:
    """A text's identity for the draw: lower case, ``ё`` as ``е``, words only."""
    return " ".join(re.findall(r"\w+", text.lower().replace("ё", "е")))


@dataclass(frozen=True)
class Unit:
    """A distinct text of a data set: its first row's id and every row id with the same text."""

    dataset: str
    id: str
    text: str
    ids: tuple[str, ...]


def units(appeals: Iterable[Appeal]) -> list[Unit]:
    groups: dict[tuple[str, str], list[Appeal]] = {}
    for appeal in appeals:
        key = distinct_key(appeal.text)
        if key:
            groups.setdefault((appeal.dataset, key), []).append(appeal)
    return [
        Unit(rows[0].dataset, rows[0].id, rows[0].text, tuple(r.id for r in rows)) for rows in groups.values()
    ]


def read_old_rules(path: Path = OLD_RULES_FILE) -> set[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {(row["dataset"], row["id"]) for row in csv.DictReader(handle)}


def stratum_of(unit: Unit, old_rules: set[tuple[str, str]]) -> str:
    if any((unit.dataset, i) in old_rules for i in unit.ids) or STRONG_CUES.search(unit.text):
        return "cue_strong"
    return "cue_broad" if BROAD_CUES.search(unit.text) else "no_cue"


def read_frozen_draw(frozen: FrozenScore, path: Path | None = None) -> dict[tuple[str, str], str]:
    """(dataset, id) → its flagged / near stratum as committed in ``frozen.file`` (the other unread
    texts: ``frozen.rest``)."""
    with (path or frozen.file).open(encoding="utf-8", newline="") as handle:
        return {(row["dataset"], row["id"]): row["stratum"] for row in csv.DictReader(handle)}


def unread_after(strata: Mapping[tuple[str, str], list[Unit]], wave: int) -> list[Unit]:
    """The distinct texts (of the cue strata) that no wave through ``wave`` drew, by data set and id."""
    taken = {(dataset, id_) for dataset, id_, _, _ in draw_sample(strata, through_wave=wave)}
    rest = [
        u
        for (_, stratum), rows in strata.items()
        if stratum in STRATA
        for u in rows
        if (u.dataset, u.id) not in taken
    ]
    return sorted(rest, key=lambda u: (u.dataset != SPB, int(u.id)))


def stratify(
    appeals: Mapping[str, list[Appeal]],
    old_rules: set[tuple[str, str]] | None = None,
    frozen: Mapping[FrozenScore, Mapping[tuple[str, str], str]] | None = None,
) -> dict[tuple[str, str], list[Unit]]:
    """The distinct texts of each data set by stratum, sorted by id: the cue strata (every text), and
    for each frozen score the texts no wave through its ``after_wave`` drew once more by that round's
    score (:data:`R8_STRATA` from wave 11 on, :data:`R9_STRATA` from 12, :data:`R10_STRATA` from 13,
    :data:`R11_STRATA` from 14, :data:`R12_STRATA` from 15, :data:`R13_STRATA` from 16,
    :data:`R14_STRATA` from 17, :data:`R15_STRATA` from 18).
    ``frozen``: the assignments to use (default: every committed file of :data:`FROZEN_SCORES`)."""
    old_rules = read_old_rules() if old_rules is None else old_rules
    out: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for dataset in (SPB, KURSK):
        for unit in units(appeals[dataset]):
            out[(dataset, stratum_of(unit, old_rules))].append(unit)
    for rows in out.values():
        rows.sort(key=lambda u: int(u.id))
    if frozen is None:
        frozen = {f: read_frozen_draw(f) for f in FROZEN_SCORES if f.file.exists()}
    for score in sorted(frozen, key=lambda f: f.after_wave):
        assignment = frozen[score]
        for unit in unread_after(out, score.after_wave):
            out[(unit.dataset, assignment.get((unit.dataset, unit.id), score.rest))].append(unit)
    return dict(out)


def draw_sample(
    strata: Mapping[tuple[str, str], list[Unit]], *, through_wave: int | None = None
) -> list[tuple[str, str, str, int]]:
    """(dataset, id, stratum, wave) of the appeals read, as ``urgency.md`` describes (seeded waves).

    By default the waves through :data:`FRESH_WAVE`, the released ones. A wave defined after it is
    committed before it is drawn or read and is in the files only once labelled whole
    (:func:`files_match_draw`; ``FRESH_WAVE`` is raised to it once the round it measures is frozen);
    ``through_wave`` draws it for the annotator. Each
    wave draws from what the earlier ones left, so stopping early never changes an earlier wave.
    """
    last = FRESH_WAVE if through_wave is None else through_wave
    taken: set[tuple[str, str]] = set()
    out: list[tuple[str, str, str, int]] = []
    for wave, (seed, sizes, held_only) in enumerate(WAVES[:last], start=1):
        rng = random.Random(seed)
        for (dataset, stratum), n in sizes.items():
            unread = [u for u in strata[(dataset, stratum)] if (dataset, u.id) not in taken]
            held = [u for u in unread if held_out(dataset, u.id)]
            free = held if held_only is True or (held_only == PREFER_HELD_OUT and len(held) >= n) else unread
            for unit in rng.sample(free, n):
                taken.add((dataset, unit.id))
                out.append((dataset, unit.id, stratum, wave))
    return out


def files_match_draw(rows: Iterable[AnnotatedAppeal], strata: Mapping[tuple[str, str], list[Unit]]) -> bool:
    """Whether the annotation files are exactly the documented draw: the waves through
    :data:`FRESH_WAVE`, and any later defined wave only whole. A wave read blind while the round it
    measures is being built is committed with ``FRESH_WAVE`` unchanged and waits in the files, outside
    every figure and training (:func:`released`), until that round is frozen and ``FRESH_WAVE`` raised."""
    rows = list(rows)
    last = max([FRESH_WAVE, *(r.wave for r in rows)])
    if last > len(WAVES):
        return False
    return set(draw_sample(strata, through_wave=last)) == {(r.dataset, r.id, r.stratum, r.wave) for r in rows}


def released(rows: Iterable[AnnotatedAppeal]) -> list[AnnotatedAppeal]:
    """The rows of the waves through :data:`FRESH_WAVE`: what figures and training may use."""
    return [r for r in rows if r.wave <= FRESH_WAVE]


def population_weights(
    rows: Iterable[AnnotatedAppeal], strata: Mapping[tuple[str, str], list[Unit]]
) -> dict[tuple[str, str], float]:
    """(dataset, id) → how many distinct texts of its data set, stratum and part the row stands for.

    By the cue stratification only (:data:`STRATA`, which covers every text): waves 1-10 drew from it
    at random, so their rows stand for whole cue strata, the unread texts included. The ``r8_*`` to
    ``r15_*`` strata (:data:`FROZEN_SCORES`) are those unread texts again (a second
    stratification of the same texts): a row drawn from them gets weight 0 here — counting it too
    would count its unread texts twice — and stands for its stratum in its own wave's figure
    (``urgency_evaluation.wave_weights``)."""
    rows = list(rows)
    sampled: dict[tuple[str, str, bool], int] = defaultdict(int)
    for r in rows:
        if r.stratum in STRATA:
            sampled[(r.dataset, r.stratum, r.held_out)] += 1
    size: dict[tuple[str, str, bool], int] = defaultdict(int)
    for (dataset, stratum), units_ in strata.items():
        if stratum not in STRATA:
            continue
        for u in units_:
            size[(dataset, stratum, held_out(dataset, u.id))] += 1
    return {
        (r.dataset, r.id): (
            size[(r.dataset, r.stratum, r.held_out)] / sampled[(r.dataset, r.stratum, r.held_out)]
            if r.stratum in STRATA
            else 0.0
        )
        for r in rows
    }
