"""What the executor is shown as similar past answers, measured on real appeals.

For every **held-out** St Petersburg appeal with an official answer (``annotations.held_out``), the
past cases are the development part's appeals with an answer. A suggestion is right when its appeal
has the same portal reason (the resident's choice of problem, moderated). The figure is the share of
held-out appeals whose top 3 suggestions include one of the same reason, for:

* ``tfidf`` — a plain TF-IDF nearest neighbour (scikit-learn's defaults over the raw words);
* ``index`` — Otklik's :class:`.quality.SimilarCaseIndex` (content lemmas and their bigrams);
* ``index+agency`` — the index narrowed to the appeal's own agency, as an executor sees it (the card
  only shows cases the user may open: an executor's agency's).

The answer-writing aid is measured on the same appeals: how often a draft is offered (from a passing
answer of the same category and agency), how often its source had the same reason, and how often the
answer check passes on the draft as offered.

Texts are read from ``../shared/data``; nothing is stored.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from .annotations import held_out
from .answer_draft import DraftSource, make_draft
from .quality import PastCase, SimilarCaseIndex

SPB = "spb_our_city_dev"


def answered_on(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.strip()[:10]).date() if value.strip() else None
    except ValueError:
        return None


TOP = 3


@dataclass
class MethodReport:
    name: str
    queries: int = 0
    hits: int = 0
    unseen_queries: int = 0  # queries whose text is not word for word a past appeal's
    unseen_hits: int = 0
    empty: int = 0  # queries with no suggestion at all

    @property
    def share(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    @property
    def unseen_share(self) -> float:
        return self.unseen_hits / self.unseen_queries if self.unseen_queries else 0.0


@dataclass
class SimilarReport:
    past: int
    methods: list[MethodReport] = field(default_factory=list)
    drafts: DraftReport | None = None


def split(rows: Sequence[dict[str, str]]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(past, queries): appeals with a text and an answer, by the fixed held-out split."""
    usable = [r for r in rows if r["text"].strip() and r["answer_text"].strip()]
    past = [r for r in usable if not held_out(SPB, r["id"])]
    queries = [r for r in usable if held_out(SPB, r["id"])]
    return past, queries


def _plain_tfidf(past: Sequence[dict[str, str]]) -> Callable[[dict[str, str]], list[int]]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform([r["text"] for r in past])

    def query(row: dict[str, str]) -> list[int]:
        scores = (matrix @ vectorizer.transform([row["text"]]).T).toarray().ravel()
        top = scores.argsort()[::-1][:TOP]
        return [int(i) for i in top if scores[i] > 0]

    return query


def _index(
    past: Sequence[dict[str, str]], index: SimilarCaseIndex, *, same_agency: bool
) -> Callable[[dict[str, str]], list[int]]:
    def query(row: dict[str, str]) -> list[int]:
        found = index.query(row["text"], limit=200 if same_agency else TOP, min_similarity=0.0)
        ids = [c.case_id for c in found]
        if same_agency:
            ids = [i for i in ids if past[i]["executor_org"] == row["executor_org"]]
        return ids[:TOP]

    return query


def evaluate(rows: Sequence[dict[str, str]], *, sample: int | None = None, seed: int = 15) -> SimilarReport:
    past, queries = split(rows)
    if sample is not None and sample < len(queries):
        queries = random.Random(seed).sample(queries, sample)
    seen_texts = {" ".join(r["text"].lower().split()) for r in past}
    report = SimilarReport(past=len(past))
    index = SimilarCaseIndex(PastCase(i, r["text"], r["answer_text"]) for i, r in enumerate(past))
    methods = {
        "tfidf": _plain_tfidf(past),
        "index": _index(past, index, same_agency=False),
        "index+agency": _index(past, index, same_agency=True),
    }
    for name, query in methods.items():
        method = MethodReport(name)
        for row in queries:
            suggested = query(row)
            hit = any(past[i]["reason"] == row["reason"] for i in suggested)
            unseen = " ".join(row["text"].lower().split()) not in seen_texts
            method.queries += 1
            method.hits += hit
            method.empty += not suggested
            if unseen:
                method.unseen_queries += 1
                method.unseen_hits += hit
        report.methods.append(method)
    report.drafts = evaluate_drafts(past, queries, index)
    return report


@dataclass
class DraftReport:
    queries: int = 0
    offered: int = 0  # a draft from a passing answer of the same category and agency was found
    same_reason: int = 0  # … whose source appeal had the same reason
    passes: int = 0  # … and the check passes on the draft as offered (blanks and all)


def evaluate_drafts(
    past: Sequence[dict[str, str]], queries: Sequence[dict[str, str]], index: SimilarCaseIndex
) -> DraftReport:
    """The answer-writing aid on the same held-out appeals: drafts from the same category and agency."""
    report = DraftReport()
    for row in queries:
        report.queries += 1
        found = index.query(row["text"], limit=200, min_similarity=0.0)
        sources = [
            DraftSource(c.case_id, c.similarity, c.answer)
            for c in found
            if past[c.case_id]["executor_org"] == row["executor_org"]
            and past[c.case_id]["category"] == row["category"]
        ]
        draft = make_draft(row["text"], sources, answered_on=answered_on(row.get("answer_dt", "")))
        if draft is None:
            continue
        report.offered += 1
        report.same_reason += past[draft.source_case_id]["reason"] == row["reason"]
        report.passes += draft.quality.passes
    return report


def format_report(report: SimilarReport) -> list[str]:
    lines = [f"past appeals with an answer (development part): {report.past}"]
    for m in report.methods:
        lines.append(
            f"{m.name:>13}: top-{TOP} has the same reason for {m.share:.3f} of {m.queries} held-out appeals; "
            f"{m.unseen_share:.3f} of the {m.unseen_queries} not word for word a past text; "
            f"{m.empty} with no suggestion"
        )
    d = report.drafts
    if d is not None and d.queries:
        lines.append(
            f"drafts (same category and agency): offered for {d.offered / d.queries:.3f} of {d.queries}; "
            f"of those, same reason {d.same_reason / max(d.offered, 1):.3f}, "
            f"the check passes on the draft {d.passes / max(d.offered, 1):.3f}"
        )
    return lines
