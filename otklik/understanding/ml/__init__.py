"""The learned classifier: featurizer, linear model, cross-validation, per-category thresholds.

* **Words.** :func:`tokens`: HTML, links and mentions removed, lower case, ``ё`` → ``е``, runs of
  Cyrillic/Latin letters and digits (hyphenated parts kept together) by one regex — not razdel, so
  the classifier reads the same words whatever tokenizer the pipeline uses.
* **Features** (:class:`Featurizer`, no scikit-learn vectorizers): TF-IDF of lemma unigrams and
  bigrams (pymorphy3, cached per word), TF-IDF of character 3–5-grams of each word, the mean
  navec word vector (natasha's bundled ``navec_news_v1_1B_250K_300d_100q``: offline, no download,
  no PyTorch; ≈ 73 MB once per process), and optional weighted *extra tokens* (the rules'
  verdicts, the place found in the text). What a word contributes is worked out once per process;
  a warm batch is a regex, one dictionary look-up per word and numpy (≈ 5,700 texts/s on one core
  in batches of 100, see docs/benchmarks.md).
* **Label documents** (:class:`LabelDoc`): descriptions of a label learned as more examples of
  it — the names of the finer labels under it (a category's topics), or a category's name and
  curated keywords (whose words are kept as features even when no example has them yet).
* **Model** (:class:`TextModel`): ``LinearSVC`` (``C=0.3``, balanced class weights) over all
  blocks; with finer labels (topics) a second ``LinearSVC`` over them (lemmas and vectors), whose
  best score among a label's fine labels is averaged with that label's score. Both are stored as
  float32 weight matrices per block and scored with one sparse × dense product each. Confidence
  is the softmax of the scores (scale 5): ordered like the margins; what it means for routing is
  learned per category (below). Measured on the Kursk appeals (5-fold CV, docs/benchmarks.md):
  the topic names and the topic head raise category macro-F1 from 0.57 to 0.66; the rules'
  verdicts as features lower it, so they are off unless asked for.
* **Routing practice** (``practice_k``, :func:`recent_practice`): for routing labels, the shares of
  the labels among the ``k`` training decisions nearest in time (arrival order will do) as one
  more block of features. Routing practice drifts (on the Kursk appeals the city administration
  took the city's appeals at some periods, its committees at others); with it executor accuracy
  goes from 0.49 to 0.62 (docs/benchmarks.md). A new appeal reads the latest ``k`` decisions.
* **Thresholds.** From out-of-fold predictions on the training set, each category gets the lowest
  confidence at which the predictions of that category reach the target precision (0.9 by default)
  with at least ``min_support`` of them; a category that never reaches it has no threshold and
  always goes to moderation.
* **Storage.** A model pickles to a zlib blob (≈ 8 MB for the Kursk categories and topics);
  ``MODEL_FORMAT`` is checked on load, and a model written by an older layout raises
  :class:`IncompatibleModel` (the classifier then falls back to the rules until ``otklik train``).

The package, module by module — every one pure (no ORM: lists of texts and labels in, numbers
out) except the last: ``tokens`` (words, prepared texts, label documents), ``embeddings`` (navec),
``features`` (the featurizer), ``practice`` (routing practice), ``model`` (heads, ``TextModel``, its
stored form), ``evaluation`` (cross-validation, figures, thresholds), ``training`` (examples in,
a fitted model with thresholds out); ``store`` keeps versioned models
(:class:`~otklik.understanding.models.ClassifierModel`), holds the active one of each kind per process
(:func:`active_model`, :class:`otklik.caching.ProcessCache`) and collects moderators' decisions as
training examples. Callers use the names re-exported here (``ml.train``, ``ml.TextModel`` …).
"""

from __future__ import annotations

from .embeddings import NAVEC_FILE, Embeddings, get_embeddings, navec_path
from .evaluation import (
    ClassMetrics,
    Evaluation,
    cross_validate,
    cross_validate_table,
    frequent_only,
    learn_thresholds,
)
from .features import Features, Featurizer, char_grams
from .model import (
    CONFIDENCE_SCALE,
    MODEL_FORMAT,
    IncompatibleModel,
    LinearHead,
    ModelFactory,
    Prediction,
    TextModel,
    dump_model,
    load_model,
)
from .practice import recent_practice
from .store import MODELS, ActiveModel, active_model, active_model_version, moderated_examples, store_model
from .tokens import (
    FINE_DOC_WEIGHT,
    TAG_RE,
    TOKEN_RE,
    LabelDoc,
    Prepared,
    clean_html,
    label_docs_from_fine,
    prepare,
    prepare_analyzed,
    tokens,
)
from .training import (
    DEFAULT_TARGET_PRECISION,
    Example,
    TrainedModel,
    _label,
    fine_label_docs,
    read_labeled_csv,
    train,
)

__all__ = [
    "CONFIDENCE_SCALE",
    "DEFAULT_TARGET_PRECISION",
    "FINE_DOC_WEIGHT",
    "MODELS",
    "MODEL_FORMAT",
    "NAVEC_FILE",
    "TAG_RE",
    "TOKEN_RE",
    "ActiveModel",
    "ClassMetrics",
    "Embeddings",
    "Evaluation",
    "Example",
    "Features",
    "Featurizer",
    "IncompatibleModel",
    "LabelDoc",
    "LinearHead",
    "ModelFactory",
    "Prediction",
    "Prepared",
    "TextModel",
    "TrainedModel",
    "_label",
    "active_model",
    "active_model_version",
    "char_grams",
    "clean_html",
    "cross_validate",
    "cross_validate_table",
    "dump_model",
    "fine_label_docs",
    "frequent_only",
    "get_embeddings",
    "label_docs_from_fine",
    "learn_thresholds",
    "load_model",
    "moderated_examples",
    "navec_path",
    "prepare",
    "prepare_analyzed",
    "read_labeled_csv",
    "recent_practice",
    "store_model",
    "tokens",
    "train",
]
