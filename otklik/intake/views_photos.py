"""A moderator hides a resident's photo from the public, or shows it again (from the case card)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from otklik.accounts.models import User

from .photos import set_photo_hidden


@login_required
@require_POST
def photo_visibility(request: HttpRequest, message_id: int) -> HttpResponse:
    assert isinstance(request.user, User)
    hidden = request.POST.get("hidden") == "1"
    message = set_photo_hidden(request.user, message_id, hidden=hidden)
    messages.success(
        request,
        _("The photo is hidden from the public.") if hidden else _("The photo is shown in public again."),
    )
    return redirect("cases:detail", message.case_id)
