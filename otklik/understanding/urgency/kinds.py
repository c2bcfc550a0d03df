"""Kinds of urgency (what was found) and the annotation's three labels (what it means)."""

from __future__ import annotations

from collections.abc import Sequence


class UrgencyKind:
    GAS = "gas"
    FIRE = "fire"
    FLOOD = "flood"  # a burst pipe or a leak flooding homes, basements, stairwells
    SEWAGE = "sewage"
    NO_HEATING = "no_heating"
    NO_WATER = "no_water"
    NO_POWER = "no_power"
    CHILD = "child_in_danger"
    COLLAPSE = "collapse"
    FALLING = "falling_objects"
    ICE = "falling_ice"
    WIRES = "wires"
    POLE = "pole"
    TREE = "tree"
    MANHOLE = "open_manhole"
    TRAPPED = "trapped"
    HEALTH = "health"
    DOGS = "dog_attack"
    THREAT = "threat"
    LEARNED = "learned"  # the learned model alone: like the urgent appeals it was trained on


class UrgencyLabel:
    """The annotation's three kinds of urgency (and none)."""

    LIFE_HEALTH = "life_health"
    UTILITY = "utility_emergency"
    CHILD = "child_in_danger"
    NONE = "none"


UTILITY_KINDS = frozenset(
    {
        UrgencyKind.FLOOD,
        UrgencyKind.SEWAGE,
        UrgencyKind.NO_HEATING,
        UrgencyKind.NO_WATER,
        UrgencyKind.NO_POWER,
    }
)
# Kinds of a hazard that turns into "a child in danger" where children are named beside it.
CHILD_HAZARDS = frozenset(
    {
        UrgencyKind.MANHOLE,
        UrgencyKind.TREE,
        UrgencyKind.ICE,
        UrgencyKind.FALLING,
        UrgencyKind.WIRES,
        UrgencyKind.COLLAPSE,
        UrgencyKind.DOGS,
        UrgencyKind.POLE,
    }
)

# Heating is a matter of life and health from October to April.
COLD_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})


def label_of(kinds: Sequence[str]) -> str:
    if not kinds:
        return UrgencyLabel.NONE
    if UrgencyKind.CHILD in kinds:
        return UrgencyLabel.CHILD
    if any(k not in UTILITY_KINDS for k in kinds):
        return UrgencyLabel.LIFE_HEALTH
    return UrgencyLabel.UTILITY
