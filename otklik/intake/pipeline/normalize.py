"""Stage *normalize*: validate every item against the schema (:mod:`.schema`) and bring it to typed
fields; the text is tokenized here once, and every later stage reads those tokens."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django.utils.translation import gettext_noop

from otklik.directory.choices import Channel
from otklik.security import payloads
from otklik.understanding.text import message_tokens, normalize_tokens

from ..models import Source
from .schema import MAX_TEXT_LENGTH, SOURCE_CODE_RE, Batch, InvalidItem, Item, Stage, both_languages

log = logging.getLogger("otklik.pipeline")

_CHANNELS = frozenset(Channel.values)  # Channel.values builds a new list on every call
_url_validator = URLValidator(schemes=["http", "https"])
# A link is its scheme://host part and the rest ("/wall-1_2", "?w=…"); URLValidator accepts any rest
# of non-space characters after a host it accepts, so a host it accepted once need not be checked again.
_URL_PARTS = re.compile(r"([a-z0-9.+-]*://[^/?#\s]+)(?:[/?#]\S*)?\Z", re.IGNORECASE)
_GOOD_URL_HOSTS: set[str] = set()
_GOOD_URL_HOSTS_MAX = 10_000


def _check_url(url: str) -> None:
    """``URLValidator(schemes=["http", "https"])(url)``, with the hosts it accepted remembered."""
    parts = _URL_PARTS.match(url)
    if parts is None or len(url) > _url_validator.max_length:
        _url_validator(url)
        return
    host = parts.group(1)
    if host in _GOOD_URL_HOSTS:
        return
    _url_validator(url)
    try:
        _url_validator(host)  # ("http://a_b?c@d.ru" passes with a_b?c as the user: the host alone may not)
    except ValidationError:
        return
    if len(_GOOD_URL_HOSTS) >= _GOOD_URL_HOSTS_MAX:
        _GOOD_URL_HOSTS.clear()
    _GOOD_URL_HOSTS.add(host)


WRONG_TYPE = gettext_noop("“%(field)s” must be a string, got %(type)s")
TOO_LONG = gettext_noop("“text” is longer than %(limit)s characters (%(length)s)")
BAD_STRUCTURE = gettext_noop("the item cannot be stored: %(problem)s")
OUT_OF_RANGE = gettext_noop("“posted_at” is out of range (%(earliest)s to a year ahead): %(value)s")
NOT_A_NUMBER = gettext_noop("“%(field)s” is not a number: %(value)s")
NO_POSTED_AT = gettext_noop("“posted_at” is required (ISO 8601)")
BAD_POSTED_AT = gettext_noop("“posted_at” is not an ISO 8601 date and time: %(value)s")
BAD_SOURCE = gettext_noop("“source” is not a valid code (letters, digits, - and _): %(value)s")
NOT_AN_OBJECT = gettext_noop("an item must be an object, got %(type)s")
NO_SOURCE = gettext_noop("“source” is required (or give the batch a default source)")
BAD_CHANNEL = gettext_noop("unknown “channel” %(value)s; one of: %(choices)s")
NO_EXTERNAL_ID = gettext_noop("“external_id” is required")
LONG_EXTERNAL_ID = gettext_noop("“external_id” is longer than 200 characters")
NO_TEXT = gettext_noop("“text” is required and must not be empty")
LONG_URL = gettext_noop("“url” is longer than 500 characters")
BAD_URL = gettext_noop("“url” is not an http(s) link: %(value)s")
HALF_POINT = gettext_noop("give both “lat” and “lon”, or neither")
POINT_OUT_OF_RANGE = gettext_noop("coordinates out of range: %(lat)s, %(lon)s")
BAD_ADDRESSEE = gettext_noop("“addressed_to” is not an agency id: %(value)s")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_JSON_TYPES = {dict: "object", list: "array", bool: "boolean", float: "number", int: "number"}


def _wrong_type(key: str, value: Any) -> InvalidItem:
    kind = _JSON_TYPES.get(type(value), type(value).__name__)
    return InvalidItem(both_languages(WRONG_TYPE, field=key, type=kind))


def _string(payload: dict[str, Any], key: str, limit: int = 200) -> str:
    """A text field: a string, or a whole number (ids often come as numbers); anything else — an
    object, an array, a boolean, a fraction — is refused, never turned into its Python repr."""
    value = payload.get(key)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _wrong_type(key, value)
    return str(value).strip()[:limit]


def _float(payload: dict[str, Any], key: str) -> float | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    try:
        return float(str(value).replace(",", "."))
    except ValueError as exc:
        raise InvalidItem(both_languages(NOT_A_NUMBER, field=key, value=repr(value)[:80])) from exc


def parse_posted_at(value: Any) -> datetime:
    """An aware moment between 1970 and a year from now: "9999-12-31T23:59:59+14:00" would make
    every date computed from it (the duplicate window, deadlines) overflow."""
    if value in (None, ""):
        raise InvalidItem(both_languages(NO_POSTED_AT))
    if not isinstance(value, str | datetime):
        raise _wrong_type("posted_at", value)
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.strip())
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        in_range = EARLIEST <= moment <= timezone.now() + timedelta(days=366)
    except (ValueError, OverflowError) as exc:
        raise InvalidItem(both_languages(BAD_POSTED_AT, value=repr(value)[:80])) from exc
    if not in_range:
        raise InvalidItem(
            both_languages(OUT_OF_RANGE, earliest=EARLIEST.date().isoformat(), value=str(value)[:40])
        )
    return moment


def _source_for(batch: Batch, code: str, channel: str) -> Source:
    if code in batch.sources:
        return batch.sources[code]
    if not SOURCE_CODE_RE.match(code):
        raise InvalidItem(both_languages(BAD_SOURCE, value=repr(code)[:80]))
    source, created = Source.objects.get_or_create(
        code=code, defaults={"name": code, "channel": channel or Channel.IMPORT, "connector": "file"}
    )
    if created:
        log.info("created source %s from an ingested item", code)
    batch.sources[code] = source
    return source


def _normalize_one(batch: Batch, item: Item) -> None:
    payload = item.payload
    if not isinstance(payload, dict):
        raise InvalidItem(
            both_languages(NOT_AN_OBJECT, type=_JSON_TYPES.get(type(payload), type(payload).__name__))
        )
    problem = payloads.problem(payload)
    if problem:  # too deep for the JSON column, a NUL PostgreSQL refuses, broken UTF-8
        raise InvalidItem(both_languages(BAD_STRUCTURE, problem=problem))
    item.external_id = _string(payload, "external_id", 1000)
    channel = _string(payload, "channel", 20)
    valid_channel = channel in _CHANNELS
    code = _string(payload, "source", 64)
    if code:
        item.source = _source_for(batch, code, channel if valid_channel else "")
    elif batch.default_source is not None:
        item.source = batch.default_source
    else:
        raise InvalidItem(both_languages(NO_SOURCE))
    if channel and not valid_channel:
        raise InvalidItem(
            both_languages(BAD_CHANNEL, value=repr(channel)[:40], choices=", ".join(Channel.values))
        )
    if not item.external_id:
        raise InvalidItem(both_languages(NO_EXTERNAL_ID))
    if len(item.external_id) > 200:
        raise InvalidItem(both_languages(LONG_EXTERNAL_ID))
    text = payload.get("text")
    if text is not None and not isinstance(text, str):
        raise _wrong_type("text", text)
    item.text = text.strip() if text is not None else ""
    if not item.text:
        raise InvalidItem(both_languages(NO_TEXT))
    if len(item.text) > MAX_TEXT_LENGTH:
        raise InvalidItem(both_languages(TOO_LONG, limit=MAX_TEXT_LENGTH, length=len(item.text)))
    item.posted_at = parse_posted_at(payload.get("posted_at"))
    item.channel = channel or item.source.channel
    item.author_name = _string(payload, "author_name")
    item.author_id = _string(payload, "author_id")
    item.author_contact = _string(payload, "author_contact")
    item.url = _string(payload, "url", 1000)
    if item.url:
        if len(item.url) > 500:
            raise InvalidItem(both_languages(LONG_URL))
        try:
            _check_url(item.url)
        except ValidationError as exc:
            raise InvalidItem(both_languages(BAD_URL, value=repr(item.url)[:120])) from exc
    item.lat, item.lon = _float(payload, "lat"), _float(payload, "lon")
    if (item.lat is None) != (item.lon is None):
        raise InvalidItem(both_languages(HALF_POINT))
    if (
        item.lat is not None
        and item.lon is not None
        and not (-90 <= item.lat <= 90 and -180 <= item.lon <= 180)
    ):
        raise InvalidItem(both_languages(POINT_OUT_OF_RANGE, lat=item.lat, lon=item.lon))
    item.address = _string(payload, "address", 300)
    item.category_code = _string(payload, "category", 64)
    addressed = _string(payload, "addressed_to", 20)
    if addressed:
        if not addressed.isdigit():
            raise InvalidItem(both_languages(BAD_ADDRESSEE, value=repr(addressed)[:40]))
        item.addressed_to = int(addressed)
    # Tokenized once here; normalize, relevance, categorize, urgency and place share the tokens.
    item.tokens, item.words = message_tokens(item.text)
    item.normalized = normalize_tokens(item.words)  # normalize_text(item.text)
    item.word_count = len(item.words)
    # text_hash() of the same normalized text, without tokenizing it a second time
    item.text_hash = hashlib.sha1(item.normalized.encode("utf-8"), usedforsecurity=False).hexdigest()


def stage_normalize(batch: Batch) -> None:
    """Validate every item against the schema and bring it to typed fields."""
    _read_sources(batch)
    batch.each(Stage.NORMALIZE, lambda item: _normalize_one(batch, item))


def _read_sources(batch: Batch) -> None:
    """The batch's sources in one query (unknown ones are created item by item)."""
    codes = {
        i.payload["source"].strip()[:64]
        for i in batch.items
        if isinstance(i.payload, dict) and isinstance(i.payload.get("source"), str)
    }
    codes -= {"", *batch.sources}
    if codes:
        batch.sources.update((s.code, s) for s in Source.objects.filter(code__in=codes))
