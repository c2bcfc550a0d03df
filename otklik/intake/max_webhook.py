"""The MAX webhook: ``POST /intake/max/<source code>/`` (connector "max", ``"mode": "webhook"``).

MAX sends one ``Update`` per request, with the subscription's secret in the ``X-Max-Bot-Api-Secret``
header (see :mod:`otklik.intake.connectors.max`). The update goes through the same
:meth:`~otklik.intake.connectors.max.MaxConnector.normalize` and pipeline as polling
(:func:`otklik.intake.webhook.accept_push`): a re-delivery is a duplicate (idempotent by the message
id), a malformed update is a dead letter and ``400``, a wrong or missing secret ``403``, an unknown or
disabled source ``404``.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .connectors.max import MaxConnector, MaxSecretError
from .models import Source
from .webhook import accept_push


@csrf_exempt
@require_POST
def receive(request: HttpRequest, code: str) -> JsonResponse:
    source = Source.objects.filter(code=code, connector=MaxConnector.kind, is_enabled=True).first()
    if source is None:
        return JsonResponse({"error": f"no enabled MAX source “{code}”"}, status=404)
    connector = MaxConnector(source)
    try:
        connector.authenticate(request.headers)
    except MaxSecretError as exc:
        return JsonResponse({"error": str(exc)}, status=403)
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"error": "the body is too large"}, status=413)
    pushed = accept_push(source, connector, body)
    return JsonResponse(pushed.body, status=pushed.status, json_dumps_params={"ensure_ascii": False})
