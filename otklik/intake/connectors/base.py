"""The connector interface: one small class per source kind (FixMyStreet's ``SendReport/`` idea).

A connector fetches what appeared since a cursor, normalizes each raw payload to a pipeline item,
publishes a reply where the resident wrote, and reports its health. It never writes cases itself:
``otklik.intake.fetching.fetch_source`` runs it, hands the items to the pipeline and moves the
cursor only after the batch is committed. Credentials come from the Source's settings or the
environment (``settings["token_env"]`` names the variable), never from code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

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


@dataclass
class FetchResult:
    """What one fetch brought: raw payloads (normalized later, one by one) and the next cursor."""

    payloads: list[dict[str, Any]] = field(default_factory=list)
    cursor: str = ""
    has_more: bool = False


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

    def __init__(self, source: Source) -> None:
        self.source = source
        self.settings: dict[str, Any] = dict(source.settings or {})

    # --- configuration --------------------------------------------------------------------------
    def secret(self, name: str, default: str = "") -> str:
        """A credential: ``settings[name + "_env"]`` names an environment variable holding it."""
        env_name = self.settings.get(f"{name}_env")
        if env_name:
            return os.environ.get(str(env_name), default)
        return default

    # --- the interface ----------------------------------------------------------------------------
    def fetch(self, cursor: str) -> FetchResult:
        raise NotImplementedError(f"{self.kind} cannot fetch")

    def normalize(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One raw payload → one pipeline item (see ``otklik.intake.pipeline``); NormalizeError if not."""
        raise NotImplementedError

    def publish_reply(self, case: Case, answer: Answer, message: Message) -> ReplyResult:
        return ReplyResult(sent=False, detail=f"{self.kind} does not publish replies")

    def health(self) -> Health:
        return Health(ok=True, detail="no check for this connector")


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


def connector_for(source: Source) -> Connector:
    return get_connector_class(source.connector)(source)


def registered() -> dict[str, type[Connector]]:
    from . import load_all

    load_all()
    return dict(_REGISTRY)


ConnectorFactory = Callable[["Source"], Connector]
