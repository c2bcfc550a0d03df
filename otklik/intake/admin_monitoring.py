"""Monitoring queries in the admin: an invalid query is a clear error on the form; a test box tries it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import MonitoringQuery
from .monitoring import QuerySyntaxError, compile_edited, compile_query


class MonitoringQueryForm(forms.ModelForm):
    sample = forms.CharField(
        label=_("Try it on a text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Not saved: the form says whether the query matches this text."),
    )

    class Meta:
        model = MonitoringQuery
        fields = ("name", "query", "is_active", "sources", "territories", "categories")

    def clean_query(self) -> str:
        text = self.cleaned_data.get("query", "")
        try:
            compile_edited(text)
        except QuerySyntaxError as exc:
            raise forms.ValidationError(_("Invalid query: %(error)s") % {"error": exc}) from exc
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        sample, text = data.get("sample"), data.get("query")
        if sample and text:
            from .monitoring import Scanner

            matched = Scanner([compile_query(text, name="?")]).scan(sample)
            verdict = (
                _("Matches: %(terms)s") % {"terms": ", ".join(matched[0].found)}
                if matched
                else _("Does not match.")
            )
            self.add_error("sample", verdict)
        return data


@admin.register(MonitoringQuery)
class MonitoringQueryAdmin(admin.ModelAdmin):
    form = MonitoringQueryForm
    list_display = ("name", "query", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "query")
    filter_horizontal = ("categories", "sources", "territories")
