"""The pipeline's reasons (a case's ``understanding`` JSON) in words a moderator reads.

The JSON keeps machine values ("point", "relevant", "gas"); the card shows them translated, with
category codes as names and scores as the classifier meant them (a model's probability as a
percentage, a rule's match weight as a number)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Category

from .relevance import Verdict
from .urgency import UrgencyKind

Label = str | Promise

SECTIONS: dict[str, Label] = {
    "scores": _("Category scores"),
    "urgency": _("Urgency signals"),
    "place": _("Place found by"),
    "relevance": _("Relevance"),
    "decided_by": _("Decided by"),
    "threshold": _("Confidence threshold"),
    "tone": _("Tone"),
    "monitoring": _("Monitoring queries"),
}

FIELDS: dict[str, Label] = {
    "matched": _("found in the text"),
    "precision": _("precision"),
    "address": _("address"),
    "settlement": _("settlement"),
    "institution": _("institution"),
    "source": _("how"),
    "unresolved": _("not in the gazetteer"),
    "verdict": _("verdict"),
    "problem_terms": _("problem words"),
    "advert_terms": _("advertising words"),
    "kinds": _("signals"),
    "terms": _("words"),
    "flags": _("flags"),
    "flagged_by": _("flagged by"),
    "probability": _("model's probability"),
}

VALUES: dict[tuple[str, str], Mapping[str, Label]] = {
    ("place", "precision"): {
        "point": _("a point (building)"),
        "institution": _("an institution's point"),
        "none": _("none"),
        **{kind.value: kind.label for kind in TerritoryKind},
    },
    ("place", "source"): {
        "text": _("named in the text"),
        "street": _("by the street"),
        "ner": _("named-entity recognition"),
        "institution": _("by the institution"),
        "point": _("by the coordinates"),
        "none": _("not found"),
    },
    ("relevance", "verdict"): {
        Verdict.RELEVANT: _("a resident's problem"),
        Verdict.LINKS_ONLY: _("links only"),
        Verdict.ADVERTISING: _("advertising"),
        Verdict.GREETING: _("a greeting only"),
        Verdict.TOO_SHORT: _("too short"),
        Verdict.OFF_TOPIC: _("off topic"),
    },
    ("urgency", "kinds"): {
        UrgencyKind.GAS: _("smell of gas"),
        UrgencyKind.FIRE: _("fire"),
        UrgencyKind.FLOOD: _("flooding"),
        UrgencyKind.SEWAGE: _("sewage spill"),
        UrgencyKind.NO_HEATING: _("no heating in the cold season"),
        UrgencyKind.NO_WATER: _("no water supply"),
        UrgencyKind.NO_POWER: _("no electricity"),
        UrgencyKind.CHILD: _("a child in danger"),
        UrgencyKind.COLLAPSE: _("collapse"),
        UrgencyKind.FALLING: _("something may fall on people"),
        UrgencyKind.WIRES: _("bare or fallen wires"),
        UrgencyKind.POLE: _("a pole about to fall"),
        UrgencyKind.TREE: _("a broken or leaning tree"),
        UrgencyKind.TRAPPED: _("people trapped"),
        UrgencyKind.MANHOLE: _("open manhole"),
        "no_water_in_heat": _("no water in the heat"),  # kept on cases understood before 2026-12
        UrgencyKind.ICE: _("falling ice"),
        UrgencyKind.HEALTH: _("a threat to health"),
        UrgencyKind.DOGS: _("dog attack"),
        UrgencyKind.THREAT: _("threats"),
        UrgencyKind.LEARNED: _("like urgent appeals of the past (learned model)"),
    },
    ("urgency", "flagged_by"): {
        "rules": _("the rules"),
        "model": _("the learned model alone"),
        "both": _("the rules and the learned model"),
    },
    ("tone", "flags"): {
        "obscene": _("obscenity"),
        "aggressive": _("aggression"),
        "shouting": _("shouting (capitals)"),
    },
    ("decided_by", ""): {
        "rules": _("rules"),
        "model": _("learned model"),
        "sender": _("the sender's choice"),
    },
}

# shown elsewhere on the card (matched terms, version, routing) or as the section itself
_NOT_LISTED = {"matched_terms", "version", "model_version", "routing"}


def _value(section: str, field: str, value: Any) -> str:
    names = VALUES.get((section, field))
    return str(names.get(str(value), value)) if names else str(value)


def urgency_kinds(kinds: Any) -> list[str]:
    """The urgency kinds of an ``understanding`` JSON in words ("затопление, прорыв трубы")."""
    return _values("urgency", "kinds", list(kinds) if isinstance(kinds, list | tuple) else kinds)


def _values(section: str, field: str, value: Any) -> list[str]:
    if value in (None, "", [], {}):
        return []
    if isinstance(value, list | tuple):
        return [_value(section, field, v) for v in value if v not in (None, "")]
    if isinstance(value, float):
        return [f"{value:.2f}"]
    return [_value(section, field, value)]


def _scores(scores: Mapping[str, Any], decided_by: str, names: Mapping[str, str] | None) -> list[str]:
    if names is None:
        names = dict(Category.objects.filter(code__in=list(scores)).values_list("code", "name"))
    shown = []
    for code, score in sorted(scores.items(), key=lambda item: -float(item[1])):
        value = f"{float(score):.0%}" if decided_by in ("model", "sender") else f"{float(score):g}"
        shown.append(f"{names.get(code, code)}: {value}")
    return shown


def _monitoring(value: Mapping[str, Any]) -> list[str]:
    return [str(q.get("name") or q.get("id")) for q in value.get("queries", []) if isinstance(q, Mapping)]


def explain(
    understanding: Mapping[str, Any], *, category_names: Mapping[str, str] | None = None
) -> list[tuple[str, list[str]]]:
    """(section, display strings) for each non-empty part of ``understanding`` the card lists; the
    categories' names by code from ``category_names`` when given (else one query reads them)."""
    decided_by = str(understanding.get("decided_by") or "")
    out: list[tuple[str, list[str]]] = []
    for key, value in understanding.items():
        if key in _NOT_LISTED:
            continue
        if key == "scores" and isinstance(value, Mapping):
            shown = _scores(value, decided_by, category_names)
        elif key == "monitoring" and isinstance(value, Mapping):
            shown = _monitoring(value)
        elif key == "threshold" and isinstance(value, int | float):
            shown = [f"{float(value):.0%}"]
        elif isinstance(value, Mapping):
            shown = []
            for field, item in value.items():
                parts = _values(key, field, item)
                if parts:
                    shown.append(f"{FIELDS.get(field, field)}: {', '.join(parts)}")
        else:
            shown = _values(key, "", value)
        if shown:
            out.append((str(SECTIONS.get(key, key)), shown))
    return out
