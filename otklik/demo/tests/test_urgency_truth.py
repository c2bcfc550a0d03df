"""The demo's urgent messages read as urgent to the urgency rules, and the others do not: the demo's
truth (a problem's ``urgent`` flag or an :class:`~otklik.demo.catalog.UrgentText`) follows the
annotation guide (docs/annotation/urgency.md), so the demo shows what the rules do on real appeals."""

from __future__ import annotations

import pytest

from otklik.demo import catalog
from otklik.understanding import urgency

VALUES = {
    "loc": "в Энгельсе",
    "street": "ул. Тельмана",
    "addr": "ул. Тельмана, д. 12",
    "house": "12",
    "n": "12",
    "route": "6",
}
CASES = [
    (problem.key, text, problem.urgent or isinstance(text, catalog.UrgentText))
    for problem in catalog.PROBLEMS
    for text in problem.texts
]


@pytest.mark.parametrize("days", catalog.DAYS)
@pytest.mark.parametrize(
    ("key", "text", "truth"), CASES, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(CASES)]
)
def test_the_demos_urgent_texts_are_urgent_to_the_rules(key: str, text: str, truth: bool, days: str) -> None:
    filled = text.format(days=days, **VALUES)
    assert urgency.assess(filled, month=1).is_urgent == truth, filled
