"""Urgency: a threat to life or health, an emergency in the utilities, a child in danger — with the
words that decided it.

Built on hand-annotated real appeals (``docs/annotation/urgency.md``; figures in
``docs/benchmarks.md``): what a ЦУР moderator would put before everything else in the queue, not
every text that mentions fire or water. Each **cue** is a few words by lemma (any word form, any
order, within a few tokens of one sentence), of one **kind**; a cue is dropped by its **guards**,
which read the sentence around it the way a person does:

* **negation** — "не горит свет" is not a fire, "газом не пахнет" is no gas leak;
* **past events** — "после пожара", "после потопа", "в прошлом году был пожар" tell what happened
  and is over;
* **hypotheses** — "опасность возгорания", "а если будет пожар", "может прорвать" fear an event
  that has not happened (a *hazard* that is there now — icicles that "могут упасть на голову" — is
  urgent, so hazards carry no such guard);
* **conditions and habits** — "при сильном дожде затапливает подвал", "часто сидим без света"
  describe what recurs, not what is going on now (unless the text says it is: "сегодня опять");
* **places and kinds of supply** — no heating or light on a staircase is not an outage in a home;
  a cold-water leak is a leak, never "no heating"; hot water off by schedule is not an accident;
* **chronic trouble** — weak pressure, under-heating for years are complaints for the day's work.

Heating counts in the cold season only (pass ``now`` or ``month``). Tone is assessed apart
(:func:`assess_tone`): obscenity (word roots, so any form and disguise such as "бл*"), insults and
shouting (mostly capitals). Tone never makes a case urgent; a threat of violence or suicide is an
urgency of its own, read from first-person threats ("убью", "подожгу"), so "сосулька может и убить"
is falling ice, not a threat.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.utils import timezone

from ..text import AnalyzedText, analyze, fold
from .cues import Cue, anchors, cues
from .kinds import CHILD_HAZARDS, COLD_MONTHS, UTILITY_KINDS, UrgencyKind, UrgencyLabel, label_of
from .learned import Source, combine, load_model
from .reading import Reading, guarded, tense_signals, typo_readings
from .tone import Tone, assess_tone
from .vocabulary import CHILDREN, THREATS

__all__ = [
    "COLD_MONTHS",
    "UTILITY_KINDS",
    "Cue",
    "Tone",
    "Urgency",
    "UrgencyKind",
    "UrgencyLabel",
    "assess",
    "assess_tone",
    "cues",
    "is_cold_season",
    "judge",
    "label_of",
    "read_rules",
]


@dataclass(frozen=True)
class Urgency:
    is_urgent: bool
    kinds: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    tone: Tone = field(default_factory=Tone)
    # Who flagged it (:class:`.learned.Source`: "rules", "model", "both"; "" when not urgent or the
    # rules alone were asked) and the learned model's probability (None when it was not asked).
    source: str = ""
    probability: float | None = None

    @property
    def label(self) -> str:
        """The annotation's label: a child in danger, a threat to life or health, a utility emergency."""
        return label_of(self.kinds)


def is_cold_season(now: datetime) -> bool:
    return _month(now) in COLD_MONTHS


def _month(now: datetime) -> int:
    return timezone.localtime(now).month if timezone.is_aware(now) else now.month


def assess(text: str | AnalyzedText, *, now: datetime | None = None, month: int | None = None) -> Urgency:
    """Urgency kinds and tone of a message written ``now`` by the rules alone; ``month`` is the local
    month of ``now`` when the caller knows it (a batch reads the time zone once, not per message).
    The pipeline's verdict combines them with the learned model (:func:`judge`)."""
    analyzed = analyze(text) if isinstance(text, str) else text
    if month is None:
        month = _month(now or timezone.now())
    return read_rules(analyzed, month).urgency


