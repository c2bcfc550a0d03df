"""A paginator told its count: the queue counts its tabs anyway (bounded, see
:func:`otklik.cases.filters.tab_counts`, and shared for a few seconds, :mod:`otklik.cases.counts`),
so the page need not run a second ``COUNT(*)`` over the cases — which at millions of cases is a
sequential scan.

The count it is told may be a few seconds old, so a page's rows are read as they are now (never cut
to the count), and :meth:`CountedPaginator.settle` corrects the count from the rows read."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator


class CountedPaginator(Paginator):
    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @property  # type: ignore[override]
    def count(self) -> int:
        return self._known_count

    def page(self, number: Any) -> Page:
        """The page's rows as they are now: ``per_page`` of them from the page's start, however many
        the count said there were."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return Page(list(self.object_list[bottom : bottom + self.per_page]), number, self)

    def settle(self, page: Page) -> bool:
        """Correct the count from the rows ``page`` read: a page not full is the last one, so the
        count is exact; a full one means at least its end. Whether the count changed."""
        start = (page.number - 1) * self.per_page
        rows = len(page.object_list)
        if rows < self.per_page and (rows or page.number == 1):
            exact = start + rows
        else:
            exact = max(self._known_count, start + rows)
        if exact == self._known_count:
            return False
        self._known_count = exact
        for cached in ("num_pages", "page_range"):
            self.__dict__.pop(cached, None)
        return True
