"""The public side of a case: a resident's appeal from the web form, its status page and rating.

A resident's status page is ``/public/status/<number>/<token>/``: the token is an HMAC of the case
number under the project's secret, so only the link given after the appeal opens it. A wrong token
and an unknown number are the same 404 — nobody can walk through other people's cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from otklik.cases import actions
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Case, Rating
from otklik.directory.choices import Channel
from otklik.directory.models import Agency, Territory
from otklik.intake.direct import Submitted, current_case, direct_source, submit

from . import emails


def absolute_url(request: HttpRequest, path: str) -> str:
    """``settings.OTKLIK_PUBLIC_BASE_URL`` (the site's address behind a proxy) + path, else the request's."""
    base = str(getattr(settings, "OTKLIK_PUBLIC_BASE_URL", "") or "")
    return urljoin(base, path) if base else request.build_absolute_uri(path)


SOURCE_CODE = "web-form"
DEPUTY_SOURCE_CODE = "deputy-portal"
TOKEN_SALT = "otklik.public.status"
RATE_LIMIT_PER_HOUR = 5  # settings.OTKLIK_PUBLIC_APPEALS_PER_HOUR overrides

# What a resident is told about their case (the internal workflow stays internal).
PUBLIC_STATUS: dict[str, Any] = {
    CaseStatus.NEW: _("Received, being checked"),
    CaseStatus.MODERATION: _("Received, being checked"),
    CaseStatus.REDIRECTED: _("Received, being checked"),
    CaseStatus.ASSIGNED: _("In work"),
    CaseStatus.IN_PROGRESS: _("In work"),
    CaseStatus.REOPENED: _("In work again"),
    CaseStatus.ESCALATED: _("In work"),
    CaseStatus.ANSWERED: _("An answer is being prepared"),
    CaseStatus.APPROVED: _("An answer is being prepared"),
    CaseStatus.PUBLISHED: _("Answered"),
    CaseStatus.CLOSED: _("Closed"),
    CaseStatus.REJECTED: _("Not taken into work"),
    CaseStatus.MERGED: _("Joined with the same problem"),
}


def status_token(case: Case) -> str:
    return salted_hmac(TOKEN_SALT, case.number).hexdigest()[:32]


def case_for_status(number: str, token: str) -> Case | None:
    """The case behind a status link, or None for an unknown number or a wrong token."""
    case = Case.objects.filter(number=number).select_related("merged_into").first()
    if case is None or not constant_time_compare(status_token(case), token):
        return None
    return case


# --- the appeal ----------------------------------------------------------------------------------


def appeal_text(text: str, district: Territory | None, address: str) -> str:
    """The resident's text with the place they chose, so the place stage and moderators see it."""
    place = ", ".join(p for p in (district.name if district else "", address.strip()) if p)
    return f"{text.strip()}\n\n{place}" if place else text.strip()


def submit_appeal(
    *,
    form_token: str,
    name: str,
    contact: str,
    text: str,
    district: Territory | None,
    address: str,
    office: Agency | None = None,
    photo: ContentFile | None = None,
    lat: float | None = None,
    lon: float | None = None,
    now: datetime | None = None,
) -> Submitted:
    """The web form's appeal through the pipeline; with ``office`` it is an appeal to a deputy (the
    deputies' portal source), assigned to that reception office at once."""
    now = now or timezone.now()
    if office is None:
        source = direct_source(SOURCE_CODE, name="Веб-форма", channel=Channel.WEB_FORM, connector="web_form")
    else:
        source = direct_source(
            DEPUTY_SOURCE_CODE,
            name="Портал «Избиратель – депутат»",
            channel=Channel.DEPUTY,
            connector="web_form",
        )
    item: dict[str, Any] = {
        "external_id": f"form-{form_token}",
        "channel": source.channel,
        "text": appeal_text(text, district, address),
        "posted_at": now.isoformat(),
        "author_name": name.strip(),
        "author_id": contact.strip().lower(),
        "author_contact": contact.strip(),
        "form": {
            "district_id": district.pk if district else None,
            "district": district.name if district else "",
            "address": address.strip(),
            "personal_data_consent_at": now.isoformat(),  # 152-FZ: when consent was given
        },
    }
    if lat is not None and lon is not None:
        item["lat"], item["lon"] = lat, lon  # the resident's pin: the place stage uses it
    if office is not None:
        item["addressed_to"] = office.pk
    submitted = submit(item, source=source, now=now)
    if photo is not None and not submitted.message.photo:
        # Re-encoded by the form (otklik.security.uploads.clean_image); staff-only.
        submitted.message.photo.save(photo.name or "photo", photo, save=False)
        type(submitted.message).objects.filter(pk=submitted.message.pk).update(
            photo=submitted.message.photo.name
        )
    return submitted


def email_status_link(submitted: Submitted, *, contact: str, name: str, status_url: str) -> str | None:
    """Email the status link to a resident who left an email address, once per appeal.

    ``status_url`` is absolute. Returns the address written to, or None: no email address, no case,
    or the same form sent again. Delivery happens after commit and its failure is only logged."""
    address = emails.email_address(contact)
    if address is None or submitted.case is None or not submitted.is_new:
        return None
    emails.send_status_link(to=address, case_number=submitted.case.number, status_url=status_url, name=name)
    return address


def allow_submission(ip: str, *, limit: int, window_seconds: int = 3600) -> bool:
    """A fixed-window counter per IP address in the cache: False once ``limit`` is used up."""
    key = f"otklik:public-appeal:{ip}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


# --- the status page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicView:
    case: Case
    shown: Case  # the case whose progress is shown (the one it was merged into, if merged)
    status: str
    answers: list[Answer]
    rating: Rating | None
    can_rate: bool
    answered: bool = True  # False while the case is (again) in work: its final answers are earlier ones
    interim: list[Answer] = field(
        default_factory=list
    )  # interim answers while in work (an extension's notice)
    earlier: list[Answer] = field(default_factory=list)  # final answers of a case reopened since


# Panels other apps add to a resident's status page (the deputies' "did you get a reply?"): each is
# called with the case and the status link's token and returns (template, context) or None. An app
# registers its own in ``AppConfig.ready()``, so this app never imports the apps above it.
StatusPanel = Callable[[Case, str], "tuple[str, dict[str, Any]] | None"]
_status_panels: list[StatusPanel] = []


def register_status_panel(panel: StatusPanel) -> None:
    if panel not in _status_panels:
        _status_panels.append(panel)


def status_panels(case: Case, token: str) -> list[tuple[str, dict[str, Any]]]:
    return [shown for panel in _status_panels if (shown := panel(case, token)) is not None]


def public_view(case: Case) -> PublicView:
    shown = current_case(case) or case
    answers = list(shown.answers.filter(status=AnswerStatus.PUBLISHED).order_by("published_at", "id"))
    rating = shown.ratings.order_by("-created_at", "-id").first()
    answered = shown.status in (CaseStatus.PUBLISHED, CaseStatus.CLOSED)
    return PublicView(
        case=case,
        shown=shown,
        status=str(PUBLIC_STATUS.get(shown.status, shown.get_status_display())),
        answers=answers,
        rating=rating,
        can_rate=shown.status == CaseStatus.PUBLISHED,
        answered=answered,
        interim=[a for a in answers if a.kind == AnswerKind.INTERIM] if not answered else [],
        earlier=[a for a in answers if a.kind == AnswerKind.FINAL] if not answered else [],
    )


def rate(case: Case, *, score: int, comment: str, not_solved: bool, now: datetime | None = None) -> Rating:
    """The resident rates the answer; "not solved" reopens the case (``actions.rate_case``)."""
    shown = current_case(case) or case
    return actions.rate_case(shown, score=score, comment=comment, reopen=not_solved, now=now)
