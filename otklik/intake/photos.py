"""Residents' photos in public: which are shown, and a moderator hiding one.

A photo a resident attached on the appeal form (``Message.photo``, re-encoded on upload, EXIF gone)
appears on the problem's public page and as Open311's ``media_url`` once the case itself is public
(``otklik.public.open311.public_cases``), unless a moderator has hidden it — a face, a licence
plate, someone's flat through a window. Hiding and showing again are logged in the case's history.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from otklik.accounts.models import User
from otklik.accounts.permissions import Capability, can
from otklik.cases.access import access_case
from otklik.cases.actions import log_event
from otklik.cases.choices import EventKind

from .models import Message


def shown_photos() -> QuerySet[Message]:
    """Messages whose photo the public may see, as far as the photo goes (the caller checks that
    the case is public)."""
    return Message.objects.exclude(photo="").filter(photo_hidden=False)


def set_photo_hidden(user: User, message_id: int, *, hidden: bool) -> Message:
    """Hide a message's photo from the public (or show it again): a moderator who may see the case."""
    if not can(user, Capability.MODERATE):
        raise PermissionDenied(_("Only moderators may hide or show residents' photos."))
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(pk=message_id)
            .exclude(photo="")
            .exclude(case=None)
            .first()
        )
        if message is None:
            raise Http404("No photo")
        assert message.case_id is not None
        case = access_case(user, message.case_id)  # out of the moderator's scope: a 404
        if message.photo_hidden == hidden:
            return message
        message.photo_hidden = hidden
        message.save(update_fields=["photo_hidden"])
        log_event(
            case,
            EventKind.MODERATED,
            user,
            before={"photo": message.pk, "photo_hidden": not hidden},
            after={"photo": message.pk, "photo_hidden": hidden},
            comment=_("The resident's photo is hidden from the public.")
            if hidden
            else _("The resident's photo is shown on the public page again."),
        )
    return message
