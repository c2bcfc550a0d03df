"""Cases: one problem of a resident (or many residents), its answers, ratings and history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import Channel

from .choices import (
    AWAITING_AGENCY,
    AnswerKind,
    AnswerStatus,
    CaseStatus,
    DeliveryStatus,
    EventKind,
    choice_label,
)

if TYPE_CHECKING:
    from otklik.accounts.permissions import AnyUser


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: AnyUser | None) -> CaseQuerySet:
        """The only way to list cases for a user: executors see their agency's cases only."""
        from .access import scope_cases

        return scope_cases(self, user)

    def overdue(self) -> CaseQuerySet:
        return self.filter(status__in=AWAITING_AGENCY, deadline_at__lt=timezone.now())


class Case(models.Model):
    # On PostgreSQL the table also has ``changed_xid``, no field of this model: set by a trigger when
    # the status, addressee or place changes (otklik.intake.changes, docs/decisions/0010).
    # Unique and indexed through Meta: a field's own unique/db_index would add a second, LIKE-only
    # index on PostgreSQL that no query uses and every insert pays for (see docs/benchmarks.md).
    number = models.CharField(_("number"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.NEW)
    title = models.CharField(_("title"), max_length=300, blank=True)
    text = models.TextField(_("text of the first message"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.SOCIAL)
    category = models.ForeignKey(
        "directory.Category",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    territory = models.ForeignKey(
        "directory.Territory",
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    # What the pipeline suggested; the moderator confirms or corrects.
    suggested_category = models.ForeignKey(
        "directory.Category",
        verbose_name=_("suggested category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    suggested_territory = models.ForeignKey(
        "directory.Territory",
        verbose_name=_("suggested territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    suggested_agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("suggested agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # The agency the resident wrote to (a deputy's reception office), kept even if the case is later
    # redirected: private correspondence — never joined with another addressee's case nor shown on the
    # public map or in Open311 (docs/decisions/0007).
    addressed_to = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("addressed to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category_confidence = models.FloatField(_("category confidence"), null=True, blank=True)
    understanding = models.JSONField(_("why: matched terms, model version"), default=dict, blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_cases",
        db_index=False,
    )
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    author_count = models.PositiveIntegerField(_("authors"), default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True, db_index=True)
    # When the deadline's clock started (registration, the post or the assignment, as the policy
    # says), whether the agency was reminded before it, and by how many days supervisors extended it.
    clock_started_at = models.DateTimeField(_("deadline counted from"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded of the deadline"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("deadline extended by, days"), default=0)
    interim_deadline_at = models.DateTimeField(_("interim answer deadline"), null=True, blank=True)
    deadline_policy = models.ForeignKey(
        "directory.DeadlinePolicy",
        verbose_name=_("deadline policy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    first_answer_at = models.DateTimeField(_("first answer"), null=True, blank=True)
    answered_at = models.DateTimeField(_("final answer"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    answer_working_minutes = models.PositiveIntegerField(
        _("time to final answer, working minutes"), null=True, blank=True
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["number"], name="case_number_unique")]
        # The composites lead with the foreign keys, so those need no index of their own; the
        # partial ones cover only the few rows they find, and new cases (never merged, not yet
        # overdue) do not touch them.
        indexes = [
            models.Index(fields=["status"], name="case_status"),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["territory", "created_at"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(
                fields=["merged_into"], name="case_merged_into", condition=Q(merged_into__isnull=False)
            ),
            models.Index(fields=["deadline_at"], name="case_overdue", condition=Q(is_overdue=True)),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if not self.number:
            self.number = f"{self.created_at:%y%m}-{self.pk:06d}"
            super().save(update_fields=["number"])

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(CaseStatus, self.status)

    def get_channel_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Channel, self.channel)

    @property
    def awaits_agency(self) -> bool:
        return self.status in AWAITING_AGENCY


class Answer(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="answers")
    kind = models.CharField(_("kind"), max_length=10, choices=AnswerKind.choices, default=AnswerKind.FINAL)
    status = models.CharField(
        _("status"), max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.DRAFT
    )
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    created_at = models.DateTimeField(_("written"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    publish_result = models.JSONField(_("publication result"), default=dict, blank=True)
    # The answer-quality check when it was written (otklik.understanding.quality): a score in [0, 1]
    # and the flags of a formal non-answer ("отписка"); empty for answers written before it was kept.
    quality_score = models.FloatField(_("quality score"), null=True, blank=True)
    quality_flags = models.JSONField(_("quality flags"), default=list, blank=True)
    # Written from a draft (a past approved answer offered in the card): the draft's case and how much
    # of the draft the sent answer kept (None: not from a draft).
    draft_source = models.IntegerField(_("draft's source case"), null=True, blank=True)
    draft_kept = models.FloatField(_("share of the draft kept"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case}"


class ReplyDelivery(models.Model):
    """The outbox: a published answer on its way to where the resident wrote (VK, Telegram, email…).

    Written in the transaction that publishes the answer; a worker sends it after the commit, never
    while the case is locked, and retries a failure with exponential back-off
    (:mod:`otklik.cases.delivery`). Only a ``sent`` delivery reached the network.
    """

    answer = models.OneToOneField(
        Answer, verbose_name=_("answer"), on_delete=models.CASCADE, related_name="delivery"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    external_id = models.CharField(_("id in the network"), max_length=200, blank=True)
    url = models.URLField(_("link"), max_length=500, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)

    class Meta:
        verbose_name = _("reply delivery")
        verbose_name_plural = _("reply deliveries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case"], name="delivery_case"),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(status__in=["queued", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_status_display()}"


class Rating(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField(_("score (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.score}"


class AppendOnlyError(Exception):
    """A history event was about to be changed or deleted."""


class CaseEvent(models.Model):
    """Append-only history of a case: who did what when, with the before/after values."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    kind = models.CharField(_("what"), max_length=24, choices=EventKind.choices)
    from_status = models.CharField(_("status before"), max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(_("status after"), max_length=20, choices=CaseStatus.choices, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case history")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Case history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Case history is append-only.")
