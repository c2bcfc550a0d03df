"""The follow-up question to residents who wrote to a deputy, as WriteToThem asks it: two weeks
after the appeal, "did you get a reply?".

A deputy may answer outside Otklik — by phone, at a reception, by post — so the system's own
"answered" is not the whole truth; the resident's word is. :func:`ask_about_replies` (a periodic
job) opens one :class:`~otklik.deputies.models.ReplyCheck` per appeal to a deputy that is
:data:`settings.OTKLIK_DEPUTY_FOLLOW_UP_DAYS` old (not rejected or merged, and not older than
:data:`LOOKBACK_DAYS` more, so a new installation does not write about last year's appeals) and
emails the question where the resident left an address; the appeal's status page asks it too.
:func:`record_reply` takes the answer, writes it into the case's history and, on "no", tells the
deputy's office. The answers make the rating's "replied" share and the public responsiveness table,
where a deputy's share is shown only from :data:`MIN_RESPONSES` answers on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from otklik.accounts.links import absolute_url
from otklik.analytics.figures import percent
from otklik.cases import notifications
from otklik.cases.actions import log_event
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case
from otklik.directory.choices import AgencyKind
from otklik.public.emails import email_address, mail_after_commit
from otklik.public.services import status_token

from .models import Deputy, Reply, ReplyCheck

log = logging.getLogger("otklik.deputies.followup")

LOOKBACK_DAYS = 30
MIN_RESPONSES = 5
NOT_ASKED = (CaseStatus.REJECTED, CaseStatus.MERGED)


def follow_up_days() -> int:
    return int(getattr(settings, "OTKLIK_DEPUTY_FOLLOW_UP_DAYS", 14))


def due(now: datetime) -> QuerySet[Case]:
    """Appeals to deputies old enough to ask about and not asked yet."""
    cutoff = now - timedelta(days=follow_up_days())
    return (
        Case.objects.filter(
            agency__kind=AgencyKind.DEPUTY,
            agency__deputy__isnull=False,
            created_at__lte=cutoff,
            created_at__gt=cutoff - timedelta(days=LOOKBACK_DAYS),
            reply_check__isnull=True,
        )
        .exclude(status__in=NOT_ASKED)
        .select_related("agency__deputy")
        .order_by("created_at", "pk")
    )


def status_url(case: Case) -> str:
    """The appeal's status page, absolute (``OTKLIK_PUBLIC_BASE_URL``; the local server without it)."""
    return absolute_url(reverse("public:status", args=[case.number, status_token(case)]))


def question_message(case: Case, deputy: Deputy, name: str) -> tuple[str, str]:
    """The subject and plain-text body of the question, in the project's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Did deputy %(deputy)s reply to your appeal %(number)s?") % {
            "deputy": deputy.full_name,
            "number": case.number,
        }
        body = render_to_string(
            "deputies/email/reply_check.txt",
            {
                "name": name.strip(),
                "number": case.number,
                "deputy": deputy.full_name,
                "day": timezone.localtime(case.created_at).date(),
                "status_url": status_url(case),
            },
        )
    return subject, body.strip() + "\n"


def _resident(case: Case) -> tuple[str | None, str]:
    """The email address the resident left on the appeal's first message, and their name."""
    messages = case.messages.order_by("posted_at", "pk")
    for contact, name in messages.values_list("author_contact", "author_name"):
        address = email_address(contact or "")
        if address:
            return address, name
    return None, ""


def ask_about_replies(now: datetime | None = None) -> list[ReplyCheck]:
    """Open the question for every due appeal; email it where there is an address (after commit; a
    mail server that is away is logged, the question stays on the status page)."""
    now = now or timezone.now()
    asked: list[ReplyCheck] = []
    for case in due(now)[:1000]:
        address, name = _resident(case)
        deputy = case.agency.deputy  # type: ignore[union-attr]
        with transaction.atomic():
            check, created = ReplyCheck.objects.get_or_create(
                case=case, defaults={"deputy": deputy, "asked_at": now, "emailed": address is not None}
            )
            if not created:  # another runner asked first
                continue
            asked.append(check)
            if address is not None:
                subject, body = question_message(case, deputy, name)
                about = f"the reply question about appeal {case.number}"
                mail_after_commit(to=address, subject=subject, body=body, about=about)
    return asked


