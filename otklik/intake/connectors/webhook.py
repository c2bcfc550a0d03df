"""The authenticated webhook: another system pushes messages to ``POST /intake/webhook/<source code>/``.

Source settings (secrets live in the environment, the settings name the variables)::

    {"secret_env": "PARTNER_WEBHOOK_SECRET",  # HMAC-SHA256 key: header X-Otklik-Signature: sha256=<hex>
     "token_env": "PARTNER_WEBHOOK_TOKEN",    # or/and a bearer token: Authorization: Bearer <token>
     "reply_url": "https://partner.example/otklik-replies"}   # optional: answers are POSTed back, signed

The body is one item or a list of items of the pipeline's schema (:mod:`otklik.intake.pipeline.schema`;
``source`` is taken from the URL). A source with neither secret configured accepts nothing.
Nothing is fetched: the connector only authenticates, validates and sends replies back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .base import Connector, FetchResult, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

SIGNATURE_HEADER = "X-Otklik-Signature"
REQUIRED = ("external_id", "text", "posted_at")


class WebhookAuthError(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@register
class WebhookConnector(Connector):
    kind: ClassVar[str] = "webhook"
    label: ClassVar[str] = "Webhook (push)"
    pulls: ClassVar[bool] = False

    def authenticate(self, body: bytes, headers: Mapping[str, str]) -> str:
        """Check the HMAC signature or the bearer token; return which one passed."""
        secret, token = self.secret("secret"), self.secret("token")
        if not secret and not token:
            raise WebhookAuthError("this webhook has no secret or token configured", status=403)
        signature = headers.get(SIGNATURE_HEADER, "")
        if secret and signature and hmac.compare_digest(sign(secret, body), signature.strip()):
            return "hmac"
        authorization = headers.get("Authorization", "")
        if (
            token
            and authorization.startswith("Bearer ")
            and hmac.compare_digest(authorization.removeprefix("Bearer ").strip().encode(), token.encode())
        ):
            return "token"
        if signature:
            raise WebhookAuthError("the signature does not match the body")
        raise WebhookAuthError(f"authenticate with the {SIGNATURE_HEADER} header or a bearer token")

    def fetch(self, cursor: str) -> FetchResult:
        return FetchResult(cursor=cursor)  # push only

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise NormalizeError(f"an item must be a JSON object, got {type(payload).__name__}")
        missing = [key for key in REQUIRED if payload.get(key) in (None, "")]
        if missing:
            raise NormalizeError("missing required field(s): " + ", ".join(f"“{k}”" for k in missing))
        try:
            datetime.fromisoformat(str(payload["posted_at"]))
        except ValueError as exc:
            raise NormalizeError(f"“posted_at” is not ISO 8601: {payload['posted_at']!r}") from exc
        if isinstance(payload["external_id"], bool) or not isinstance(payload["external_id"], str | int):
            raise NormalizeError(
                f"“external_id” must be a string or a number, got {payload['external_id']!r}"[:300]
            )
        item = {k: v for k, v in payload.items() if k != "source"}
        item["external_id"] = str(item["external_id"])
        return item

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        url = str(self.setting("reply_url", ""))
        if not url:
            return ReplyResult(sent=False, detail="the webhook source has no “reply_url”")
        body = json.dumps(
            {"external_id": message.external_id, "case": case.number, "text": answer.text}, ensure_ascii=False
        ).encode()
        headers = {"Content-Type": "application/json"}
        secret = self.secret("secret")
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body)
        response = self.request("POST", url, content=body, headers=headers, what="reply")
        self.check_status(response, what="reply")
        return ReplyResult(sent=True, detail=f"HTTP {response.status_code}")

    def health(self) -> Health:
        if not self.secret("secret") and not self.secret("token"):
            return Health(ok=False, detail="no secret or token configured: every push is refused")
        return Health(ok=True, detail="push only; credentials configured")
