"""Forms of the public pages: the resident's appeal and the rating of an answer."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory
from otklik.intake.direct import FORM_TOKEN_RE

PHONE_RE = re.compile(r"^\+?[\d\s()-]{10,20}$")
MIN_TEXT = 15
MAX_TEXT = 5000


def new_form_token() -> str:
    return uuid.uuid4().hex


def districts() -> Any:
    return Territory.objects.filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG)).order_by("name")


def clean_contact(value: str) -> str:
    """A phone number (10+ digits) or an email address."""
    value = value.strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationError(_("Enter a valid email address or phone number.")) from exc
        return value
    if not PHONE_RE.match(value) or len(re.sub(r"\D", "", value)) < 10:
        raise ValidationError(_("Enter a valid email address or phone number."))
    return value


class AppealForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=200)
    contact = forms.CharField(
        label=_("Phone or email"),
        max_length=200,
        help_text=_("We use it only to answer you."),
    )
    text = forms.CharField(
        label=_("What is the problem?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=MIN_TEXT,
        max_length=MAX_TEXT,
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=Territory.objects.none(),
        required=False,
        empty_label=_("— not chosen —"),
    )
    address = forms.CharField(label=_("Address or place"), max_length=300, required=False)
    consent = forms.BooleanField(
        label=_(
            "I agree to the processing of my personal data to consider this appeal "
            "(Federal Law No. 152-FZ “On Personal Data”)."
        ),
        error_messages={
            "required": _(
                "Without your consent to the processing of personal data we cannot accept the appeal."
            )
        },
    )
    # Bots fill every field; people never see this one.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts()  # type: ignore[attr-defined]
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_contact(self) -> str:
        return clean_contact(self.cleaned_data["contact"])

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if len(text) < MIN_TEXT:
            raise ValidationError(_("Describe the problem in a few words."))
        return text

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"].strip().lower()
        if not FORM_TOKEN_RE.match(token):
            raise ValidationError(_("The form has expired; please send it again."))
        return token

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your rating of the answer"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    not_solved = forms.BooleanField(label=_("The problem is not solved"), required=False)
    comment = forms.CharField(
        label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
