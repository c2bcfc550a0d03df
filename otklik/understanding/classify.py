"""The rule classifier: category keywords (any word form) → category with a confidence.

Compiled once from ``Category.keywords``: every keyword or phrase is lemmatized at compile time,
texts are matched on lemma sequences (see :class:`~otklik.understanding.text.PhraseMatcher`).
A matched keyword adds its number of content words to its category's score; a top category's
score also collects its subcategories'. The best top category wins, and inside it the best
subcategory (or the top one when no subcategory matched).

Confidence = evidence × margin, where evidence = 1 − e^(−best/1.5) grows with the matched weight
and margin = best / (best + second) compares the best top category with the runner-up: one lone
word gives ≈0.49, a clear phrase ≈0.74, two categories tied at most 0.5.

The compiled rules (and the active model) are cached per process (:class:`otklik.caching.ProcessCache`):
saving or deleting a category or a stored model gives a new version, and :func:`get_classifier`
reads the versions (one query), so another process's edits are seen too. The rules' ``version``,
"rules-<hash>", is a digest of the category rows.

**The learned model.** Once ``otklik train`` has stored a
:class:`~otklik.understanding.models.ClassifierModel`, the newest active one decides the category
(:mod:`otklik.understanding.ml`; trained on moderators' decisions with every category's name and
keywords as one more example of it) and the rules stay for the explanation (matched terms) and as
the fallback when the model predicts a label that is no active category, or when the stored model
was written by an older version of ``ml`` (it is then ignored with a warning until retrained).
``Classification.version`` names what decided: the model's version ("ml-…") or the rules'
("rules-…"); ``threshold`` is the learned per-category confidence threshold that
:func:`should_auto_route` applies (rules-only decisions use ``OTKLIK_AUTO_ROUTE_CONFIDENCE``).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings

from otklik.caching import ProcessCache, bump_on_change
from otklik.directory.models import Category

from . import ml, places
from .text import AnalyzedText, PhraseMatcher, analyze

if TYPE_CHECKING:
    from .models import ClassifierModel

_EVIDENCE_SCALE = 1.5


@dataclass(frozen=True)
class Classification:
    category: Category | None
    confidence: float
    matched_terms: list[str]
    version: str
    scores: dict[str, float] = field(default_factory=dict)  # top category code → score
    threshold: float | None = None  # the learned confidence threshold of this category, if any
    decided_by: str = "rules"  # "rules", "model" or "sender" (the category the sender chose)


@dataclass(frozen=True)
class LearnedModel:
    """The active trained model as the classifier uses it."""

    version: str
    model: ml.TextModel
    thresholds: dict[str, float | None]


class RuleClassifier:
    """The keyword rules, and the learned model once one is trained (see the module docstring)."""

    def __init__(self, categories: list[Category], version: str, learned: LearnedModel | None = None) -> None:
        self.rules_version = version
        self.learned = learned
        self.version = f"{version}+{learned.version}" if learned else version
        self.categories = {c.pk: c for c in categories}
        self.by_code = {c.code: c for c in categories if c.is_active}
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

    def feature_tokens(self, text: str | AnalyzedText) -> list[str]:
        """The rules' verdict as features for the learned model: "r_<code>" of every matched
        category and of its top category."""
        analyzed = analyze(text) if isinstance(text, str) else text
        tokens: dict[str, None] = {}
        for phrase in self.matcher.find(analyzed):
            tokens[f"r_{self.categories[phrase.payload].code}"] = None
            tokens[f"r_{self.categories[self._top_of[phrase.payload]].code}"] = None
        return list(tokens)

    def classify(self, text: str | AnalyzedText) -> Classification:
        return self.classify_many([text])[0]

    def declared(self, code: str) -> Classification | None:
        """The category the sender chose (an Open311 ``service_code``, a form's category): taken as
        given with full confidence, so it routes like a sure decision; None for an unknown or
        inactive code."""
        category = self.by_code.get(code)
        if category is None:
            return None
        return Classification(category, 1.0, [], self.version, scores={code: 1.0}, decided_by="sender")

    def classify_many(
        self, texts: list[str | AnalyzedText] | list[str] | list[AnalyzedText]
    ) -> list[Classification]:
        """Classify a batch: the learned model runs once over the whole batch (much faster)."""
        analyzed = [analyze(t) if isinstance(t, str) else t for t in texts]
        by_rules = [self.classify_by_rules(a) for a in analyzed]
        if self.learned is None or not analyzed:
            return by_rules
        learned = self.learned
        extra = (
            [self.feature_tokens(a) for a in analyzed] if learned.model.has_extra else [[] for _ in analyzed]
        )
        docs = [ml.prepare_analyzed(a, e) for a, e in zip(analyzed, extra, strict=True)]
        out = []
        for rules, prediction in zip(by_rules, learned.model.predict(docs), strict=True):
            category = self.by_code.get(prediction.label)
            if category is None:
                out.append(rules)
                continue
            out.append(
                Classification(
                    category=category,
                    confidence=prediction.confidence,
                    matched_terms=rules.matched_terms,
                    version=learned.version,
                    scores=prediction.scores,
                    threshold=learned.thresholds.get(prediction.label),
                    decided_by="model",
                )
            )
        return out

    def classify_by_rules(self, analyzed: AnalyzedText) -> Classification:
        phrases = self.matcher.find(analyzed)
        if not phrases:
            return Classification(None, 0.0, [], self.rules_version)
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
            version=self.rules_version,
            scores={self.categories[t].code: s for t, s in ranked_tops},
        )


Classifier = RuleClassifier  # the name new code should use: rules and, once trained, the model


def should_auto_route(classification: Classification) -> bool:
    """Whether the category is sure enough to route the case without a moderator.

    A learned decision needs the category's learned threshold (a category whose predictions never
    reached the target precision in validation always goes to moderation); a rules-only decision
    needs ``OTKLIK_AUTO_ROUTE_CONFIDENCE``."""
    if classification.category is None:
        return False
    if classification.threshold is not None:
        return classification.confidence >= classification.threshold
    if classification.decided_by == "model":
        return False
    return classification.confidence >= float(settings.OTKLIK_AUTO_ROUTE_CONFIDENCE)


# --- the per-process cache ----------------------------------------------------------------------

CATEGORIES = "categories"  # the version of the category rows (otklik.caching)
bump_on_change(CATEGORIES, Category)


def _load_rows() -> tuple[list[Category], str]:
    categories = list(Category.objects.order_by("pk"))
    digest = hashlib.sha1(usedforsecurity=False)
    for c in categories:
        digest.update(f"{c.pk}|{c.parent_id}|{c.code}|{c.is_active}|{c.order}|{c.keywords}\n".encode())
    return categories, f"rules-{digest.hexdigest()[:10]}"


def _build() -> RuleClassifier:
    categories, rules_version = _load_rows()
    active = ml.active_model()  # one of an older format is not used: the rules decide until retrained
    learned = (
        LearnedModel(version=active.version, model=active.model, thresholds=active.thresholds)
        if active is not None and active.model is not None
        else None
    )
    return RuleClassifier(categories, rules_version, learned)


classifier_cache = ProcessCache(CATEGORIES, ml.MODELS, build=_build)


def get_classifier(*, recheck: bool = True) -> RuleClassifier:
    """The compiled classifier; with ``recheck`` one query confirms that no category and no stored
    model changed since it was built (else it is rebuilt)."""
    held = None if recheck else classifier_cache.peek()
    return held if held is not None else classifier_cache.get()


def classify(text: str | AnalyzedText) -> Classification:
    return get_classifier().classify(text)


# --- training and the shipped rules --------------------------------------------------------------


def default_rules() -> RuleClassifier:
    """The shipped default category tree's rules, compiled in memory (no database rows): the same
    rule features for an evaluation on any database."""
    from otklik.directory.defaults_categories import read_default_categories

    categories: list[Category] = []

    def add(node: dict[str, object], parent: int | None) -> None:
        pk = len(categories) + 1
        keywords = node.get("keywords") or []
        categories.append(
            Category(
                pk=pk,
                code=str(node["code"]),
                name=str(node["name"]),
                keywords="\n".join(str(k) for k in keywords) if isinstance(keywords, list) else "",
                parent_id=parent,
                is_active=True,
                order=pk,
            )
        )
        children = node.get("children") or []
        for child in children if isinstance(children, list) else []:
            add(child, pk)

    for top in read_default_categories():
        add(top, None)
    return RuleClassifier(categories, "rules-default")


def with_rule_features(examples: list[ml.Example], rules: RuleClassifier | None) -> list[ml.Example]:
    if rules is None:
        return examples
    return [ml.Example(e.text, e.label, (*e.extra, *rules.feature_tokens(e.text)), e.fine) for e in examples]


def category_label_docs(categories: Iterable[Category]) -> list[ml.LabelDoc]:
    """Each active category's name and keywords as one more example of it (label documents:
    measured on the Kursk appeals, the names of the finer labels raise macro-F1 the most). The
    keywords are curated: their words stay features even when no moderated text has them yet."""
    return [
        ml.LabelDoc(ml.prepare("\n".join([c.name, *c.keyword_list()])), c.code, keep_terms=True)
        for c in categories
        if c.is_active
    ]


def train_category_model(
    examples: list[ml.Example],
    *,
    source: str,
    use_rules: bool = False,
    use_label_docs: bool = True,
    target_precision: float = ml.DEFAULT_TARGET_PRECISION,
    now: datetime | None = None,
) -> ClassifierModel:
    """Train on the examples (labels are category codes), store a new active version; the
    classifier of every process picks it up on its next :func:`get_classifier`.

    ``use_label_docs``: the categories' names and keywords (and the examples' finer labels, if
    any, each counted as ``ml.FINE_DOC_WEIGHT`` examples) are learned as examples of their
    category; ``use_rules``: the rules' matched categories become features (measured worse on
    the Kursk appeals together with label documents, so off by default)."""
    from django.utils import timezone

    from .models import ClassifierModel

    now = now or timezone.now()
    current = get_classifier(recheck=True)
    rules = RuleClassifier(list(current.categories.values()), current.rules_version) if use_rules else None
    label_docs = (
        [
            *category_label_docs(current.categories.values()),
            *ml.fine_label_docs(examples, weight=ml.FINE_DOC_WEIGHT),
        ]
        if use_label_docs
        else []
    )
    trained = ml.train(
        with_rule_features(examples, rules), target_precision=target_precision, label_docs=label_docs
    )
    return ml.store_model(
        trained,
        kind=ClassifierModel.Kind.CATEGORY,
        prefix="ml",
        source=source,
        examples=len(examples),
        now=now,
    )


def place_tokens(text: str, gazetteer: places.Gazetteer) -> list[str]:
    """The place found in the text as features for a routing model: "p_<municipality>" (district
    or urban okrug) and "p_<settlement>" when the text names a settlement; nothing for none."""
    found = places.locate(text, gazetteer=gazetteer).territory
    if found is None or found.parent_id is None:
        return []
    tokens = [f"p_{found.name}".replace(" ", "_")]
    municipality = found.municipality
    if municipality is not None and municipality.pk != found.pk:
        tokens.append(f"p_{municipality.name}".replace(" ", "_"))
    return tokens
