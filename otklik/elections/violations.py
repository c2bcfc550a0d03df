"""Types of violations: the reference list (:class:`~otklik.elections.models.ViolationType`, set in the
admin) and finding the type an observer named in a free-text message («нарушение: вброс пачкой…»).

A type is found by its keywords — beginnings of words, as observers write them in any form
(«вброс», «вбросили», «вбрасывают») — at word starts in the text; the one found earliest decides,
so «вброс, наблюдателя удалили» is stuffing. Nothing found: «other».
"""

from __future__ import annotations

import re

from .models import ViolationType

OTHER = "other"
_WORD_START = r"(?<![0-9a-zа-я])"

# The common kinds (code, name, keywords), seeded by a migration and again whenever the list is empty.
DEFAULT_TYPES = (
    ("stuffing", "Вброс бюллетеней", "вброс, вбросил, вбрасыва, пачк"),
    ("carousel", "«Карусель»", "карусел, подвоз, подвез, автобус"),
    ("pressure", "Давление на избирателей, подкуп", "давлен, принужд, подкуп, угрож, заставля, принуд"),
    ("observers", "Препятствование наблюдателям", "наблюдател, удалил, выгнал, не пуска, не допуска, запрет"),
    ("mobile_box", "Нарушения при голосовании вне помещения", "переносн, вне помещ, на дому, надомн, выездн"),
    ("campaigning", "Агитация в день голосования", "агитац, агитир, листовк"),
    (OTHER, "Другое", ""),
)


def seed(model: type[ViolationType] = ViolationType) -> None:
    """The common kinds, where missing (``model`` is the migration's historical one there)."""
    for order, (code, name, keywords) in enumerate(DEFAULT_TYPES):
        model.objects.get_or_create(code=code, defaults={"name": name, "keywords": keywords, "order": order})


def active_types() -> list[ViolationType]:
    """The active types in their order; an empty list is seeded with the common kinds first."""
    found = list(ViolationType.objects.filter(is_active=True).order_by("order", "name"))
    if not found and not ViolationType.objects.exists():
        seed()
        found = list(ViolationType.objects.filter(is_active=True).order_by("order", "name"))
    return found


def other() -> ViolationType:
    """The catch-all type (made if an administrator removed it)."""
    found, _created = ViolationType.objects.get_or_create(
        code=OTHER, defaults={"name": "Другое", "order": 99}
    )
    return found


def classify(text: str, types: list[ViolationType] | None = None) -> ViolationType:
    """The type an observer's text names (the earliest keyword found), else «other»."""
    folded = text.casefold().replace("ё", "е")
    best: tuple[int, int, ViolationType] | None = None
    for rank, kind in enumerate(types if types is not None else active_types()):
        for stem in kind.stems():
            match = re.search(_WORD_START + re.escape(stem), folded)
            if match and (best is None or (match.start(), rank) < best[:2]):
                best = (match.start(), rank, kind)
    return best[2] if best else other()
