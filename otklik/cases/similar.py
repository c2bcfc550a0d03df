"""Similar past cases and their approved answers, for the executor writing an answer and the moderator.

The index (:class:`otklik.understanding.quality.SimilarCaseIndex`, TF-IDF over lemmas) is built from
every case with a published final answer and kept in the process. It is stale when it is older than
:data:`TTL_SECONDS` or when the set of published final answers changed (one cheap aggregate query
tells); :func:`otklik.cases.tasks.run_periodic_jobs` calls :func:`refresh`, which rebuilds a stale
index (in the embedded mode the runner shares the web process, so requests find it fresh). Building
takes seconds per few thousand cases (``bench/similar.py``), so a request builds only when there is
no index, when answers disappeared, or when it is older than :data:`MAX_STALE_SECONDS`; merely newer
answers are served from the stale index until the periodic job catches up.

Suggestions are always narrowed to ``Case.objects.visible_to(user)``: an executor never sees another
agency's case here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, OuterRef, Subquery

from otklik.accounts.permissions import AnyUser
from otklik.understanding.quality import PastCase, SimilarCase, SimilarCaseIndex

from .choices import AnswerKind, AnswerStatus
from .models import Answer, Case

TTL_SECONDS = 15 * 60
MAX_STALE_SECONDS = 60 * 60
CANDIDATES = 200  # ranked before scoping: an executor's agency holds a share of the past cases
LIMIT = 5


@dataclass(frozen=True)
class _Cached:
    index: SimilarCaseIndex
    fingerprint: tuple[int, int]
    built_at: float  # time.monotonic()


_lock = threading.Lock()
_cached: _Cached | None = None


def _published_finals() -> Any:
    return Answer.objects.filter(kind=AnswerKind.FINAL, status=AnswerStatus.PUBLISHED)


def fingerprint() -> tuple[int, int]:
    """How many published final answers there are and the newest one's id (one query)."""
    row = _published_finals().aggregate(n=Count("id"), last=Max("id"))
    return int(row["n"] or 0), int(row["last"] or 0)


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


def build() -> _Cached:
    return _Cached(SimilarCaseIndex(past_cases()), fingerprint(), time.monotonic())


def _is_fresh(cached: _Cached | None, current: tuple[int, int]) -> bool:
    return (
        cached is not None
        and cached.fingerprint == current
        and time.monotonic() - cached.built_at < TTL_SECONDS
    )


def _servable(cached: _Cached | None, current: tuple[int, int]) -> bool:
    """Fresh, or stale only by answers published since it was built (its suggestions still exist)."""
    if cached is None:
        return False
    if _is_fresh(cached, current):
        return True
    only_grew = cached.fingerprint[0] <= current[0] and cached.fingerprint[1] <= current[1]
    return only_grew and time.monotonic() - cached.built_at < MAX_STALE_SECONDS


def get_index() -> SimilarCaseIndex:
    """The in-process index for a request (one aggregate query when it can be served)."""
    global _cached
    current = fingerprint()
    cached = _cached
    if _servable(cached, current):
        assert cached is not None
        return cached.index
    with _lock:
        if not _servable(_cached, current):
            _cached = build()
        assert _cached is not None
        return _cached.index


def refresh() -> bool:
    """Rebuild the index when stale (the periodic job); whether it was rebuilt."""
    global _cached
    current = fingerprint()
    if _is_fresh(_cached, current):
        return False
    with _lock:
        _cached = build()
    return True


def invalidate() -> None:
    global _cached
    with _lock:
        _cached = None


def similar_for(
    case: Case, user: AnyUser, *, limit: int = LIMIT, exclude: Sequence[int] = ()
) -> list[SimilarCase]:
    """The past cases most like ``case`` that ``user`` may open, best first, with their answers."""
    text = case.text or case.title
    if not text.strip():
        return []
    candidates = get_index().query(text, limit=CANDIDATES, exclude=[case.pk, *exclude])
    if not candidates:
        return []
    visible = set(
        Case.objects.visible_to(user)
        .filter(pk__in=[c.case_id for c in candidates])
        .values_list("pk", flat=True)
    )
    return [c for c in candidates if c.case_id in visible][:limit]
