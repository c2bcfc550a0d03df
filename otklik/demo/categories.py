"""Find the loaded categories by name patterns, so the demo works with any category tree."""

from __future__ import annotations

import re
from collections.abc import Iterable

from otklik.directory.models import Category


def _norm(text: str) -> str:
    return text.lower().replace("ё", "е")


class CategoryMatcher:
    """Matches regexes (lower case, "е" for "ё") against the names and keywords of active categories."""

    def __init__(self, categories: Iterable[Category] | None = None) -> None:
        if categories is None:
            categories = (
                Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code")
            )
        self.categories = list(categories)
        self._names = {c.pk: _norm(c.name) for c in self.categories}

    def _matches(self, pattern: str) -> list[Category]:
        regex = re.compile(pattern)
        return [c for c in self.categories if regex.search(self._names[c.pk])]

    def covering(self, patterns: Iterable[str]) -> list[Category]:
        """Every category any pattern names, without those already covered by a matched parent."""
        matched: dict[int, Category] = {}
        for pattern in patterns:
            for category in self._matches(pattern):
                matched[category.pk] = category
        return [c for c in matched.values() if not (c.parent_id and c.parent_id in matched)]

    def best(self, patterns: Iterable[str]) -> Category | None:
        """The first pattern that names anything wins; a subcategory before a top category."""
        for pattern in patterns:
            found = self._matches(pattern)
            if found:
                subs = [c for c in found if c.parent_id]
                return (subs or found)[0]
        return None
