"""The call-center operator's form: a resident's call typed in becomes a message of channel "phone".

Moderators, supervisors and administrators enter calls; anyone else gets a 403. The call goes
through the pipeline like any message (dedup, understanding, routing); the form's one-time token
makes a double submit a no-op. The view only parses, calls :func:`submit_call` and redirects.
Above the form, a look-up by phone or name lists the caller's earlier cases (:mod:`.callers`).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from otklik.accounts.models import User
from otklik.accounts.permissions import AnyUser, Capability, can, require
from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
from otklik.directory.models import Agency, Territory

from .callers import find_caller_cases
from .direct import FORM_TOKEN_RE, SubmissionError, Submitted, direct_source, submit

SOURCE_CODE = "call-center"
PHONE_RE = re.compile(r"^\+?[\d\s()-]{5,20}$")


def may_enter_calls(user: AnyUser) -> bool:
    return can(user, Capability.TAKE_CALLS)


class CallForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Caller's phone"), max_length=40)
    caller_name = forms.CharField(label=gettext_lazy("Caller's name"), max_length=200, required=False)
    transcript = forms.CharField(
        label=gettext_lazy("What the caller says"), widget=forms.Textarea(attrs={"rows": 7}), max_length=10000
    )
    district = forms.ModelChoiceField(
        label=gettext_lazy("District"),
        queryset=Territory.objects.none(),
        required=False,
        empty_label=gettext_lazy("— not chosen —"),
    )
    address = forms.CharField(label=gettext_lazy("Address or place"), max_length=300, required=False)
    deputy_office = forms.ModelChoiceField(
        label=gettext_lazy("Appeal to a deputy"),
        queryset=Agency.objects.none(),
        required=False,
        empty_label=gettext_lazy("— no, to the center —"),
        help_text=gettext_lazy(
            "The caller addresses a deputy: the appeal goes to the deputy's reception office."
        ),
    )
    callback_wanted = forms.BooleanField(
        label=gettext_lazy("The caller wants a call back with the answer"), required=False
    )
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = Territory.objects.filter(  # type: ignore[attr-defined]
            kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG)
        ).order_by("name")
        offices = Agency.objects.filter(kind=AgencyKind.DEPUTY, is_active=True).order_by("short_name", "name")
        self.fields["deputy_office"].queryset = offices  # type: ignore[attr-defined]
        self.fields["deputy_office"].label_from_instance = lambda a: a.short_name or a.name  # type: ignore[attr-defined]

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if not PHONE_RE.match(phone) or len(re.sub(r"\D", "", phone)) < 5:
            raise ValidationError(gettext_lazy("Enter the phone number the caller can be reached at."))
        return phone

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"].strip().lower()
        if not FORM_TOKEN_RE.match(token):
            raise ValidationError(gettext_lazy("The form has expired; please send it again."))
        return token


def submit_call(data: dict[str, Any], *, operator: User, now: datetime | None = None) -> Submitted:
    """One call → one message of channel "phone" through the pipeline."""
    now = now or timezone.now()
    district: Territory | None = data.get("district")
    place = ", ".join(p for p in (district.name if district else "", data.get("address", "").strip()) if p)
    text = data["transcript"].strip()
    digits = re.sub(r"\D", "", data["phone"])
    item: dict[str, Any] = {
        "external_id": f"call-{data['form_token']}",
        "channel": Channel.PHONE,
        "text": f"{text}\n\n{place}" if place else text,
        "posted_at": now.isoformat(),
        "author_name": data.get("caller_name", "").strip(),
        "author_id": f"tel:{digits}",
        "author_contact": data["phone"],
        "call": {
            "callback_wanted": bool(data.get("callback_wanted")),
            "operator": operator.get_username(),
            "district_id": district.pk if district else None,
            "address": data.get("address", "").strip(),
        },
    }
    office: Agency | None = data.get("deputy_office")
    if office is not None:
        item["addressed_to"] = office.pk
    source = direct_source(SOURCE_CODE, name="Колл-центр", channel=Channel.PHONE, connector="phone")
    return submit(item, source=source, now=now)


@login_required
@require_http_methods(["GET", "POST"])
def callcenter(request: HttpRequest) -> HttpResponse:
    operator = require(
        request.user,
        Capability.TAKE_CALLS,
        _("Only the call center and the center's moderators, supervisors and administrators enter calls."),
    )
    if request.method != "POST":
        lookup = None
        initial: dict[str, Any] = {"form_token": uuid.uuid4().hex}
        caller = str(request.GET.get("caller") or "").strip()
        if caller:
            lookup = find_caller_cases(operator, caller)
            initial["phone" if lookup.by_phone else "caller_name"] = lookup.query
        form = CallForm(initial=initial)
        return render(request, "intake/callcenter.html", {"form": form, "lookup": lookup, "caller": caller})
    form = CallForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/callcenter.html", {"form": form}, status=400)
    try:
        submitted = submit_call(form.cleaned_data, operator=operator)
    except SubmissionError as exc:
        form.add_error(None, exc.detail)  # the center's own operator sees the whole reason
        return render(request, "intake/callcenter.html", {"form": form}, status=400)
    if submitted.case is None:
        messages.warning(
            request, _("The call is saved, but it was not recognized as a problem: no case was opened.")
        )
        return redirect("callcenter:form")
    if submitted.is_new:
        messages.success(
            request, _("The call is registered as case %(number)s.") % {"number": submitted.case.number}
        )
    else:
        messages.info(
            request,
            _("This call was already registered as case %(number)s.") % {"number": submitted.case.number},
        )
    return redirect(reverse("cases:detail", args=[submitted.case.pk]))
