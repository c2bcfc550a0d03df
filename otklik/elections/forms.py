from django import forms
from django.utils.translation import gettext_lazy as _

from .models import IncidentStatus, ReportKind


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to report"), choices=ReportKind.choices, widget=forms.RadioSelect)
    turnout = forms.IntegerField(label=_("Voters who have voted so far"), min_value=0, required=False)
    text = forms.CharField(
        label=_("Details"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    photo = forms.FileField(label=_("Photo"), required=False)


class CloseIncidentForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (IncidentStatus.RESOLVED, IncidentStatus.RESOLVED.label),
            (IncidentStatus.UNFOUNDED, IncidentStatus.UNFOUNDED.label),
        ],
    )
    resolution = forms.CharField(label=_("What was done or found"), widget=forms.Textarea(attrs={"rows": 3}))
