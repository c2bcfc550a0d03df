import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from otklik.deputies.models import Deputy, Faction
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Territory

from . import violations
from .models import (
    CallKind,
    CallOutcome,
    CampaignEvent,
    ChecklistQuestion,
    Commission,
    ExitPollOption,
    IncidentStatus,
    Observer,
    PollingStation,
    ReportKind,
    VideoSession,
    ViolationType,
)


class TypedViolationForm(forms.Form):
    """A form with the type of a violation, from the active reference list (required with a
    violation; the list is seeded with the common kinds if it is empty)."""

    violation_type = forms.ModelChoiceField(
        label=_("Type of violation"),
        queryset=ViolationType.objects.filter(is_active=True),
        required=False,
        empty_label=_("— choose —"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        violations.active_types()


class ReportForm(TypedViolationForm):
    kind = forms.ChoiceField(label=_("What to report"), choices=ReportKind.choices, widget=forms.RadioSelect)
    turnout = forms.IntegerField(label=_("Voters who have voted so far"), min_value=0, required=False)
    text = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    photo = forms.FileField(label=_("Photo"), required=False)
    # A fresh id with every form shown: sending the same form twice makes one report.
    client_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, questions: list[ChecklistQuestion] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_id"] = uuid.uuid4().hex
        self.questions = questions or []
        for question in self.questions:  # answered with the opening report
            self.fields[f"check_{question.pk}"] = forms.ChoiceField(
                label=question.text,
                choices=[("yes", _("Yes")), ("no", _("No"))],
                widget=forms.RadioSelect,
                required=False,
            )

    def checklist_fields(self) -> list[Any]:
        return [self[f"check_{q.pk}"] for q in self.questions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unanswered = any(not data.get(f"check_{q.pk}") for q in self.questions)
        if data.get("kind") == ReportKind.OPENED and unanswered:
            raise forms.ValidationError(_("Answer every question of the opening checklist."))
        if data.get("kind") == ReportKind.VIOLATION and not data.get("violation_type"):
            self.add_error("violation_type", _("Choose the type of violation."))
        return data

    def checklist(self) -> dict[int, bool]:
        return {
            q.pk: self.cleaned_data[f"check_{q.pk}"] == "yes"
            for q in self.questions
            if self.cleaned_data.get(f"check_{q.pk}")
        }


class CloseIncidentForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (IncidentStatus.RESOLVED, IncidentStatus.RESOLVED.label),
            (IncidentStatus.UNFOUNDED, IncidentStatus.UNFOUNDED.label),
        ],
    )
    resolution = forms.CharField(label=_("What was done or found"), widget=forms.Textarea(attrs={"rows": 3}))


class ExitPollForm(forms.Form):
    """A count per option (fields ``option_<id>``) and the respondents who declined."""

    declined = forms.IntegerField(label=_("Declined to answer"), min_value=0, initial=0, required=False)

    def __init__(self, *args: Any, options: list[ExitPollOption], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for option in options:
            self.fields[f"option_{option.pk}"] = forms.IntegerField(
                label=option.name, min_value=0, initial=0, required=False
            )

    def counts(self) -> dict[int, int]:
        return {
            int(name.removeprefix("option_")): value or 0
            for name, value in self.cleaned_data.items()
            if name.startswith("option_")
        }


class EventForm(forms.ModelForm):
    """A meeting on the campaign calendar. ``factions`` are those the user may enter meetings for
    (:func:`otklik.elections.campaign.coordinated_factions`): a coordinator picks one of theirs or a
    deputy of one of theirs; the center may leave both empty. ``territories`` are those the user may
    hold a meeting in; ``regions`` (a regional coordinator's) limit the deputies to those regions, and
    the meeting then needs its territory or deputy so that it lands in one of them."""

    class Meta:
        model = CampaignEvent
        fields = ["candidate", "deputy", "faction", "starts_at", "place", "territory", "notes", "attendance"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        }

    def __init__(
        self,
        *args: Any,
        factions: Any,
        faction_required: bool,
        territories: Any = None,
        regions: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.faction_required = faction_required
        self.regions = regions
        self.fields["faction"].queryset = factions  # type: ignore[attr-defined]
        deputy_field: Any = self.fields["deputy"]
        if faction_required:  # a coordinator: only their factions' deputies
            deputy_field.queryset = deputy_field.queryset.filter(faction__in=factions)
        if regions is not None:  # a regional coordinator: their regions' deputies and places
            deputy_field.queryset = deputy_field.queryset.filter(region__in=regions)
        if territories is not None:
            self.fields["territory"].queryset = territories  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        deputy, faction = data.get("deputy"), data.get("faction")
        if deputy is not None and faction is not None and deputy.faction_id not in (None, faction.pk):
            self.add_error("faction", _("The deputy is in another faction."))
        elif self.faction_required and faction is None and (deputy is None or deputy.faction_id is None):
            self.add_error("faction", _("Choose your faction or its deputy."))
        if self.regions is not None and deputy is None and data.get("territory") is None:
            self.add_error("territory", _("Choose the district the meeting is held in."))
        return data


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    asked_by = forms.CharField(label=_("Asked by"), max_length=200, required=False)
    contact = forms.CharField(label=_("Phone or email for the answer"), max_length=200, required=False)


class CallForm(TypedViolationForm):
    kind = forms.ChoiceField(label=_("The call is about"), choices=CallKind.choices, widget=forms.RadioSelect)
    phone = forms.CharField(label=_("Caller's phone"), max_length=40)
    caller_name = forms.CharField(label=_("Caller's name"), max_length=200, required=False)
    station = forms.IntegerField(label=_("Polling station number"), min_value=1, required=False)
    text = forms.CharField(
        label=_("What the caller says"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )

    def clean_station(self) -> PollingStation | None:
        number = self.cleaned_data.get("station")
        if number is None:
            return None
        station = PollingStation.objects.filter(number=number).first()
        if station is None:
            raise forms.ValidationError(_("There is no polling station No. %(number)s.") % {"number": number})
        return station

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == CallKind.VIOLATION and not data.get("violation_type"):
            self.add_error("violation_type", _("Choose the type of violation."))
        return data


class IncidentTypeForm(TypedViolationForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violation_type"].required = True


class IncidentFilterForm(forms.Form):
    """The lawyers' list of incidents: by type, status and commission."""

    type = forms.ModelChoiceField(
        label=_("Type of violation"),
        queryset=ViolationType.objects.all(),
        required=False,
        empty_label=_("all"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("all")), ("open", _("open")), *IncidentStatus.choices],
        required=False,
    )
    commission = forms.ModelChoiceField(
        label=_("Territorial commission"),
        queryset=Commission.objects.all(),
        required=False,
        empty_label=_("all"),
    )


class ObserverCallForm(forms.Form):
    """A call to one of a station's observers (or another number given) and its outcome."""

    observer = forms.ModelChoiceField(
        label=_("Observer"), queryset=Observer.objects.none(), required=False, empty_label=_("another number")
    )
    phone = forms.CharField(label=_("Another number"), max_length=40, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    def __init__(self, *args: Any, station: PollingStation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["observer"]
        field.queryset = station.observers.select_related("user").order_by("user__last_name", "pk")
        field.label_from_instance = lambda o: " · ".join(
            x for x in (o.user.get_full_name() or o.user.username, o.phone) if x
        )
        first = field.queryset.exclude(phone="").first()
        if first is not None and not self.is_bound:
            self.initial["observer"] = first.pk

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("observer") and not (data.get("phone") or "").strip():
            self.add_error("phone", _("Choose the observer or enter the number called."))
        return data


class CoverageFilterForm(forms.Form):
    commission = forms.ModelChoiceField(
        label=_("Territorial commission"),
        queryset=Commission.objects.all(),
        required=False,
        empty_label=_("all"),
    )
    outcome = forms.ChoiceField(
        label=_("Calls"),
        choices=[("", _("all")), ("unreached", _("not reached")), *CallOutcome.choices],
        required=False,
    )


class MeetingFilterForm(forms.Form):
    """The calendar's and the questions' analysis filters; the choices are those ``user`` may see."""

    when = forms.ChoiceField(
        label=_("Meetings"),
        choices=[("upcoming", _("upcoming")), ("past", _("past")), ("all", _("all"))],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Territory.objects.none(), required=False, empty_label=_("all")
    )
    district = forms.ModelChoiceField(
        label=_("District"), queryset=Territory.objects.none(), required=False, empty_label=_("all")
    )
    candidate = forms.ChoiceField(label=_("Candidate"), choices=[], required=False)
    deputy = forms.ModelChoiceField(
        label=_("Deputy"), queryset=Deputy.objects.none(), required=False, empty_label=_("all")
    )
    faction = forms.ModelChoiceField(
        label=_("Faction"), queryset=Faction.objects.none(), required=False, empty_label=_("all")
    )

    def __init__(
        self,
        data: Any,
        *,
        events: Any,
        factions: Any,
        regions: Any = None,
        territories: Any = None,
        default_when: str = "upcoming",
    ) -> None:
        """``regions`` and ``territories``: the user's scope (every one when not given); the region
        filter is offered only where there is more than one region to choose."""
        super().__init__(data)
        self.default_when = default_when
        self.fields["when"].initial = default_when
        region: Any = self.fields["region"]
        region.queryset = regions if regions is not None else Territory.objects.none()
        if regions is None or len(region.queryset) < 2:
            del self.fields["region"]
        districts: Any = self.fields["district"]
        districts.queryset = (
            (territories if territories is not None else Territory.objects.all())
            .filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG))
            .order_by("name")
        )
        names = sorted(set(events.values_list("candidate", flat=True)))
        candidate: Any = self.fields["candidate"]
        candidate.choices = [("", _("all")), *((n, n) for n in names)]
        deputy: Any = self.fields["deputy"]
        deputy.queryset = Deputy.objects.filter(pk__in=events.values("deputy")).order_by("full_name")
        faction: Any = self.fields["faction"]
        faction.queryset = factions

    def chosen(self) -> dict[str, Any]:
        """The filter as :func:`otklik.elections.campaign.filter_events` takes it."""
        data = dict(self.cleaned_data) if self.is_valid() else {}
        return {
            "when": data.get("when") or self.default_when,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "district": data.get("district"),
            "region": data.get("region"),
            "candidate": data.get("candidate") or "",
            "deputy": data.get("deputy"),
            "faction": data.get("faction"),
        }


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)
    at_meeting = forms.BooleanField(label=_("Answered at the meeting"), required=False, initial=True)


class VideoSessionForm(forms.ModelForm):
    """A session of the center with the districts; no district chosen means every linked one."""

    class Meta:
        model = VideoSession
        fields = ["starts_at", "title", "districts", "notes"]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "districts": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        districts: Any = self.fields["districts"]
        districts.queryset = Territory.objects.filter(video_link__isnull=False).order_by("name")
