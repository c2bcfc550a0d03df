"""Sources, raw messages and the dead-letter store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel
from otklik.security.payloads import MAX_JSON_DEPTH, printable


class Source(models.Model):
    """Where messages come from: one connector with its settings and cursor."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    connector = models.CharField(_("connector"), max_length=40, default="file")
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    # The connector's position (an id, an offset or a small JSON); moved only after a batch committed.
    cursor = models.TextField(_("cursor"), blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)
    # Back-off after a failed fetch (see otklik.intake.fetching): consecutive failures, when to try
    # again, the last error, and the last health check and fetch summary.
    retry_count = models.PositiveIntegerField(_("failed attempts in a row"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    health = models.JSONField(_("health"), default=dict, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One raw message of a resident; unique per source + external id; many may attach to one case.

    On PostgreSQL the table also has ``changed_xid``, no field of this model: set by a trigger when
    the message moves to another case (:mod:`otklik.intake.changes`)."""

    source = models.ForeignKey(  # indexed by message_unique_per_source, which leads with it
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="messages", db_index=False
    )
    external_id = models.CharField(_("external id"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_id = models.CharField(_("author id"), max_length=200, blank=True)
    author_contact = models.CharField(_("contact"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    url = models.URLField(_("link"), max_length=500, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # A photo the resident attached (the public form), re-encoded by otklik.security.uploads (EXIF
    # gone). Staff see it on the card; the public problem page and Open311's media_url show it once
    # the case is public, unless a moderator hid it (otklik.intake.photos).
    photo = models.FileField(_("photo"), upload_to="intake/photos/%Y/%m/", blank=True)
    photo_hidden = models.BooleanField(_("photo hidden from the public"), default=False, db_default=False)
    posted_at = models.DateTimeField(_("posted"), db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    is_relevant = models.BooleanField(_("relevant"), default=True)
    text_hash = models.CharField(_("normalized text hash"), max_length=40, blank=True)
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="message_unique_per_source"),
        ]
        # Exact look-ups only: an index in Meta has no LIKE twin on PostgreSQL. The caller look-up
        # asks author_id for the forms of one phone ("tel:9275551234", intake.callers); its name
        # look-up reads a trigram index on PostgreSQL (migration intake/0013).
        indexes = [
            models.Index(fields=["text_hash"], name="message_text_hash"),
            models.Index(fields=["author_id"], name="message_author_id"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.external_id}"


def payload_text(payload: Any) -> str:
    """A raw payload as the text a dead letter keeps (JSON where it can be), safe to store: bytes
    that are not UTF-8, NUL characters and lone surrogates are shown as escapes (the raw bytes go to
    ``DeadLetter.payload_bytes``), nesting deeper than the JSON limit is cut off with "…"."""
    if isinstance(payload, bytes | bytearray):
        return printable(bytes(payload).decode("utf-8", errors="backslashreplace"))
    if isinstance(payload, str):
        return printable(payload)
    try:
        text = json.dumps(payload, ensure_ascii=False, default=str)
    except RecursionError:
        text = json.dumps(_trimmed(payload, MAX_JSON_DEPTH), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(payload)
    return printable(text)


def payload_bytes(payload: Any) -> bytes | None:
    """The bytes of a payload whose text :func:`payload_text` had to escape (None otherwise)."""
    if isinstance(payload, bytes | bytearray):
        raw = bytes(payload)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw
        return raw if "\x00" in text else None
    if isinstance(payload, str) and printable(payload) != payload:
        try:
            return payload.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError:
            return payload.encode("utf-8", errors="surrogatepass")
    return None


def _trimmed(value: Any, depth: int) -> Any:
    if isinstance(value, dict | list | tuple):
        if depth <= 0:
            return "…"
        if isinstance(value, dict):
            return {str(k): _trimmed(v, depth - 1) for k, v in value.items()}
        return [_trimmed(v, depth - 1) for v in value]
    return value


DeadLetterKey = tuple[int | None, str, str, str]


class DeadLetterQuerySet(models.QuerySet["DeadLetter"]):
    """Keeping dead letters: the same failure read again counts an attempt instead of a second row.

    A dead letter is identified by its source, stage, external id and raw payload. While it is not
    replayed, the same payload failing at the same stage again (a file or a feed read twice, a
    webhook retried) only raises its ``attempts`` and takes the newest reason, so the operator sees
    one row per problem with how often it came. A replayed letter that fails again is a new row.
    """

    def keep(self, letters: Sequence[DeadLetter]) -> int:
        """Store ``letters`` (unsaved ones); return how many became new rows."""
        return self._store(letters)[1] if letters else 0

    def keep_one(self, letter: DeadLetter) -> DeadLetter:
        """Store one letter; return its row, new or the one already kept."""
        return self._store([letter])[0][0]

    def _store(self, letters: Sequence[DeadLetter]) -> tuple[list[DeadLetter], int]:
        wanted: dict[DeadLetterKey, DeadLetter] = {}
        for letter in letters:
            wanted.setdefault(letter.key, letter)
        groups: dict[tuple[int | None, str], list[DeadLetter]] = {}
        for letter in wanted.values():
            groups.setdefault((letter.source_id, letter.stage), []).append(letter)
        known: dict[DeadLetterKey, DeadLetter] = {}
        for (source_id, stage), group in groups.items():
            same_source = Q(source__isnull=True) if source_id is None else Q(source_id=source_id)
            rows = self.filter(
                same_source,
                stage=stage,
                replayed_at=None,
                external_id__in={d.external_id for d in group},
                payload__in={d.payload for d in group},
            ).order_by("pk")
            for stored in rows:
                known.setdefault(stored.key, stored)
        fresh: list[DeadLetter] = []
        for key, letter in wanted.items():
            row = known.get(key)
            if row is None:
                fresh.append(letter)
                continue
            self.filter(pk=row.pk).update(attempts=F("attempts") + 1, reason=letter.reason)
            row.attempts += 1
            row.reason = letter.reason
        DeadLetter.objects.bulk_create(fresh)
        return [known.get(key) or letter for key, letter in wanted.items()], len(fresh)


class DeadLetter(models.Model):
    """Anything that failed to parse or process, kept with its raw payload and the reason."""

    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="dead_letters",
    )
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    stage = models.CharField(_("stage"), max_length=40)
    reason = models.TextField(_("reason"))
    payload = models.TextField(_("raw payload"))
    # The payload's bytes as they came when its text had to be escaped (not UTF-8, a NUL character).
    payload_bytes = models.BinaryField(_("raw bytes"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    replayed_at = models.DateTimeField(_("replayed"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    objects = DeadLetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stage}: {self.reason[:60]}"

    @classmethod
    def for_payload(
        cls,
        payload: Any,
        *,
        stage: str,
        reason: str,
        source: Source | None = None,
        external_id: str = "",
        now: datetime | None = None,
    ) -> DeadLetter:
        """The (unsaved) dead letter of ``payload``; store it with ``DeadLetter.objects.keep``."""
        return cls(
            source=source,
            external_id=external_id[:200],
            stage=stage,
            reason=reason,
            payload=payload_text(payload),
            payload_bytes=payload_bytes(payload),
            created_at=now or timezone.now(),
        )

    @property
    def key(self) -> DeadLetterKey:
        """What makes two letters one problem (see :class:`DeadLetterQuerySet`)."""
        return (self.source_id, self.stage, self.external_id, self.payload)


class MonitoringQuery(models.Model):
    """A boolean keyword query of the monitoring (see :mod:`otklik.intake.monitoring` for the syntax)."""

    name = models.CharField(_("name"), max_length=200)
    query = models.TextField(
        _("query"),
        help_text=_(
            "Words match every form of their lemma. | or OR: either; & or AND (or a space): both; "
            '! or NOT: not; parentheses group. "hot water": a phrase; "pit road"~3: the words '
            "at most 3 words apart; pit NEAR/3 road: the same; =word: this exact form; word*: a prefix."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    categories = models.ManyToManyField(
        "directory.Category",
        verbose_name=_("categories"),
        blank=True,
        related_name="+",
        help_text=_("What the query is about (shown with the match); optional."),
    )
    sources = models.ManyToManyField(
        Source,
        verbose_name=_("sources"),
        blank=True,
        related_name="+",
        help_text=_("Only posts of these sources (none chosen: every source)."),
    )
    territories = models.ManyToManyField(
        "directory.Territory",
        verbose_name=_("territories"),
        blank=True,
        related_name="+",
        help_text=_("Only posts placed in these territories or within them (none chosen: the whole region)."),
    )
    compiled = models.JSONField(_("compiled form"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("monitoring query")
        verbose_name_plural = _("monitoring queries")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        from .monitoring import QuerySyntaxError, compile_query

        if self.compiled.get("text") != self.query:
            try:
                self.compiled = compile_query(self.query).cache()
            except QuerySyntaxError:
                self.compiled = {}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .monitoring import QuerySyntaxError, parse

        try:
            parse(self.query)
        except QuerySyntaxError as exc:
            raise ValidationError({"query": str(exc)}) from exc

    def compile(self) -> Any:
        """The compiled query (word forms expanded once and cached in ``compiled``)."""
        from .monitoring import compile_query

        categories = [c.code for c in self.categories.all()] if self.pk else []
        return compile_query(
            self.query,
            cache=self.compiled,
            key=self.pk,
            name=self.name,
            categories=categories,
            sources=[s.pk for s in self.sources.all()] if self.pk else (),
            territories=[t.pk for t in self.territories.all()] if self.pk else (),
        )


class SimilarityKey(models.Model):
    """Keys of a message's near-duplicate fingerprint (MinHash LSH bands and its opening words).

    A message of a case gets a few rows; a new message looks its keys up inside the time window to
    find candidates, which :mod:`otklik.intake.dedup` then verifies on the texts.
    """

    key = models.BigIntegerField(_("key"))
    # Written only by the pipeline, for a message it has just stored, and deleted with it by Django's
    # cascade: a database constraint would only add a check per key at every commit (measured: half
    # of the commit time of a batch).
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    posted_at = models.DateTimeField(_("posted"))

    class Meta:
        verbose_name = _("similarity key")
        verbose_name_plural = _("similarity keys")
        # (key, posted at, message id): a key's latest stored messages in the index's own order, so
        # the similar stage reads only the few it needs of a key thousands share (pipeline.similar)
        indexes = [models.Index(fields=["key", "posted_at", "message"], name="intake_simkey_key_posted_msg")]

    def __str__(self) -> str:
        return f"{self.key} → {self.message_id}"


class QueuedBatch(models.Model):
    """A batch sent to the workers and not yet committed; its id is the order it was sent in
    (:mod:`otklik.intake.pipeline.order`: batches on several workers decide in that order)."""

    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    started_at = models.DateTimeField(_("taken by a worker"), null=True, blank=True)

    class Meta:
        verbose_name = _("batch in the queue")
        verbose_name_plural = _("batches in the queue")

    def __str__(self) -> str:
        return str(self.pk)


class OfficialPage(models.Model):
    """An official page (госпаблик) of a body of the region on one network, read by ``source``.

    ``ref`` is the page's id in its network as the source's connector names it: a VK community's
    owner id (``-123456``), an OK group id, a MAX chat id, a Telegram username."""

    name = models.CharField(_("name"), max_length=300)
    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="official_pages"
    )
    ref = models.CharField(
        _("page id in the network"),
        max_length=200,
        help_text=_(
            "VK: the community's owner id (-123456); OK: the group id; MAX: the chat id; "
            "Telegram: the channel's username."
        ),
    )
    url = models.URLField(_("link"), max_length=500, blank=True)
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="official_pages",
    )
    territory = models.ForeignKey(
        "directory.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="official_pages",
    )
    answer_norm_hours = models.PositiveIntegerField(
        _("answer within, hours"), default=24, help_text=_("A resident's comment is answered within this.")
    )
    admins = models.ManyToManyField(
        "accounts.User",
        verbose_name=_("page administrators"),
        blank=True,
        related_name="official_pages",
        help_text=_("They are reminded of comments left without an answer."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("official page")
        verbose_name_plural = _("official pages")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["source", "ref"], name="official_page_unique_ref")]

    def __str__(self) -> str:
        return self.name


class PageAnswer(models.Model):
    """The page owner's answer to a resident's comment on an official page (the first one)."""

    page = models.ForeignKey(
        OfficialPage, verbose_name=_("official page"), on_delete=models.CASCADE, related_name="answers"
    )
    message = models.OneToOneField(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="page_answer"
    )
    answered_at = models.DateTimeField(_("answered"))
    answer_id = models.CharField(_("answer's id in the network"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("answer on an official page")
        verbose_name_plural = _("answers on official pages")

    def __str__(self) -> str:
        return f"{self.page}: {self.message_id} @ {self.answered_at:%Y-%m-%d %H:%M}"
