"""The small arithmetic of every app's tables (analytics, deputies, elections): a share in percent and
a total over rows. Imports nothing, so models may use it too."""

from __future__ import annotations

from typing import Any


def percent(part: float, whole: float) -> float | None:
    """``part`` of ``whole`` in percent to one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


class summed:
    """A total of one figure over the object's ``rows``, read as an attribute (templates too)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        return sum(getattr(row, self.name) for row in obj.rows)
