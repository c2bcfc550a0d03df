"""A paginator told its count: the queue counts its tabs anyway (bounded, see
:func:`otklik.cases.filters.tab_counts`), so the page need not run a second ``COUNT(*)`` over the
cases — which at millions of cases is a sequential scan."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator


class CountedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property  # type: ignore[override]
    def count(self) -> int:
        return self._known_count
