"""Messages typed in directly — the public web form, the call-center operator's form.

They go through the same pipeline as any connector's (dedup, understanding, routing), one item at a
time. The form's one-time token is the external id, so submitting the same form twice (a double
click, a reload) is a no-op that finds the first submission again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from otklik.cases.models import Case

from .models import Message, Source
from .pipeline import client_reason, run_batch

FORM_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


class SubmissionError(ValueError):
    """The pipeline refused the item (its reason is kept in a dead letter too). ``str()`` is what
    the sender may read (:func:`~.pipeline.client_reason`); ``detail`` is the whole reason, for
    the center's own staff (the call-center operator)."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail or message


@dataclass(frozen=True)
class Submitted:
    message: Message
    case: Case | None  # None when the text was judged not to be a problem (a thank-you note)
    is_new: bool  # False: the same form was submitted before


def direct_source(code: str, *, name: str, channel: str, connector: str) -> Source:
    """The source of a direct channel, created on first use (adjust its name in the admin)."""
    source, _created = Source.objects.get_or_create(
        code=code, defaults={"name": name, "channel": channel, "connector": connector}
    )
    return source


def current_case(case: Case | None, *, depth: int = 10) -> Case | None:
    """A merged case stands for the case it was merged into."""
    while case is not None and case.merged_into_id is not None and depth > 0:
        case = case.merged_into
        depth -= 1
    return case


def submit(item: dict[str, Any], *, source: Source, now: datetime | None = None) -> Submitted:
    """Run one item through the pipeline; return its stored message and case."""
    result = run_batch([item], source=source, now=now)
    if result.dead_letters:
        stage, reason = result.failures[0]
        raise SubmissionError(client_reason(stage, reason), detail=reason)
    message = Message.objects.select_related("case").get(source=source, external_id=item["external_id"])
    return Submitted(message=message, case=current_case(message.case), is_new=not result.duplicates)
