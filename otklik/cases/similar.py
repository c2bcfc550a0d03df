"""Similar past cases and their approved answers, for the executor writing an answer and the moderator.

The index (:class:`otklik.understanding.quality.SimilarCaseIndex`, TF-IDF over lemmas) is built from
every case with a published final answer and kept in the process (:class:`otklik.caching.ProcessCache`).
It is stale when it is older than :data:`TTL_SECONDS` or when a final answer was published
(:data:`PUBLISHED`) or a published one deleted or withdrawn (:data:`WITHDRAWN`) in any process;
:func:`otklik.cases.tasks.run_periodic_jobs` calls :func:`refresh`, which rebuilds a stale
index (in the embedded mode the runner shares the web process, so requests find it fresh). Building
takes seconds per few thousand cases (``bench/similar.py``), so a request builds only when there is
no index, when answers disappeared, or when it is older than :data:`MAX_STALE_SECONDS`; merely newer
answers are served from the stale index until the periodic job catches up.

Suggestions are always narrowed to ``Case.objects.visible_to(user)``: an executor never sees another
agency's case here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import OuterRef, Subquery
from django.db.models.signals import post_delete, post_init, post_save
from django.dispatch import receiver
from django.utils import timezone

from otklik.accounts.permissions import AnyUser
from otklik.caching import ProcessCache, bump
from otklik.understanding.answer_draft import Draft, DraftSource, make_draft
from otklik.understanding.quality import PastCase, SimilarCase, SimilarCaseIndex

from .access import ALL, case_scope
from .choices import AnswerKind, AnswerStatus
from .models import Answer, Case

TTL_SECONDS = 15 * 60
MAX_STALE_SECONDS = 60 * 60
CANDIDATES = 200  # ranked before scoping: an executor's agency holds a share of the past cases
LIMIT = 5


PUBLISHED = "answers-published"  # a final answer published (or a published one edited)
WITHDRAWN = "answers-withdrawn"  # a published final answer deleted or no longer published


def _published_finals() -> Any:
    return Answer.objects.filter(kind=AnswerKind.FINAL, status=AnswerStatus.PUBLISHED)


def past_cases() -> list[PastCase]:
    """Every case with a published final answer, with the latest such answer's text (one query)."""
    latest = (
        _published_finals().filter(case=OuterRef("pk")).order_by("-published_at", "-id").values("text")[:1]
    )
    rows = (
        Case.objects.filter(pk__in=_published_finals().values("case_id"))
        .annotate(answer_text=Subquery(latest))
        .order_by("pk")
        .values_list("pk", "text", "answer_text", "title")
    )
    return [PastCase(pk, text or "", answer or "", title or "") for pk, text, answer, title in rows]


index = ProcessCache(
    PUBLISHED,
    WITHDRAWN,
    build=lambda: SimilarCaseIndex(past_cases()),
    max_age=TTL_SECONDS,
    max_stale=MAX_STALE_SECONDS,
)


def get_index() -> SimilarCaseIndex:
    """The in-process index for a request (one query reads its versions): newly published answers
    wait for the periodic job, withdrawn ones make the request rebuild it."""
    return index.get(stale_ok=[PUBLISHED])


def refresh() -> bool:
    """Rebuild the index when stale (the periodic job); whether it was rebuilt."""
    return index.refresh()


def invalidate() -> None:
    index.clear()


def _is_published_final(answer: Answer) -> bool:
    # read from the instance's own values: a deferred field is never loaded here (nor a query made)
    values = answer.__dict__
    return values.get("kind") == AnswerKind.FINAL and values.get("status") == AnswerStatus.PUBLISHED


@receiver(post_init, sender=Answer, dispatch_uid="otklik.cases.similar.answer_loaded")
def _answer_loaded(instance: Answer, **_kwargs: Any) -> None:
    instance._was_published_final = _is_published_final(instance)  # type: ignore[attr-defined]


@receiver(post_save, sender=Answer, dispatch_uid="otklik.cases.similar.answer_saved")
def _answer_saved(instance: Answer, **_kwargs: Any) -> None:
    if _is_published_final(instance):
        bump(PUBLISHED)
    elif getattr(instance, "_was_published_final", False):
        bump(WITHDRAWN)
    instance._was_published_final = _is_published_final(instance)  # type: ignore[attr-defined]


@receiver(post_delete, sender=Answer, dispatch_uid="otklik.cases.similar.answer_deleted")
def _answer_deleted(instance: Answer, **_kwargs: Any) -> None:
    if _is_published_final(instance) or getattr(instance, "_was_published_final", False):
        bump(WITHDRAWN)