def judge(text: str | AnalyzedText, *, now: datetime | None = None, month: int | None = None) -> Urgency:
    """The combined verdict the pipeline acts on: the rules and the learned model
    (:mod:`.learned`), urgent when the rules flag the text and the model does not contradict them,
    when the model alone is confident, or when a guard dropped a cue and the model is fairly sure
    (:func:`.learned.combine`); rules alone when no model is shipped. A model-only verdict
    names the kinds of the cues found but dropped by a guard, else :data:`UrgencyKind.LEARNED`."""
    analyzed = analyze(text) if isinstance(text, str) else text
    if month is None:
        month = _month(now or timezone.now())
    reading = read_rules(analyzed, month)
    model = load_model()
    if model is None:
        return reading.urgency
    found = reading.urgency
    if not found.is_urgent and not model.may_flag_without_rules(bool(reading.guards)):
        return Urgency(is_urgent=False, tone=found.tone)  # the model could not flag it: not asked
    p = model.score(analyzed, reading.hits)
    source = combine(
        found.is_urgent,
        p,
        model.with_rules,
        model.alone,
        guarded=bool(reading.guards),
        with_guard=model.with_guard,
    )
    if source is None:
        return Urgency(is_urgent=False, tone=found.tone, probability=p)
    if source == Source.MODEL:
        kinds = [k for k in _KIND_ORDER if k in reading.matched] or [UrgencyKind.LEARNED]
        return Urgency(is_urgent=True, kinds=kinds, tone=found.tone, source=source, probability=p)
    return replace(found, source=source, probability=p)


@dataclass(frozen=True)
class RuleReading:
    """The rules' verdict, the kinds of the cues whose words were found (kept or dropped by a guard)
    and the guards that dropped a match ("negation", "past", "hypothesis", "common_area", …). The
    learned model reads the last two as features (:meth:`hits`), never the verdict."""

    urgency: Urgency
    matched: frozenset[str]
    guards: frozenset[str] = frozenset()
    # what the sentences of the cues' words say of time, dropped or not (round 10): "duration" (months or
    # years of it, D1) and "now" — so a duration can lower p where a kept cue's word raises it
    signals: frozenset[str] = frozenset()

    @property
    def hits(self) -> list[str]:
        """The cue hits as the model's feature names: ``m:<kind>`` found, ``g:<guard>`` dropped one,
        ``s:<signal>`` said in a cue's sentence."""
        return (
            sorted(f"m:{k}" for k in self.matched)
            + sorted(f"g:{g}" for g in self.guards)
            + sorted(f"s:{s}" for s in self.signals)
        )


def read_rules(analyzed: AnalyzedText, month: int) -> RuleReading:
    kinds: dict[str, None] = {}
    terms: set[str] = set()
    matched: set[str] = set()
    dropped: set[str] = set()
    raw = analyzed.text
    tokens = analyzed.tokens
    words = {fold(t.text) for t in tokens}
    present = analyzed.lemma_set | words | typo_readings(words)  # round 14, R18
    anchored = anchors()
    hits = sorted({i for word in present & anchored.keys() for i in anchored[word]})
    every = cues()
    candidates = [every[i] for i in hits if all(slot & present for slot in every[i].slots)]
    reading = Reading(analyzed) if candidates else None  # most messages hold no cue's words at all
    sentences: set[int] = set()
    for cue in candidates:
        assert reading is not None
        for combo in reading.find(cue):
            matched.add(cue.kind)
            sentences.add(min(combo))
            guard = guarded(cue, combo, reading, month)
            if guard:
                dropped.add(guard)
                continue
            kinds.setdefault(cue.kind, None)
            terms.add(raw[tokens[min(combo)].start : tokens[max(combo)].stop])
            if cue.kind in CHILD_HAZARDS and reading.has(reading.sentence_span(min(combo)), CHILDREN):
                kinds.setdefault(UrgencyKind.CHILD, None)
            break
    for match in THREATS.finditer(raw):
        matched.add(UrgencyKind.THREAT)
        kinds.setdefault(UrgencyKind.THREAT, None)
        terms.add(match.group(0))
    ordered = [k for k in _KIND_ORDER if k in kinds]
    found = Urgency(is_urgent=bool(ordered), kinds=ordered, terms=sorted(terms), tone=assess_tone(analyzed))
    signals = tense_signals(reading, sentences) if reading is not None else frozenset()
    return RuleReading(found, frozenset(matched), frozenset(dropped), signals)


_KIND_ORDER = [v for k, v in vars(UrgencyKind).items() if k.isupper()]
