"""Official pages (госпаблики) and how fast they answer residents.

Every state body, municipality and subordinate organization keeps official pages in VK and
Odnoklassniki (270-FZ), and many have MAX channels and Telegram channels. :class:`OfficialPage` is
the registry: one page of one body on one network, read by a Source, linked to its agency or
territory. A resident's comment on the page is a :class:`~otklik.intake.models.Message` of that
source whose reference (``raw["vk"]["owner_id"]``, ``raw["ok"]["group_id"]``, ``raw["max"]["chat_id"]``,
``raw["telegram_public"]["chat"]``) is the page's; the page owner's own comments are not messages
but answers: a connector raises :class:`~otklik.intake.connectors.base.OwnReply` for them and
:func:`record_own_replies` keeps a :class:`PageAnswer` for the comment answered (the one replied to,
or, for a plain comment in the thread, every comment of the thread before it still unanswered).

:func:`page_stats` gives, for a period, the residents' comments, the share answered, the share
answered within the page's norm (24 h by default), the median time to answer and the comments
still unanswered past the norm; :func:`ranking` orders the pages (municipalities' pages for the
center and the head of the region); :func:`send_reminders` (a periodic job) tells each page's
administrators about its comments unanswered past the norm, once per norm period.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .connectors.base import OwnReply
from .models import Message, OfficialPage, PageAnswer, Source

if TYPE_CHECKING:
    from otklik.cases.models import Case

# The network's reference in Message.raw: (key, field, is the value an integer)
PAGE_REFS: dict[str, tuple[str, str, bool]] = {
    "vk": ("vk", "owner_id", True),
    "ok": ("ok", "group_id", False),
    "max": ("max", "chat_id", True),
    "telegram_public": ("telegram_public", "chat", False),
}


def page_filter(page: OfficialPage) -> Q:
    """The page's residents' messages (its source's messages whose reference is the page's)."""
    key, name, numeric = PAGE_REFS.get(page.source.connector, ("", "", False))
    if not key:
        return Q(pk__in=[])
    value: Any = page.ref
    if numeric:
        try:
            value = int(page.ref)
        except ValueError:
            return Q(pk__in=[])
    return Q(source_id=page.source_id, **{f"raw__{key}__{name}": value})


def page_messages(page: OfficialPage) -> QuerySet[Message]:
    return Message.objects.filter(page_filter(page))


def record_own_replies(source: Source, replies: Sequence[OwnReply]) -> int:
    """Keep a PageAnswer for each resident's comment the page owner answered; returns how many are new.

    A reply to a known comment answers that comment; a plain comment in a thread (or a reply to
    something that is not a stored comment) answers every comment of the thread posted before it
    and still unanswered."""
    if not replies:
        return 0
    pages = {p.ref: p for p in OfficialPage.objects.filter(source=source, is_active=True)}
    created = 0
    for reply in replies:
        page = pages.get(reply.page_ref)
        if page is None:
            continue
        try:
            at = datetime.fromisoformat(reply.at)
        except ValueError:
            continue
        own = page_messages(page)
        if reply.replied_to and own.filter(external_id=reply.replied_to).exists():
            target = own.filter(external_id=reply.replied_to)
        elif reply.thread:
            target = own.filter(
                Q(external_id=reply.thread) | Q(external_id__startswith=f"{reply.thread}{reply.thread_sep}")
            )
        else:
            continue
        new = [
            PageAnswer(page=page, message=m, answered_at=at, answer_id=reply.external_id[:200])
            for m in target.filter(posted_at__lte=at, page_answer__isnull=True).only("pk")
        ]
        PageAnswer.objects.bulk_create(new, ignore_conflicts=True)
        created += len(new)
    return created


@dataclass
class PageStats:
    page: OfficialPage
    comments: int = 0
    answered: int = 0
    answered_in_norm: int = 0
    overdue: int = 0  # unanswered past the norm now
    median_hours: float | None = None
    unanswered: list[Message] = field(default_factory=list)  # past the norm, oldest first

    @property
    def share_answered(self) -> float | None:
        return self.answered / self.comments if self.comments else None

    @property
    def share_in_norm(self) -> float | None:
        return self.answered_in_norm / self.comments if self.comments else None


def page_stats(
    page: OfficialPage,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    with_list: bool = False,
) -> PageStats:
    """The page's residents' comments posted in [start, end) and how they were answered."""
    now = now or timezone.now()
    norm = timedelta(hours=page.answer_norm_hours)
    stats = PageStats(page=page)
    delays: list[float] = []
    rows = page_messages(page).filter(posted_at__gte=start, posted_at__lt=end)
    for posted_at, answered_at in rows.values_list("posted_at", "page_answer__answered_at"):
        stats.comments += 1
        if answered_at is None:
            if posted_at + norm <= now:
                stats.overdue += 1
            continue
        delay = max((answered_at - posted_at).total_seconds(), 0.0)
        delays.append(delay)
        stats.answered += 1
        if delay <= norm.total_seconds():
            stats.answered_in_norm += 1
    if delays:
        stats.median_hours = round(statistics.median(delays) / 3600, 1)
    if with_list:
        stats.unanswered = list(
            rows.filter(page_answer__isnull=True, posted_at__lte=now - norm)
            .select_related("case")
            .order_by("posted_at")[:200]
        )
    return stats


def ranking(
    pages: Iterable[OfficialPage], start: datetime, end: datetime, *, now: datetime | None = None
) -> list[PageStats]:
    """Pages best first: the share answered within the norm, then the median time to answer; pages
    without comments in the period last."""
    rows = [page_stats(p, start, end, now=now) for p in pages]

    def key(row: PageStats) -> tuple[int, float, float]:
        if not row.comments:
            return (1, 0.0, 0.0)
        return (0, -(row.share_in_norm or 0.0), row.median_hours if row.median_hours is not None else 1e9)

    return sorted(rows, key=key)


def municipal_pages() -> QuerySet[OfficialPage]:
    """Pages of municipalities: linked to a territory below the region or to a municipal body."""
    from otklik.directory.choices import AgencyKind

    return OfficialPage.objects.filter(is_active=True).filter(
        Q(agency__kind=AgencyKind.MUNICIPALITY) | Q(territory__isnull=False)
    )


def send_reminders(*, now: datetime | None = None) -> int:
    """Tell each page's administrators about comments unanswered past the norm (once per norm)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from otklik.cases.notifications import Recipients, send_after_commit

    now = now or timezone.now()
    sent = 0
    for page in OfficialPage.objects.filter(is_active=True).prefetch_related("admins"):
        norm = timedelta(hours=page.answer_norm_hours)
        if page.reminded_at and page.reminded_at > now - norm:
            continue
        overdue = page_messages(page).filter(
            page_answer__isnull=True, posted_at__lte=now - norm, posted_at__gte=now - timedelta(days=30)
        )
        count = overdue.count()
        emails = [u.email for u in page.admins.all() if u.email]
        if not count or not emails:
            continue
        subject = ngettext(
            "%(page)s: %(count)d resident's comment waits for an answer",
            "%(page)s: %(count)d residents' comments wait for an answer",
            count,
        ) % {"page": page.name, "count": count}
        lines = [
            f"{m.posted_at:%d.%m %H:%M} {m.author_name}: {m.text[:200]} {m.url}"
            for m in overdue.order_by("posted_at")[:20]
        ]
        body = _("Answer them on the page within %(hours)d hours of the comment.") % {
            "hours": page.answer_norm_hours
        }
        with transaction.atomic():  # the email is a task once the reminder is recorded
            OfficialPage.objects.filter(pk=page.pk).update(reminded_at=now)
            send_after_commit(
                Recipients(emails), subject, "\n".join([body, "", *lines]), about=f"page {page.pk}"
            )
        sent += 1
    return sent


def case_for_comment(page: OfficialPage, message: Message, *, now: datetime | None = None) -> Case:
    """The comment's case: its own if it has one, else a new case in the moderation queue."""
    from django.db import transaction
    from django.utils.translation import gettext as _

    from otklik.cases import actions
    from otklik.cases.models import Case

    from .pipeline.titles import make_title

    now = now or timezone.now()
    with transaction.atomic():
        locked = Message.objects.select_for_update(of=("self",)).select_related("case").get(pk=message.pk)
        if locked.case is not None:
            return locked.case
        case = Case(
            title=make_title(locked.text),
            text=locked.text,
            channel=locked.channel,
            created_at=locked.posted_at,
            suggested_territory=page.territory,
            suggested_agency=page.agency,
            lat=locked.lat,
            lon=locked.lon,
            message_count=1,
            author_count=1,
        )
        reason = _("A resident's comment on the official page “%(page)s” was left without an answer") % {
            "page": page.name
        }
        [case] = actions.open_cases([actions.Opening(case, reason=reason)], now=now)
        Message.objects.filter(pk=locked.pk).update(case=case, is_relevant=True)
    return case
