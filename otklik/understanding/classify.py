"""The rule classifier: category keywords (any word form) → category with a confidence.

Compiled once from ``Category.keywords``: every keyword or phrase is lemmatized at compile time,
texts are matched on lemma sequences (see :class:`~otklik.understanding.text.PhraseMatcher`).
A matched keyword adds its number of content words to its category's score; a top category's
score also collects its subcategories'. The best top category wins, and inside it the best
subcategory (or the top one when no subcategory matched).

Confidence = evidence × margin, where evidence = 1 − e^(−best/1.5) grows with the matched weight
and margin = best / (best + second) compares the best top category with the runner-up: one lone
word gives ≈0.49, a clear phrase ≈0.74, two categories tied at most 0.5.

The compiled rules are cached per process and keyed by a fingerprint of the category rows (which
is also the ``version``, "rules-<hash>"); saving or deleting a category drops the cache at once,
and :func:`get_classifier` re-checks the fingerprint so another process's edits are seen too.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from otklik.directory.models import Category

from .text import AnalyzedText, PhraseMatcher, analyze

_EVIDENCE_SCALE = 1.5


@dataclass(frozen=True)
class Classification:
    category: Category | None
    confidence: float
    matched_terms: list[str]
    version: str
    scores: dict[str, float] = field(default_factory=dict)  # top category code → score


class RuleClassifier:
    def __init__(self, categories: list[Category], version: str) -> None:
        self.version = version
        self.categories = {c.pk: c for c in categories}
        self._top_of = {c.pk: self._top_id(c) for c in categories}
        self.matcher: PhraseMatcher[int] = PhraseMatcher(
            (keyword, c.pk) for c in categories if c.is_active for keyword in c.keyword_list()
        )

    def _top_id(self, category: Category) -> int:
        node = category
        for _ in range(10):
            if node.parent_id is None or node.parent_id not in self.categories:
                return node.pk
            node = self.categories[node.parent_id]
        return node.pk

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every lemma of every keyword: the topical words of the whole tree."""
        return self.matcher.vocabulary

    def classify(self, text: str | AnalyzedText) -> Classification:
        analyzed = analyze(text) if isinstance(text, str) else text
        phrases = self.matcher.find(analyzed)
        if not phrases:
            return Classification(None, 0.0, [], self.version)
        by_category: dict[int, float] = defaultdict(float)
        by_top: dict[int, float] = defaultdict(float)
        for phrase in phrases:
            by_category[phrase.payload] += phrase.weight
            by_top[self._top_of[phrase.payload]] += phrase.weight
        ranked_tops = sorted(by_top.items(), key=lambda kv: (-kv[1], self.categories[kv[0]].order, kv[0]))
        top_id, best = ranked_tops[0]
        second = ranked_tops[1][1] if len(ranked_tops) > 1 else 0.0
        inside = [
            (score, cid)
            for cid, score in by_category.items()
            if cid != top_id and self._top_of[cid] == top_id
        ]
        chosen_id = top_id
        if inside:
            chosen_id = min(inside, key=lambda sc: (-sc[0], self.categories[sc[1]].order, sc[1]))[1]
        evidence = 1.0 - math.exp(-best / _EVIDENCE_SCALE)
        margin = best / (best + second)
        terms = sorted({p.text for p in phrases if self._top_of[p.payload] == top_id}, key=str.lower)
        others = sorted({p.text for p in phrases if self._top_of[p.payload] != top_id}, key=str.lower)
        return Classification(
            category=self.categories[chosen_id],
            confidence=round(evidence * margin, 3),
            matched_terms=terms + others,
            version=self.version,
            scores={self.categories[t].code: s for t, s in ranked_tops},
        )


# --- the per-process cache ----------------------------------------------------------------------

_lock = threading.Lock()
_cached: RuleClassifier | None = None


def _load_rows() -> tuple[list[Category], str]:
    categories = list(Category.objects.order_by("pk"))
    digest = hashlib.sha1(usedforsecurity=False)
    for c in categories:
        digest.update(f"{c.pk}|{c.parent_id}|{c.code}|{c.is_active}|{c.order}|{c.keywords}\n".encode())
    return categories, f"rules-{digest.hexdigest()[:10]}"


def get_classifier(*, recheck: bool = True) -> RuleClassifier:
    """The compiled classifier; with ``recheck`` the category rows are re-read (one query) and the
    rules recompiled only when they changed."""
    global _cached
    current = _cached
    if current is not None and not recheck:
        return current
    categories, version = _load_rows()
    if current is not None and current.version == version:
        return current
    with _lock:
        if _cached is None or _cached.version != version:
            _cached = RuleClassifier(categories, version)
        return _cached


def classify(text: str | AnalyzedText) -> Classification:
    return get_classifier().classify(text)


def invalidate_cache() -> None:
    global _cached
    with _lock:
        _cached = None


@receiver(post_save, sender=Category, dispatch_uid="understanding_classifier_save")
@receiver(post_delete, sender=Category, dispatch_uid="understanding_classifier_delete")
def _category_changed(**kwargs: object) -> None:
    invalidate_cache()
