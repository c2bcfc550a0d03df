"""The webhook endpoint: ``POST /intake/webhook/<source code>/`` (connector "webhook").

Authentication: ``X-Otklik-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the source's
secret, or ``Authorization: Bearer <token>`` (see :mod:`otklik.intake.connectors.webhook`). The body
is one item or a list of at most :data:`MAX_ITEMS` items of the pipeline's schema.

Answers (JSON): ``200`` with the counters when every item was taken (a re-delivery is counted as a
duplicate, so retrying is always safe) — with ``OTKLIK_PIPELINE=celery`` ``202`` with ``queued``: the
items are valid and handed to the workers through the broker (``503`` when the broker is away: retry);
``400`` with ``errors`` (index or stage, and reason) when the body is not JSON or some items are
invalid — the invalid ones are kept as dead letters, the valid ones of the same request are stored;
``401``/``403`` bad or missing credentials; ``404`` no such enabled webhook source; ``405`` not a
POST; ``413`` too big.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from otklik.security.payloads import loads as load_json

from .connectors.base import Connector, NormalizeError, OwnReply, SkipPayload
from .connectors.webhook import WebhookAuthError, WebhookConnector
from .deadletters import record_dead_letter, unreadable
from .models import DeadLetter, Source
from .pipeline import Stage, both_languages, client_reason, run_batch

MAX_ITEMS = 1000
NOT_JSON = gettext_noop("the webhook body is not valid JSON: %(error)s")


@dataclass
class PushResult:
    status: int
    body: dict[str, Any]


def accept_push(
    source: Source, connector: Connector, body: bytes, *, now: datetime | None = None
) -> PushResult:
    """Validate and ingest an authenticated push; see the module doc for the answers.

    Any connector's payloads: what it rightly skips is counted as ``skipped``, an official page's own
    answer (:class:`OwnReply`) is recorded for the page's responsiveness (the MAX webhook)."""
    from .pages import record_own_replies

    now = now or timezone.now()
    try:
        data = load_json(body)  # nested too deep is a ValueError too, never a RecursionError
    except ValueError as exc:
        reason = both_languages(NOT_JSON, error=exc)
        record_dead_letter(body, stage=Stage.PARSE, reason=reason, source=source, now=now)
        return PushResult(400, {"error": reason})
    payloads = data if isinstance(data, list) else [data]
    if not payloads:
        return PushResult(400, {"error": "the list of items is empty"})
    if len(payloads) > MAX_ITEMS:
        return PushResult(413, {"error": f"at most {MAX_ITEMS} items per request, got {len(payloads)}"})
    items: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    dead: list[DeadLetter] = []
    own: list[OwnReply] = []
    skipped = 0
    for index, payload in enumerate(payloads):
        try:
            items.append(connector.normalize(payload))
        except OwnReply as reply:
            own.append(reply)
            skipped += 1
        except SkipPayload:
            skipped += 1
        except NormalizeError as exc:
            errors.append({"index": index, "reason": str(exc)})
            dead.append(unreadable(source, connector, payload, f"{connector.kind}: {exc}", now))
    if own:
        record_own_replies(source, own)
    if settings.OTKLIK_PIPELINE == "celery":
        return _queue(source, payloads, items, errors, dead, now)
    with transaction.atomic():
        DeadLetter.objects.keep(dead)
        result = run_batch(items, now=now, source=source) if items else None
    counters: dict[str, Any] = {"received": len(payloads)}
    if skipped:
        counters["skipped"] = skipped
    if result is not None:
        counters.update({name: getattr(result, name) for name in result.COUNTERS if name != "received"})
        counters["accepted"] = result.received - result.duplicates - result.dead_letters
        errors += [
            {"stage": stage, "reason": client_reason(stage, reason)} for stage, reason in result.failures
        ]
    else:
        counters["accepted"] = 0
    counters["dead_letters"] = len(errors)
    if errors:
        return PushResult(
            400,
            {"error": f"{len(errors)} of {len(payloads)} item(s) are invalid", "errors": errors, **counters},
        )
    return PushResult(200, counters)


def _queue(
    source: Source,
    payloads: list[Any],
    items: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    dead: list[DeadLetter],
    now: datetime,
) -> PushResult:
    """Celery mode: the valid items go to the workers (the web server does no pipeline work)."""
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import enqueue_batches

    DeadLetter.objects.keep(dead)
    if items:
        try:
            enqueue_batches(items, source=source.code, now=now)
        except BrokerError as exc:
            return PushResult(503, {"error": f"the queue is not reachable, retry later: {exc}"})
    counters = {"received": len(payloads), "queued": len(items), "dead_letters": len(errors)}
    if errors:
        return PushResult(
            400,
            {"error": f"{len(errors)} of {len(payloads)} item(s) are invalid", "errors": errors, **counters},
        )
    return PushResult(202, counters)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, code: str) -> JsonResponse:
    source = Source.objects.filter(code=code, connector=WebhookConnector.kind, is_enabled=True).first()
    if source is None:
        return JsonResponse({"error": f"no enabled webhook source “{code}”"}, status=404)
    connector = WebhookConnector(source)
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"error": "the body is too large"}, status=413)
    try:
        connector.authenticate(body, request.headers)
    except WebhookAuthError as exc:
        return JsonResponse({"error": str(exc)}, status=exc.status)
    pushed = accept_push(source, connector, body)
    return JsonResponse(pushed.body, status=pushed.status, json_dumps_params={"ensure_ascii": False})
