"""Forms of the public pages: the resident's appeal and the rating of an answer."""

from __future__ import annotations

import json
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
from otklik.security.uploads import clean_image

PHONE_RE = re.compile(r"^\+?[\d\s()-]{10,20}$")
MIN_TEXT = 15
MAX_TEXT = 5000


def new_form_token() -> str:
    return uuid.uuid4().hex


def districts() -> Any:
    # The choices need a name only, not the districts' outlines (large for a shipped region).
    return (
        Territory.objects.filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG))
        .only("pk", "name")
        .order_by("name")
    )


def region_bounds() -> list[float] | None:
    """[min_lon, min_lat, max_lon, max_lat] around the region's territories with a known bbox."""
    known = Territory.objects.exclude(bbox=None).values_list("bbox", flat=True)
    boxes = [b for b in known if b and len(b) == 4]
    if not boxes:
        return None
    return [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]


def point_in_region(lat: float, lon: float) -> bool:
    """Within the region's bounds if they are known, else a point on Earth."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    bounds = region_bounds()
    if bounds is None:
        return True
    return bounds[0] <= lon <= bounds[2] and bounds[1] <= lat <= bounds[3]


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
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WEBP up to 10 MB. Only the staff of the center see it."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    # Set by clicking the small map (static/otklik_public/appeal-map.js); both or none.
    lat = forms.FloatField(widget=forms.HiddenInput, required=False)
    lon = forms.FloatField(widget=forms.HiddenInput, required=False)
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

    def clean_photo(self) -> Any:
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        return clean_image(upload)  # re-encoded; a ValidationError in Russian otherwise

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            raise ValidationError(_("The point on the map is incomplete; click the map again."))
        if lat is not None and lon is not None and not point_in_region(lat, lon):
            self.add_error(None, _("The point on the map is outside the region; click the map again."))
            data["lat"] = data["lon"] = None
        return data

    def clean_form_token(self) -> str:
        token = self.cleaned_data["form_token"].strip().lower()
        if not FORM_TOKEN_RE.match(token):
            raise ValidationError(_("The form has expired; please send it again."))
        return token

    @property
    def map_bounds(self) -> str:
        """The region's bounds for the pin map (JSON in a data attribute; "" when unknown)."""
        bounds = region_bounds()
        return json.dumps(bounds) if bounds else ""

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
