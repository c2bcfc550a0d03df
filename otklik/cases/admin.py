"""Cases in the admin: for inspection. Status changes go through the case card (actions), not here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Answer, Case, CaseEvent, Rating


class ReadOnlyMixin:
    """Append-only or workflow-owned rows: visible, never added, changed or deleted by hand."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyMixin, admin.TabularInline):
    model = CaseEvent
    fields = ("created_at", "actor", "kind", "from_status", "to_status", "comment")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")


class AnswerInline(ReadOnlyMixin, admin.StackedInline):
    model = Answer
    fields = ("kind", "status", "author", "agency", "created_at", "text", "review_comment", "published_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "status",
        "category",
        "territory",
        "agency",
        "channel",
        "message_count",
        "deadline_at",
        "is_overdue",
        "created_at",
    )
    list_filter = (
        "status",
        "channel",
        "is_overdue",
        "is_urgent",
        ("agency", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("number", "title", "text", "address")
    date_hierarchy = "created_at"
    list_select_related = ("category", "territory", "agency")
    raw_id_fields = ("merged_into",)
    autocomplete_fields = (
        "category",
        "territory",
        "agency",
        "suggested_category",
        "suggested_territory",
        "suggested_agency",
    )
    # The workflow owns these: they change only through otklik.cases.actions.
    readonly_fields = (
        "number",
        "status",
        "agency",
        "merged_into",
        "assigned_at",
        "deadline_at",
        "interim_deadline_at",
        "deadline_policy",
        "first_answer_at",
        "answered_at",
        "published_at",
        "closed_at",
        "is_overdue",
        "escalated_at",
        "answer_working_minutes",
        "reopen_count",
        "message_count",
        "author_count",
        "created_at",
        "updated_at",
    )
    inlines = (AnswerInline, CaseEventInline)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "kind", "status", "author", "agency", "created_at", "published_at")
    list_filter = ("kind", "status")
    search_fields = ("case__number", "text")
    list_select_related = ("case", "author", "agency")


@admin.register(Rating)
class RatingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("case", "score", "created_at")
    list_filter = ("score",)
    search_fields = ("case__number", "comment")
    list_select_related = ("case",)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "case", "kind", "actor", "from_status", "to_status")
    list_filter = ("kind", "to_status")
    search_fields = ("case__number", "comment")
    list_select_related = ("case", "actor")
    date_hierarchy = "created_at"