def status_panel(case: Case, token: str) -> tuple[str, dict[str, Any]] | None:
    """The resident's status page asks "did the deputy reply?" once the question was put to them."""
    check = ReplyCheck.objects.filter(case=case).select_related("deputy").first()
    if check is None:
        return None
    return "deputies/reply_check.html", {"check": check, "number": case.number, "token": token}


def record_reply(case: Case, reply: str, *, now: datetime | None = None) -> ReplyCheck:
    """The resident's answer (they may change it: a reply may come after a "no")."""
    if reply not in Reply.values:
        raise ValidationError(_("Answer yes or no."))
    now = now or timezone.now()
    with transaction.atomic():
        check = ReplyCheck.objects.select_for_update().filter(case=case).select_related("deputy").first()
        if check is None:
            raise ValidationError(_("This appeal has not been asked about yet."))
        if check.reply == reply:
            return check
        before = check.reply
        check.reply, check.answered_at = reply, now
        check.save(update_fields=["reply", "answered_at"])
        log_event(
            case,
            EventKind.REPLY_CHECKED,
            before={"reply": before},
            after={"reply": reply},
            comment=str(Reply(reply).label),
            at=now,
        )
        if reply == Reply.NO:
            day = f"{timezone.localtime(case.created_at):%d.%m.%Y}"
            with translation.override(settings.LANGUAGE_CODE):
                subject = _("No reply to appeal %(number)s") % {"number": case.number}
                body = _("The resident says deputy %(deputy)s has not replied to the appeal of %(day)s.") % {
                    "deputy": check.deputy.full_name,
                    "day": day,
                }
            notifications.notify_agency(case.agency_id, subject, body)
    return check


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replies:
    asked: int
    yes: int
    no: int

    @property
    def answered(self) -> int:
        return self.yes + self.no

    @property
    def replied_pct(self) -> float | None:
        return percent(self.yes, self.answered)

    @property
    def enough(self) -> bool:
        return self.answered >= MIN_RESPONSES


NO_REPLIES = Replies(0, 0, 0)


def replies_by_deputy(date_from: date, date_to: date, deputies: Any = None) -> dict[int, Replies]:
    """Per deputy id: questions asked and answered about appeals made in the period."""
    rows = ReplyCheck.objects.filter(
        case__created_at__date__gte=date_from, case__created_at__date__lte=date_to
    )
    if deputies is not None:
        rows = rows.filter(deputy__in=deputies)
    return {
        deputy: Replies(asked, yes, no)
        for deputy, asked, yes, no in rows.values("deputy")
        .annotate(
            asked=Count("pk"),
            yes=Count("pk", filter=Q(reply=Reply.YES)),
            no=Count("pk", filter=Q(reply=Reply.NO)),
        )
        .values_list("deputy", "asked", "yes", "no")
    }


@dataclass(frozen=True)
class ResponsivenessRow:
    deputy: Deputy
    appeals: int
    replies: Replies


def responsiveness(date_from: date, date_to: date) -> list[ResponsivenessRow]:
    """The public table: every active deputy with appeals in the period, the residents' answers and
    the share who got a reply (best first; those with too few answers after, by appeals)."""
    deputies = list(Deputy.objects.filter(is_active=True).select_related("faction"))
    appeals = dict(
        Case.objects.filter(
            agency__in=[d.office_id for d in deputies],
            created_at__date__gte=date_from,
            created_at__date__lte=date_to,
        )
        .exclude(status__in=NOT_ASKED)
        .values("agency")
        .annotate(n=Count("pk"))
        .values_list("agency", "n")
    )
    replies = replies_by_deputy(date_from, date_to)
    rows = [
        ResponsivenessRow(d, appeals.get(d.office_id, 0), replies.get(d.pk, NO_REPLIES))
        for d in deputies
        if appeals.get(d.office_id)
    ]
    rows.sort(
        key=lambda r: (
            not r.replies.enough,
            -(r.replies.replied_pct or 0) if r.replies.enough else 0,
            -r.appeals,
            r.deputy.full_name,
        )
    )
    return rows
