"""The connector interface: one small class per source kind (FixMyStreet's ``SendReport/`` idea).

A connector fetches what appeared since a cursor, normalizes each raw payload to a pipeline item,
publishes a reply where the resident wrote, and reports its health. It never writes cases itself:
``otklik.intake.fetching.fetch_source`` runs it, hands the items to the pipeline and moves the
cursor only after the batch is committed. Credentials come from the Source's settings or the
environment (``settings["token_env"]`` names the variable), never from code.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

if TYPE_CHECKING:
    from otklik.cases.models import Answer, Case
    from otklik.intake.models import Message, Source


class ConnectorError(Exception):
    """A source failed. ``retriable`` errors (down, rate-limited) are retried with back-off;
    permanent ones (bad credentials, malformed answer) are reported and dead-lettered."""

    def __init__(self, message: str, *, retriable: bool = True, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retriable = retriable
        self.retry_after = retry_after


class NormalizeError(ValueError):
    """One raw payload cannot become a message: it goes to dead letters with this reason."""


class SkipPayload(Exception):
    """A payload that is rightly not a message (a deleted post, the community's own reply, a sticker):
    it is counted as skipped, not dead-lettered."""


class OwnReply(SkipPayload):
    """The page owner's own comment on its page: not a message, but its answer to the residents.

    ``page_ref`` is the page's id as :class:`~otklik.intake.models.OfficialPage` keeps it, ``at`` the
    answer's time (ISO 8601), ``replied_to`` the external id of the comment it replies to (if it
    says), ``thread`` the external id of the post or topic it is under and ``thread_sep`` what
    follows it in the ids of that thread's comments. :mod:`otklik.intake.pages` records it."""

    def __init__(
        self,
        page_ref: str,
        at: str,
        *,
        replied_to: str = "",
        thread: str = "",
        thread_sep: str = "",
        external_id: str = "",
    ) -> None:
        super().__init__("the page owner's own comment (an answer)")
        self.page_ref, self.at, self.replied_to = page_ref, at, replied_to
        self.thread, self.thread_sep, self.external_id = thread, thread_sep, external_id


