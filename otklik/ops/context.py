"""The request and case a log line belongs to, carried in context variables.

:class:`~otklik.ops.middleware.RequestContextMiddleware` sets the request id (the proxy's
``X-Request-ID`` when it sends a sane one, else a new one) and, on a case's pages, the case id;
code that works on a case elsewhere (a pipeline batch, a task) wraps it in :func:`bound`. The
logging filter :class:`ContextFilter` copies both onto every record, so JSON logs carry them.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("otklik_request_id", default="")
case_id: contextvars.ContextVar[str] = contextvars.ContextVar("otklik_case_id", default="")

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def new_request_id(offered: str | None = None) -> str:
    """The proxy's id when it looks like one (never a header full of something else), else a new one."""
    if offered and _SANE_ID.match(offered):
        return offered
    return uuid.uuid4().hex


@contextmanager
def bound(*, request: str | None = None, case: object | None = None) -> Iterator[None]:
    tokens = []
    if request is not None:
        tokens.append((request_id, request_id.set(request)))
    if case is not None:
        tokens.append((case_id, case_id.set(str(case))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``case_id`` to every record (empty outside a request or a case)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get()
        if not getattr(record, "case_id", None):
            record.case_id = case_id.get()
        return True
