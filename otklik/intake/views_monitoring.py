"""Monitoring queries where moderators work: the list, a form with the query language's help and a
live preview of what the query picks from the recent posts (HTMX).

Only those who set up the monitoring (``Capability.SET_UP_MONITORING``: the center) reach these
pages; anyone else gets a 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from otklik.accounts.permissions import Capability, require
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Category, Territory

from . import monitoring_preview
from .models import MonitoringQuery, Source
from .monitoring import QuerySyntaxError, compile_edited
from .pipeline.understand import ADDRESSED_CHANNELS


def _may_set_up(request: HttpRequest) -> None:
    require(request.user, Capability.SET_UP_MONITORING, _("Only the center's staff set up the monitoring."))


def monitored_sources() -> Any:
    """The sources whose posts queries filter (not the form, calls, letters: those are never filtered)."""
    return Source.objects.exclude(channel__in=ADDRESSED_CHANNELS).order_by("name")


def scope_territories() -> Any:
    return Territory.objects.exclude(kind=TerritoryKind.REGION).order_by("kind", "name")


class MonitoringQueryPageForm(forms.ModelForm):
    class Meta:
        model = MonitoringQuery
        fields = ("name", "query", "is_active", "sources", "territories", "categories")
        widgets = {
            "query": forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "mono"}),
            "sources": forms.CheckboxSelectMultiple,
            "territories": forms.SelectMultiple(attrs={"size": 8}),
            "categories": forms.SelectMultiple(attrs={"size": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sources"].queryset = monitored_sources()  # type: ignore[attr-defined]
        self.fields["territories"].queryset = scope_territories()  # type: ignore[attr-defined]
        self.fields["categories"].queryset = Category.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "parent__name", "name"
        )
        self.fields["query"].help_text = ""  # the page explains the language beside the form

    def clean_query(self) -> str:
        text = str(self.cleaned_data.get("query", ""))
        try:
            compile_edited(text)
        except QuerySyntaxError as exc:
            raise forms.ValidationError(_("Invalid query: %(error)s") % {"error": exc}) from exc
        return text


class PreviewForm(forms.Form):
    query = forms.CharField(required=False)
    sources = forms.ModelMultipleChoiceField(queryset=Source.objects.all(), required=False)
    territories = forms.ModelMultipleChoiceField(queryset=Territory.objects.all(), required=False)
    last = forms.TypedChoiceField(
        label=gettext_lazy("Posts to check"),
        choices=[(n, n) for n in monitoring_preview.LAST_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )


@login_required
def query_list(request: HttpRequest) -> HttpResponse:
    _may_set_up(request)
    queries = MonitoringQuery.objects.prefetch_related("sources", "territories", "categories").order_by(
        "-is_active", "name"
    )
    return render(request, "intake/monitoring_list.html", {"queries": queries})


@login_required
@require_http_methods(["GET", "POST"])
def query_edit(request: HttpRequest, query_id: int | None = None) -> HttpResponse:
    _may_set_up(request)
    instance = get_object_or_404(MonitoringQuery, pk=query_id) if query_id is not None else None
    form = MonitoringQueryPageForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("The monitoring query “%(name)s” is saved.") % {"name": saved.name})
        return redirect("intake:monitoring")
    context = {
        "form": form,
        "query": instance,
        "last_choices": monitoring_preview.LAST_CHOICES,
        "last": monitoring_preview.DEFAULT_LAST,
    }
    return render(request, "intake/monitoring_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def query_preview(request: HttpRequest) -> HttpResponse:
    """The preview block: how many of the last N posts the query (as typed, not saved) matches."""
    _may_set_up(request)
    form = PreviewForm(request.POST)
    text, sources, territories, last = "", [], [], monitoring_preview.DEFAULT_LAST
    if form.is_valid():
        text = form.cleaned_data["query"].strip()
        sources = [s.pk for s in form.cleaned_data["sources"]]
        territories = [t.pk for t in form.cleaned_data["territories"]]
        last = form.cleaned_data["last"] or last
    found = (
        monitoring_preview.preview(text, sources=sources, territories=territories, last=last)
        if text
        else None
    )
    return render(request, "intake/_monitoring_preview.html", {"preview": found, "empty": not text})
