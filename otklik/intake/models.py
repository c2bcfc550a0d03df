"""Sources, raw messages and the dead-letter store."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel


class Source(models.Model):
    """Where messages come from: one connector with its settings and cursor."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    connector = models.CharField(_("connector"), max_length=40, default="file")
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    cursor = models.CharField(_("cursor"), max_length=200, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    """One raw message of a resident; unique per source + external id; many may attach to one case."""

    source = models.ForeignKey(
        Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="messages"
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
    posted_at = models.DateTimeField(_("posted"), db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    is_relevant = models.BooleanField(_("relevant"), default=True)
    text_hash = models.CharField(_("normalized text hash"), max_length=40, blank=True, db_index=True)
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-posted_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="message_unique_per_source"),
        ]

    def __str__(self) -> str:
        return f"{self.source.code}:{self.external_id}"


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
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    replayed_at = models.DateTimeField(_("replayed"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stage}: {self.reason[:60]}"
