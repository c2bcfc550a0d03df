"""Open311 GeoReport v2 clients: a city app or another agency's system posts service requests to
``POST /open311/v2/requests.json`` (the views live in :mod:`otklik.public.open311`).

Each client is a Source with this connector; its API key is shown once when the client is made
(``otklik open311-client CODE``) and only the key's SHA-256 is kept in the source's settings::

    {"api_key_sha256": "<hex>"}

A POST's fields (GeoReport v2) become one pipeline item: ``service_code`` is the category the sender
chose, ``lat``/``long`` the point, ``address_string`` is added to the text so the place stage reads
it, the person (``first_name``, ``last_name``, ``email``, ``phone``, ``device_id``, ``account_id``) is
the author. Open311 has no message id, so the external id is a digest of what was posted: the same
request posted twice is one message and one case. Nothing is fetched, and answers are not pushed:
clients read them from ``GET /requests`` (``status_notes``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .base import Connector, Health, NormalizeError, ReplyResult, register

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message

# The GeoReport v2 fields of a POST that make the request (api_key and jurisdiction_id do not).
FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)
MAX_DESCRIPTION = 4000
AUTHOR_IDS = ("account_id", "device_id", "email")  # the first given tells the person apart


def key_digest(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return secrets.token_urlsafe(24)


def request_id(fields: Mapping[str, str]) -> str:
    """The external id of a posted request: a digest of its fields (api key excluded)."""
    canonical = json.dumps({k: fields.get(k, "") for k in sorted(fields)}, ensure_ascii=False, sort_keys=True)
    return "o311-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _number(value: str, name: str, low: float, high: float) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError as exc:
        raise NormalizeError(f"“{name}” is not a number: {value!r}") from exc
    if not low <= number <= high:
        raise NormalizeError(f"“{name}” is out of range: {value}")
    return number


@register
class Open311Connector(Connector):
    kind: ClassVar[str] = "open311"
    label: ClassVar[str] = "Open311 GeoReport v2 client"
    pulls: ClassVar[bool] = False

    def accepts_key(self, api_key: str) -> bool:
        digest = str(self.setting("api_key_sha256", ""))
        return bool(digest and api_key) and hmac.compare_digest(digest, key_digest(api_key))

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload``: the POST's fields (strings) and ``received_at`` (ISO 8601)."""
        if not isinstance(payload, dict):
            raise NormalizeError(f"a request must be a set of fields, got {type(payload).__name__}")
        fields = {k: str(payload.get(k) or "").strip() for k in FIELDS if str(payload.get(k) or "").strip()}
        if not fields.get("service_code"):
            raise NormalizeError("“service_code” is required")
        description = fields.get("description", "")
        if not description:
            raise NormalizeError("“description” is required: say what the problem is")
        if len(description) > MAX_DESCRIPTION:
            raise NormalizeError(f"“description” is longer than {MAX_DESCRIPTION} characters")
        has_point = "lat" in fields or "long" in fields
        if has_point and not ("lat" in fields and "long" in fields):
            raise NormalizeError("give both “lat” and “long”, or neither")
        if not has_point and not fields.get("address_string") and not fields.get("address_id"):
            raise NormalizeError("a location is required: “lat” and “long”, or “address_string”")
        item: dict[str, Any] = {
            "external_id": request_id(fields),
            "text": "\n\n".join(p for p in (description, fields.get("address_string", "")) if p),
            "posted_at": str(payload.get("received_at") or ""),
            "category": fields["service_code"],
            "author_name": " ".join(p for p in (fields.get("first_name"), fields.get("last_name")) if p),
            "author_id": next((fields[k] for k in AUTHOR_IDS if k in fields), "").lower(),
            "author_contact": fields.get("email") or fields.get("phone", ""),
            "open311": fields,
        }
        if has_point:
            item["lat"] = _number(fields["lat"], "lat", -90, 90)
            item["lon"] = _number(fields["long"], "long", -180, 180)
        try:
            datetime.fromisoformat(item["posted_at"])
        except ValueError as exc:
            raise NormalizeError(f"“received_at” is not ISO 8601: {item['posted_at']!r}") from exc
        return item

    def payload_id(self, payload: Any) -> str:
        if not isinstance(payload, dict):
            return ""
        return request_id({k: str(payload.get(k) or "").strip() for k in FIELDS if payload.get(k)})

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(sent=False, detail="Open311 clients read answers from GET /requests")

    def health(self) -> Health:
        if not self.setting("api_key_sha256", ""):
            return Health(ok=False, detail="no API key: every request of this client is refused")
        return Health(ok=True, detail="push only; API key configured")
