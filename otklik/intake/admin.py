"""Sources, raw messages and dead letters in the admin; dead letters can be replayed."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import admin_monitoring  # noqa: F401  (registers the monitoring queries)
from .deadletters import replay_dead_letter
from .models import DeadLetter, Message, OfficialPage, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "channel", "connector", "is_enabled", "last_fetched_at")
    list_filter = ("channel", "connector", "is_enabled")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "posted_at", "channel", "author_name", "is_relevant", "case", "short_text")
    list_filter = ("is_relevant", "channel", ("source", admin.RelatedOnlyFieldListFilter), "posted_at")
    search_fields = ("text", "external_id", "author_name", "author_id", "case__number")
    date_hierarchy = "posted_at"
    list_select_related = ("source", "case")
    raw_id_fields = ("case",)
    readonly_fields = ("text_hash", "received_at")

    @admin.display(description=_("text"))
    def short_text(self, obj: Message) -> str:
        return obj.text if len(obj.text) <= 80 else f"{obj.text[:79]}…"


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("created_at", "stage", "source", "external_id", "short_reason", "attempts", "replayed_at")
    list_filter = (
        "stage",
        ("source", admin.RelatedOnlyFieldListFilter),
        ("replayed_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("external_id", "reason", "payload")
    date_hierarchy = "created_at"
    list_select_related = ("source",)
    readonly_fields = ("created_at", "replayed_at", "attempts")
    actions = ("replay",)

    @admin.display(description=_("reason"))
    def short_reason(self, obj: DeadLetter) -> str:
        return obj.reason if len(obj.reason) <= 80 else f"{obj.reason[:79]}…"

    @admin.action(description=_("Replay through the pipeline"))
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        done = failed = 0
        for dead_letter in queryset.filter(replayed_at=None).select_related("source"):
            result = replay_dead_letter(dead_letter)
            if result is not None and not result.dead_letters:
                done += 1
            else:
                failed += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d dead letter replayed.", "%(n)d dead letters replayed.", done) % {"n": done},
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(n)d dead letter failed again; see its reason.",
                    "%(n)d dead letters failed again; see their reasons.",
                    failed,
                )
                % {"n": failed},
                messages.WARNING,
            )


@admin.register(OfficialPage)
class OfficialPageAdmin(admin.ModelAdmin):
    list_display = ("name", "source", "ref", "agency", "territory", "answer_norm_hours", "is_active")
    list_filter = ("is_active", ("source", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "ref", "url")
    filter_horizontal = ("admins",)
    readonly_fields = ("reminded_at",)
