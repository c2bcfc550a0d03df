"""The learned router: which agency a case goes to, learned from the routing decisions.

A text model (:class:`ml.TextModel`) over the case's text, its category and its territory (extra
tokens "cat:<code>", "ter:<id>" for the territory and each territory above it) and the current
routing practice — the agencies of the latest routing decisions (:func:`ml.recent_practice`).
Measured on the Kursk appeals (docs/benchmarks.md, executor [20]): with the practice from the
earlier decisions only, as a new appeal sees it, 0.61 executor accuracy against 0.49 without it.

Trained versions are stored as :class:`ClassifierModel` rows of kind AGENCY (``otklik train
--agency``); :func:`suggest_agencies` reads the newest active one. What it returns is a
suggestion for the moderator; routing rules come first.

The cases are read through the app registry by their label: understanding sits below cases and
never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import ml

if TYPE_CHECKING:
    from .models import ClassifierModel


KIND = "agency"  # ClassifierModel.Kind.AGENCY
PRACTICE_K = 40
DEFAULT_THRESHOLD = 0.5  # a label without a learned threshold is suggested from this confidence on
MIN_EXAMPLES = 10


def make_agency_model() -> ml.TextModel:
    """The measured configuration (docs/benchmarks.md, executor [20]): place tokens at weight 2,
    unweighted classes, the practice of the latest 40 decisions before each one."""
    return ml.TextModel(
        class_weight=None,
        extra_weight=2.0,
        practice_k=PRACTICE_K,
        practice_weight=3.0,
        practice_past_only=True,
    )


@dataclass(frozen=True)
class RoutingRow:
    """What the router reads of one case: its text, category code and territory id."""

    text: str
    category: str | None = None
    territory: int | None = None


@dataclass(frozen=True)
class Suggestion:
    agency_id: int
    confidence: float
    model: str  # the model version


def territory_chains(ids: Iterable[int | None]) -> dict[int, list[int]]:
    """Each territory id with the ids of the territories above it, nearest first (one query per
    level of the tree)."""
    from otklik.directory.models import Territory

    parents: dict[int, int | None] = {}
    wanted = {i for i in ids if i is not None}
    while wanted:
        found = dict(Territory.objects.filter(pk__in=wanted).values_list("pk", "parent_id"))
        parents.update(found)
        wanted = {p for p in found.values() if p is not None and p not in parents}
    chains: dict[int, list[int]] = {}
    for start in parents:
        chain: list[int] = []
        node: int | None = start
        while node is not None and node not in chain:
            chain.append(node)
            node = parents.get(node)
        chains[start] = chain
    return chains


def routing_tokens(
    category: str | None, territory: int | None, chains: dict[int, list[int]]
) -> tuple[str, ...]:
    """The extra tokens of a case: its category code, its territory and every territory above."""
    tokens = [f"cat:{category}"] if category else []
    if territory is not None:
        tokens += [f"ter:{t}" for t in chains.get(territory, [territory])]
    return tuple(tokens)


def routing_examples() -> list[ml.Example]:
    """Training examples from the routing decisions: every unmerged case with an agency, labelled
    by the agency id, at its arrival time, oldest first."""
    from django.apps import apps

    cases = apps.get_model("cases", "Case").objects.filter(agency__isnull=False, merged_into__isnull=True)
    rows = list(
        cases.order_by("created_at", "pk").values_list(
            "text", "agency_id", "created_at", "category__code", "territory_id"
        )
    )
    chains = territory_chains(row[4] for row in rows)
    return [
        ml.Example(
            text=text,
            label=str(agency),
            extra=routing_tokens(category, territory, chains),
            time=created.timestamp(),
        )
        for text, agency, created, category, territory in rows
        if (text or "").strip()
    ]


def train_agency_model(
    examples: Sequence[ml.Example],
    *,
    source: str,
    target_precision: float = ml.DEFAULT_TARGET_PRECISION,
    now: datetime | None = None,
    make_model: ml.ModelFactory = make_agency_model,
) -> ClassifierModel:
    """Train on the examples (labels are agency ids, times when they arrived) and store a new
    active AGENCY version; :func:`suggest_agencies` of every process picks it up on its next call.
    ``ValueError`` when the examples name fewer than two agencies."""
    from django.utils import timezone

    from .models import ClassifierModel

    now = now or timezone.now()
    times = [e.time for e in examples]
    trained = ml.train(
        examples,
        make_model=make_model,
        target_precision=target_precision,
        times=None if any(t is None for t in times) else [float(t) for t in times if t is not None],
    )
    return ml.store_model(
        trained,
        kind=ClassifierModel.Kind.AGENCY,
        prefix="agency",
        source=source,
        examples=len(examples),
        now=now,
    )


def _active() -> tuple[str, ml.TextModel, dict[str, Any]] | None:
    active = ml.active_model(KIND)  # one of an older format is not used until retrained
    if active is None or active.model is None:
        return None
    return active.version, active.model, active.thresholds


def suggest_agencies(rows: Sequence[RoutingRow]) -> list[Suggestion | None]:
    """For each row: the agency the active AGENCY model routes it to, with its confidence and the
    model version, when the confidence reaches the agency's learned threshold (or
    :data:`DEFAULT_THRESHOLD` when none was learned); None otherwise, and for every row when no
    model is active. The practice read is the latest decisions the model was trained on."""
    if not rows:
        return []
    active = _active()
    if active is None:
        return [None] * len(rows)
    version, model, thresholds = active
    chains = territory_chains(r.territory for r in rows)
    docs = [ml.prepare(r.text, routing_tokens(r.category, r.territory, chains)) for r in rows]
    out: list[Suggestion | None] = []
    for prediction in model.predict(docs):
        threshold = thresholds.get(prediction.label)
        needed = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        if prediction.confidence >= needed and prediction.label.isdigit():
            out.append(Suggestion(int(prediction.label), prediction.confidence, version))
        else:
            out.append(None)
    return out
