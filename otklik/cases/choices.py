from functools import lru_cache

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    MODERATION = "moderation", _("Moderation")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    APPROVED = "approved", _("Approved")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")
    REDIRECTED = "redirected", _("Redirected")
    REJECTED = "rejected", _("Rejected")
    MERGED = "merged", _("Merged")
    REOPENED = "reopened", _("Reopened")
    ESCALATED = "escalated", _("Escalated")


# Statuses in which an agency owes an answer: the deadline runs and the case can become overdue.
AWAITING_AGENCY = frozenset(
    {CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.REOPENED, CaseStatus.ESCALATED}
)
# Statuses the center (moderators) must act on.
AWAITING_CENTER = frozenset(
    {CaseStatus.NEW, CaseStatus.MODERATION, CaseStatus.REDIRECTED, CaseStatus.ANSWERED, CaseStatus.APPROVED}
)
FINAL = frozenset({CaseStatus.CLOSED, CaseStatus.REJECTED, CaseStatus.MERGED})
OPEN = frozenset(set(CaseStatus) - FINAL - {CaseStatus.PUBLISHED})


class AnswerKind(models.TextChoices):
    INTERIM = "interim", _("Interim")
    FINAL = "final", _("Final")


class AnswerStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for rework")
    PUBLISHED = "published", _("Published")


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    MESSAGE_ATTACHED = "message_attached", _("Message attached")
    STATUS_CHANGED = "status_changed", _("Status changed")
    MODERATED = "moderated", _("Moderated")
    ASSIGNED = "assigned", _("Assigned")
    REDIRECTED = "redirected", _("Redirected")
    MERGED = "merged", _("Merged")
    ANSWER_WRITTEN = "answer_written", _("Answer written")
    ANSWER_APPROVED = "answer_approved", _("Answer approved")
    ANSWER_RETURNED = "answer_returned", _("Answer returned for rework")
    ANSWER_PUBLISHED = "answer_published", _("Answer published")
    RATED = "rated", _("Rated")
    OVERDUE = "overdue", _("Deadline missed")
    ESCALATED = "escalated", _("Escalated")
    REOPENED = "reopened", _("Reopened")
    COMMENT = "comment", _("Internal note")
    REPLY_CHECKED = "reply_checked", _("Resident said whether a reply came")
    REPLY_SENT = "reply_sent", _("Reply delivered to the resident")
    REPLY_FAILED = "reply_failed", _("Reply not delivered")
    REPLY_RETRY = "reply_retry", _("Reply sent again")
    DEADLINE_EXTENDED = "deadline_extended", _("Deadline extended")
    INTERIM_REQUESTED = "interim_requested", _("Interim answer requested")
    REMINDED = "reminded", _("Reminded of the deadline")


class DeliveryStatus(models.TextChoices):
    """Where a published answer stands on its way back to where the resident wrote (the outbox)."""

    QUEUED = "queued", _("queued")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("error")
    STAGING = "staging", _("not sent: test mode")
    MANUAL = "manual", _("not sent automatically")


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The translated label of ``value`` (the value itself if unknown), as ``get_FOO_display`` gives
    it but looked up once per language: Django's hashes every lazy label of the field on each call,
    which on a page of 50 cases is hundreds of translations."""
    return _choice_label(choices, value, get_language() or "")


@lru_cache(maxsize=2048)
def _choice_label(choices: type[models.TextChoices], value: str, language: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value