@dataclass
class FetchResult:
    """What one fetch brought: raw payloads (normalized later, one by one) and the next cursor."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False
    skipped: int = 0  # rightly not messages and not even payloads (a deleted post's comments)
    notes: list[str] = field(default_factory=list)  # worth a line in the source's health


@dataclass
class Health:
    ok: bool
    detail: str = ""
    checked: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReplyResult:
    sent: bool
    external_id: str = ""
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "external_id": self.external_id, "detail": self.detail}


class Connector:
    """Base class. Subclasses set ``kind`` and implement the four methods they support."""

    kind: ClassVar[str] = ""
    label: ClassVar[str] = ""
    pulls: ClassVar[bool] = True
    """False for push-only kinds (webhook, file): the scheduler never calls their ``fetch``."""

    DEFAULT_TIMEOUT: ClassVar[float] = 20.0

    def __init__(self, source: Source, *, client: httpx.Client | None = None) -> None:
        self.source = source
        self.settings: dict[str, Any] = dict(source.settings or {})
        self._client = client
        # Pacing between calls (``min_interval_seconds``); tests replace both to never really sleep.
        self.sleep: Callable[[float], None] = time.sleep
        self.monotonic: Callable[[], float] = time.monotonic
        self._last_call: float | None = None

    def setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value in (None, "") else value

    def pace(self, default_interval: float = 0.0) -> None:
        """Keep at least ``min_interval_seconds`` between calls (an API's requests-per-second limit)."""
        interval = float(self.setting("min_interval_seconds", default_interval))
        now = self.monotonic()
        if self._last_call is not None and interval > 0:
            wait = self._last_call + interval - now
            if wait > 0:
                self.sleep(wait)
                now += wait
        self._last_call = now

    # --- HTTP (httpx; one client per connector instance) -------------------------------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                timeout=float(self.settings.get("timeout_seconds", self.DEFAULT_TIMEOUT)),
                headers={"User-Agent": "Otklik/0.1 (+https://github.com/otklik)"},
                follow_redirects=False,
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(self, method: str, url: str, *, what: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call; a network failure is a retriable :class:`ConnectorError` naming ``what``
        (never the URL, which may carry a token)."""
        try:
            return self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise ConnectorError(f"{what}: timed out ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{what}: {type(exc).__name__}: {exc}") from exc

    @staticmethod
    def check_status(response: httpx.Response, *, what: str) -> None:
        """HTTP status → error: 429 and 5xx are retriable (``Retry-After`` honoured), other 4xx not."""
        status = response.status_code
        if status < 400:
            return
        detail = response.text[:300].strip()
        if status == 429 or status >= 500:
            raise ConnectorError(
                f"{what}: HTTP {status} {detail}".strip(),
                retriable=True,
                retry_after=retry_after_seconds(response.headers),
            )
        raise ConnectorError(f"{what}: HTTP {status} {detail}".strip(), retriable=False)

    @staticmethod
    def json_body(response: httpx.Response, *, what: str) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise ConnectorError(
                f"{what}: the answer is not JSON: {response.text[:200]!r}", retriable=False
            ) from exc

    # --- configuration --------------------------------------------------------------------------
    def secret(self, name: str, default: str = "") -> str:
        """A credential: ``settings[name + "_env"]`` names an environment variable holding it."""
        env_name = self.settings.get(f"{name}_env")
        if env_name:
            return os.environ.get(str(env_name), default)
        return default

    def secrets(self, what: str, *names: str) -> tuple[str, ...]:
        """The credentials ``names`` (each read by :meth:`secret`), all of them, or a ConnectorError
        naming the settings to set — not retriable: a later run would miss them just the same."""
        values = tuple(self.secret(name) for name in names)
        if not all(values):
            named = ", ".join(f"“{name}_env”" for name in names)
            variables = "that environment variable" if len(names) == 1 else "those environment variables"
            raise ConnectorError(
                f"{what} not configured: set settings {named} and {variables}", retriable=False
            )
        return values

    # --- the interface ----------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        raise NotImplementedError(f"{self.kind} cannot fetch")

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One raw payload → one pipeline item (``otklik.intake.pipeline.schema``); NormalizeError if not."""
        raise NotImplementedError

    def payload_id(self, payload: Any) -> str:
        """The payload's id in its source, best effort (to label a dead letter)."""
        if not isinstance(payload, dict):
            return ""
        inner: dict[str, Any] = payload["item"] if isinstance(payload.get("item"), dict) else payload
        for key in ("external_id", "id", "update_id", "guid"):
            if inner.get(key) not in (None, ""):
                return str(inner[key])[:200]
        return ""

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(sent=False, detail=f"{self.kind} does not publish replies")

    def health(self) -> Health:
        return Health(ok=True, detail="no check for this connector")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` as seconds (a number or an HTTP date), None when absent or unreadable."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)


def from_unix(value: Any) -> str:
    """A unix time (VK, Telegram) as the pipeline's ISO 8601; NormalizeError if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NormalizeError(f"the date is not a unix time: {value!r}")
    try:
        return datetime.fromtimestamp(value, tz=UTC).isoformat()
    except (OverflowError, OSError, ValueError) as exc:
        raise NormalizeError(f"the date is out of range: {value!r}") from exc


def read_cursor(cursor: str) -> Any:
    """A stored cursor as JSON (``"123"`` → 123, ``"{…}"`` → a dict); None when empty or unreadable,
    so a corrupt cursor makes a source start over instead of stopping it."""
    try:
        return json.loads(cursor) if cursor else None
    except ValueError:
        return None


def cursor_entry(value: Any, kinds: tuple[type, ...]) -> list[Any] | None:
    """One cursor entry checked: a copy of ``value`` if it is a list of exactly these types (an
    ``int`` is never a bool), else None."""
    if not isinstance(value, list) or len(value) != len(kinds):
        return None
    if all(type(v) is int if k is int else isinstance(v, k) for v, k in zip(value, kinds, strict=True)):
        return list(value)
    return None


@dataclass
class WatchCursor:
    """The cursor of a connector that reads pages' posts and watches the comments under them
    (VK walls, OK groups), parsed; anything unreadable in it is dropped.

    ``pages``: page → the newest item seen there; ``watch``: page → post → an entry (the place in
    its comments, their count then, the round it was read in); ``pending``: the posts whose
    comments this round still has to read; ``round``: how many rounds of pages were read. A
    subclass names the JSON key of ``pages`` and the shape of the entries (stored cursors keep
    their keys), and adds its own fields through :meth:`load` and :meth:`as_dict`."""

    PAGES_KEY: ClassVar[str] = "pages"
    WATCH_ENTRY: ClassVar[tuple[type, ...]] = (int, int, int)
    PENDING_ENTRY: ClassVar[tuple[type, ...]] = (int, int, int)

    pages: dict[str, int] = field(default_factory=dict)
    watch: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    pending: list[list[Any]] = field(default_factory=list)
    round: int = 0

    @classmethod
    def parse(cls, cursor: str) -> Any:
        data = read_cursor(cursor)
        state = cls()
        state.load(data if isinstance(data, dict) else {})
        return state

    def load(self, data: dict[str, Any]) -> None:
        pages = data.get(self.PAGES_KEY)
        if isinstance(pages, dict):
            self.pages = {str(k): v for k, v in pages.items() if type(v) is int}
        if isinstance(data.get("watch"), dict):
            for page, posts in data["watch"].items():
                if isinstance(posts, dict):
                    entries = {
                        str(post): cursor_entry(entry, self.WATCH_ENTRY) for post, entry in posts.items()
                    }
                    self.watch[str(page)] = {k: v for k, v in entries.items() if v is not None}
        if isinstance(data.get("pending"), list):
            pending = (cursor_entry(p, self.PENDING_ENTRY) for p in data["pending"])
            self.pending = [p for p in pending if p is not None]
        self.round = data["round"] if type(data.get("round")) is int else 0

    def as_dict(self) -> dict[str, Any]:
        return {self.PAGES_KEY: self.pages, "round": self.round, "watch": self.watch, "pending": self.pending}

    def dump(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))


_REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Class decorator: a new source kind is one new file with ``@register`` on its connector."""
    if not cls.kind:
        raise ValueError("a connector needs a kind")
    _REGISTRY[cls.kind] = cls
    return cls


def get_connector_class(kind: str) -> type[Connector]:
    from . import load_all

    load_all()
    try:
        return _REGISTRY[kind]
    except KeyError as exc:
        raise ConnectorError(f"unknown connector {kind!r}", retriable=False) from exc


def connector_for(source: Source, *, client: httpx.Client | None = None) -> Connector:
    return get_connector_class(source.connector)(source, client=client)


def registered() -> dict[str, type[Connector]]:
    from . import load_all

    load_all()
    return dict(_REGISTRY)


ConnectorFactory = Callable[["Source"], Connector]
