"""The hand-annotated official answers (``docs/annotation/answers.md``) joined with their texts.

Two sets: ``spb_answers.csv`` (the St Petersburg portal's answers, ``spb_our_city_dev``) and
``omsk_answers.csv`` (the Omsk ЦУР's first replies to social-network posts, ``omsk_cur_incidents``).
The texts are read from ``../shared/data`` at evaluation time; :func:`draw_sample` is the seeded draw
that chose the St Petersburg rows to read.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .annotations import ANNOTATIONS_DIR, held_out, read_annotations, shared_data

SPB = "spb_our_city_dev"
OMSK = "omsk_cur_incidents"
SPB_FILE = ANNOTATIONS_DIR / "spb_answers.csv"
OMSK_FILE = ANNOTATIONS_DIR / "omsk_answers.csv"


class AnswerLabel:
    DONE = "done"
    SCHEDULED = "scheduled"
    REFUSED = "refused"
    REDIRECTED = "redirected"
    FORMAL = "formal"
    OFF_QUESTION = "off_question"


LABELS = (
    AnswerLabel.DONE,
    AnswerLabel.SCHEDULED,
    AnswerLabel.REFUSED,
    AnswerLabel.REDIRECTED,
    AnswerLabel.FORMAL,
    AnswerLabel.OFF_QUESTION,
)
NON_ANSWER = frozenset({AnswerLabel.FORMAL, AnswerLabel.OFF_QUESTION})

SEED = 15
# (stratum, size) in the order drawn; a row is drawn once, by the first stratum that picks it.
STRATA = (("random", 250), ("status", 100), ("reason", 100), ("long", 60), ("cue", 120), ("short", 40))
# Only which rows are read: cue words of deferral, recital or referral (never the check's rules).
SAMPLING_CUES = re.compile(
    r"программ|компетенц|обратит|не представляется|рассмотрен|направлен|переадрес|учт[её]н|финансир"
    r"|регламент|к сведению|на контроле|мониторинг",
    re.IGNORECASE,
)
OPEN_STATUSES = ("Рассмотрение", "Получен ответ")
INTERIM_STATUS = "Промежуточный ответ"


@dataclass(frozen=True)
class AnnotatedAnswer:
    dataset: str
    id: str
    question: str
    answer: str
    reason: str
    executor: str
    status: str  # the resident's verdict where the source has one (hidden while annotating)
    label: str
    stratum: str
    note: str

    @property
    def held_out(self) -> bool:
        return held_out(self.dataset, self.id)

    @property
    def non_answer(self) -> bool:
        return self.label in NON_ANSWER


# Rows read first from a draw on the texts read with universal newlines ("\r\n" inside answers
# became "\n", so the length-based strata and every draw after them differed): kept, with this stratum.
LF_DRAW = "lf_draw"


def read_spb(data: Path | None = None, *, universal_newlines: bool = False) -> dict[str, dict[str, str]]:
    """``spb_our_city_dev`` rows by id (``universal_newlines``: "\r\n" inside a text read as "\n",
    as the :data:`LF_DRAW` rows were drawn)."""
    path = (data or shared_data()) / SPB / "appeals.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8", newline=None if universal_newlines else "") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def read_omsk(data: Path | None = None) -> dict[str, dict[str, str]]:
    """``omsk_cur_incidents`` incidents by ``ID``, with ``text`` (the post) and ``answer`` (the first
    reply of the executor, else the incident's first reply); the export's leading apostrophes dropped."""
    path = (data or shared_data()) / OMSK / "omsk_incidents_39_fullschema_nopii.csv"
    out: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            answer = _clean_export(row.get("1ый ответ ПИ", "")) or _clean_export(
                row.get("Общий текст первого ответа", "")
            )
            out[row["ID"]] = {
                "text": _clean_export(row.get("Текст инцидента", "")),
                "answer": answer,
                "reason": row.get("Тема", ""),
                "executor": row.get("Отдел", ""),
                "status": row.get("Итог", ""),
            }
    return out


def _clean_export(value: str) -> str:
    return value.lstrip("'").strip()


def draw_sample(rows: Iterable[dict[str, str]], *, seed: int = SEED) -> list[tuple[str, str]]:
    """(id, stratum) of the St Petersburg answers to read, as ``answers.md`` describes."""
    rng = random.Random(seed)
    pool = sorted((r for r in rows if r["answer_text"].strip()), key=lambda r: int(r["id"]))
    taken: dict[str, str] = {}

    def take(candidates: list[dict[str, str]], n: int, stratum: str) -> None:
        free = [r for r in candidates if r["id"] not in taken]
        for row in rng.sample(free, min(n, len(free))):
            taken[row["id"]] = stratum

    sizes = dict(STRATA)
    take(pool, sizes["random"], "random")
    interim = [r for r in pool if r["last_status"] == INTERIM_STATUS]
    open_ = [r for r in pool if r["last_status"] in OPEN_STATUSES]
    take(interim, sizes["status"] * 6 // 10, "status")
    take(open_, sizes["status"] - sizes["status"] * 6 // 10, "status")
    drawn_reasons = {r["reason"] for r in pool if r["id"] in taken}
    reasons = sorted({r["reason"] for r in pool} - drawn_reasons)
    for reason in rng.sample(reasons, min(sizes["reason"], len(reasons))):
        take([r for r in pool if r["reason"] == reason], 1, "reason")
    lengths = sorted(len(r["answer_text"]) for r in pool)
    cut = lengths[len(lengths) * 9 // 10]
    take([r for r in pool if len(r["answer_text"]) >= cut], sizes["long"], "long")
    take([r for r in pool if SAMPLING_CUES.search(r["answer_text"])], sizes["cue"], "cue")
    take([r for r in pool if len(r["answer_text"].strip()) < 60], sizes["short"], "short")
    return sorted(taken.items(), key=lambda item: int(item[0]))


def annotated_answers(data: Path | None = None) -> list[AnnotatedAnswer]:
    """Every annotated answer with its texts (``../shared/data`` must be there)."""
    out: list[AnnotatedAnswer] = []
    spb = read_spb(data)
    for a in read_annotations(SPB_FILE, LABELS, known_ids=spb.keys()):
        row = spb[a.id]
        out.append(
            AnnotatedAnswer(
                SPB, a.id, row["text"], row["answer_text"], row["reason"], row["executor_org"],
                row["last_status"], a.label, a.stratum, a.note,
            )
        )  # fmt: skip
    if OMSK_FILE.exists():
        omsk = read_omsk(data)
        for a in read_annotations(OMSK_FILE, LABELS, known_ids=omsk.keys()):
            row = omsk[a.id]
            out.append(
                AnnotatedAnswer(
                    OMSK, a.id, row["text"], row["answer"], row["reason"], row["executor"],
                    row["status"], a.label, a.stratum, a.note,
                )
            )  # fmt: skip
    return out