class Asked:
    """The index's answers to the texts it was asked about, kept with the index they came from.

    The card asks the index about its case's text on every opening (~2 ms of TF-IDF: the text's
    lemmas, its vector, a product with every past case); operators open the same cases of the queue
    over and over. The answer depends only on the text, the cases left out and the index itself, so it
    is kept under exactly those: a case whose text changed is asked again, and a rebuilt index — an
    answer published (after the periodic job) or withdrawn, see above — starts with nothing kept. The
    card's scoping by the user (:func:`_visible`) is never kept. At most :data:`KEPT` texts, the
    oldest asked dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.index: SimilarCaseIndex | None = None
        self.kept: OrderedDict[tuple[str, tuple[int, ...]], tuple[SimilarCase, ...]] = OrderedDict()
        self.drafts: OrderedDict[tuple[Any, ...], Draft | None] = OrderedDict()
        self.lock = threading.Lock()

    def query(self, index: SimilarCaseIndex, text: str, exclude: tuple[int, ...]) -> list[SimilarCase]:
        key = (text, exclude)
        with self.lock:
            if index is not self.index:
                self.index, self.kept, self.drafts = index, OrderedDict(), OrderedDict()
            kept = self.kept.get(key)
            if kept is not None:
                self.kept.move_to_end(key)
                return list(kept)
        found = index.query(text, limit=CANDIDATES, exclude=exclude)
        with self.lock:
            if index is self.index:  # not rebuilt meanwhile
                self._keep(self.kept, key, tuple(found))
        return found

    def draft(self, text: str, sources: list[DraftSource], day: date) -> Draft | None:
        """:func:`make_draft` of ``text`` from ``sources`` on ``day``, kept under exactly those
        (~1 ms an executor's card: the answer check reads each source's answer); dropped with the
        answers above when the index is rebuilt."""
        key = (text, tuple((s.case_id, s.similarity, s.answer) for s in sources), day)
        with self.lock:
            if key in self.drafts:
                self.drafts.move_to_end(key)
                return self.drafts[key]
        made = make_draft(text, sources, answered_on=day)
        with self.lock:
            self._keep(self.drafts, key, made)
        return made

    def _keep(self, kept: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        kept[key] = value
        if len(kept) > self.size:
            kept.popitem(last=False)


KEPT = 512
asked = Asked(KEPT)


def _candidates(case: Case, exclude: Sequence[int] = ()) -> list[SimilarCase]:
    text = case.text or case.title
    if not text.strip():
        return []
    return asked.query(get_index(), text, (case.pk, *exclude))


Scoped = dict[int, tuple[int | None, int | None]]  # case id → (agency id, category id)


def _visible(user: AnyUser, candidates: list[SimilarCase]) -> Scoped:
    """The candidates ``user`` may open: their agency and category, by case id (one query)."""
    if not candidates:
        return {}
    rows = (
        Case.objects.visible_to(user)
        .filter(pk__in=[c.case_id for c in candidates])
        .values_list("pk", "agency_id", "category_id")
    )
    return {pk: (agency_id, category_id) for pk, agency_id, category_id in rows}


def _draft(
    case: Case, candidates: list[SimilarCase], visible: dict[int, tuple[int | None, int | None]]
) -> Draft | None:
    text = case.text or case.title
    if not text.strip() or case.agency_id is None:
        return None
    same = (case.agency_id, case.category_id)
    sources = [
        DraftSource(c.case_id, c.similarity, c.answer) for c in candidates if visible.get(c.case_id) == same
    ]
    return asked.draft(text, sources, timezone.localdate())


def similar_for(
    case: Case, user: AnyUser, *, limit: int = LIMIT, exclude: Sequence[int] = ()
) -> list[SimilarCase]:
    """The past cases most like ``case`` that ``user`` may open, best first, with their answers."""
    candidates = _candidates(case, exclude)
    visible = _visible(user, candidates)
    return [c for c in candidates if c.case_id in visible][:limit]


def draft_for(case: Case, user: AnyUser) -> Draft | None:
    """A draft answer for ``case`` from the best-matching approved answers of the same category and
    agency that ``user`` may open (:func:`otklik.understanding.answer_draft.make_draft`), or None."""
    if case.agency_id is None:
        return None
    candidates = _candidates(case)
    return _draft(case, candidates, _visible(user, candidates))


def for_card(case: Case, user: AnyUser, *, draft: bool) -> tuple[list[SimilarCase], Draft | None]:
    """:func:`similar_for` and, with ``draft``, :func:`draft_for` of the card at once: the index is
    asked once and the candidates scoped by one query (each asked and scoped on its own before)."""
    candidates = _candidates(case)
    if not draft and case_scope(user).kind == ALL:
        # The center may open every case, and the index holds only existing ones (a case or answer
        # deleted makes the next request rebuild it): nothing to scope, no query (~1.5 ms a card).
        return candidates[:LIMIT], None
    visible = _visible(user, candidates)
    similar = [c for c in candidates if c.case_id in visible][:LIMIT]
    return similar, (_draft(case, candidates, visible) if draft else None)
