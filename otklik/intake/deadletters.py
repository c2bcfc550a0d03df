"""Dead letters: recording what could not become a message, and replaying it once fixed.

Everything that fails on the way in is kept with its raw payload, the stage and the reason — a line
of a file that is not JSON (:data:`Stage.PARSE`), a payload its connector could not read
(:data:`Stage.CONNECTOR`), an item a pipeline stage refused. The same failure read again counts an
attempt on the row already kept (``DeadLetter.objects.keep``, :class:`~.models.DeadLetterQuerySet`).

:func:`replay_dead_letter` runs a letter again — through its connector first when the connector
could not read it (the connector may have been fixed), then through the pipeline.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.utils import timezone

from .connectors.base import Connector, ConnectorError, NormalizeError, SkipPayload, connector_for
from .models import DeadLetter, Source
from .pipeline import BatchResult, Stage, run_batch


def record_dead_letter(
    payload: Any,
    *,
    stage: str,
    reason: str,
    source: Source | None = None,
    external_id: str = "",
    now: datetime | None = None,
) -> DeadLetter:
    """Keep something that could not even become an item (a line that is not JSON), once per payload."""
    return DeadLetter.objects.keep_one(
        DeadLetter.for_payload(
            payload, stage=stage, reason=reason, source=source, external_id=external_id, now=now
        )
    )


def unreadable(source: Source, connector: Connector, payload: Any, reason: str, now: datetime) -> DeadLetter:
    """The (unsaved) dead letter of a payload the connector could not normalize."""
    return DeadLetter.for_payload(
        payload,
        stage=Stage.CONNECTOR,
        reason=reason,
        source=source,
        external_id=connector.payload_id(payload),
        now=now,
    )


class _StillUnreadable(ValueError):
    pass


def _item_of(dead_letter: DeadLetter) -> Any:
    """The pipeline item a letter's payload makes now; _StillUnreadable when it still makes none."""
    if dead_letter.stage != Stage.CONNECTOR:
        try:
            return json.loads(dead_letter.payload)
        except ValueError as exc:
            raise _StillUnreadable(f"not JSON: {exc}") from exc
    try:
        if dead_letter.source is None:
            raise NormalizeError("the dead letter has no source")
        return connector_for(dead_letter.source).normalize(json.loads(dead_letter.payload))
    except (NormalizeError, SkipPayload, ValueError, ConnectorError) as exc:
        raise _StillUnreadable(str(exc)) from exc


def replay_dead_letter(dead_letter: DeadLetter, *, now: datetime | None = None) -> BatchResult | None:
    """Run a dead letter's payload through the pipeline again (through its connector first when the
    connector could not read it).

    On success ``replayed_at`` is set; on another failure the attempt is counted and the reason
    updated (no second dead letter is made). Returns None when the payload still cannot be read.
    """
    now = now or timezone.now()
    try:
        item = _item_of(dead_letter)
    except _StillUnreadable as exc:
        dead_letter.attempts += 1
        dead_letter.reason = f"{dead_letter.reason.split(' | ')[0]} | replay: {exc}"[:2000]
        dead_letter.save(update_fields=["attempts", "reason"])
        return None
    result = run_batch([item], now=now, source=dead_letter.source, store_dead_letters=False)
    if result.dead_letters:
        dead_letter.attempts += 1
        dead_letter.stage, dead_letter.reason = result.failures[0]
        dead_letter.save(update_fields=["attempts", "stage", "reason"])
    else:
        dead_letter.replayed_at = now
        dead_letter.save(update_fields=["replayed_at"])
    return result
