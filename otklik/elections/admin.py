from django.contrib import admin

from .models import (
    CampaignEvent,
    ChecklistQuestion,
    Commission,
    DistrictVideoLink,
    Election,
    EventQuestion,
    ExitPollOption,
    ExitPollSheet,
    Incident,
    Observer,
    ObserverCall,
    PollingStation,
    Protocol,
    Report,
    VideoSession,
    ViolationType,
    VoterCall,
)


class ExitPollOptionInline(admin.TabularInline):
    model = ExitPollOption
    extra = 1


class ChecklistQuestionInline(admin.TabularInline):
    model = ChecklistQuestion
    extra = 1


@admin.register(Election)
class ElectionAdmin(admin.ModelAdmin):
    list_display = ("name", "day", "is_active")
    inlines = [ExitPollOptionInline, ChecklistQuestionInline]


@admin.register(ExitPollSheet)
class ExitPollSheetAdmin(admin.ModelAdmin):
    list_display = ("station", "election", "author", "declined", "created_at")
    list_filter = ("election",)


@admin.register(Commission)
class CommissionAdmin(admin.ModelAdmin):
    list_display = ("name", "territory")
    search_fields = ("name",)


@admin.register(PollingStation)
class PollingStationAdmin(admin.ModelAdmin):
    list_display = ("number", "commission", "registered_voters", "address")
    list_filter = ("commission",)
    search_fields = ("=number", "address")


@admin.register(Observer)
class ObserverAdmin(admin.ModelAdmin):
    list_display = ("user", "station", "phone")
    autocomplete_fields = ("station",)
    search_fields = ("user__username", "user__last_name")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("station", "kind", "violation_type", "turnout", "created_at", "author")
    list_filter = ("kind", "violation_type", "election")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("report", "status", "lawyer", "updated_at")
    list_filter = ("status",)


class EventQuestionInline(admin.TabularInline):
    model = EventQuestion
    extra = 0
    raw_id_fields = ("case",)


@admin.register(CampaignEvent)
class CampaignEventAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "candidate", "faction", "place", "territory", "attendance")
    list_filter = ("election", "faction")
    search_fields = ("candidate", "place")
    inlines = [EventQuestionInline]


@admin.register(VoterCall)
class VoterCallAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "station", "phone", "operator")
    list_filter = ("kind", "election")


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ("station", "election", "registered", "issued", "valid", "invalid", "loaded_at")
    list_filter = ("election",)
    search_fields = ("station__number",)
    list_select_related = ("station", "election")
    raw_id_fields = ("station",)


@admin.register(ViolationType)
class ViolationTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "keywords", "order", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("name", "code")


@admin.register(ObserverCall)
class ObserverCallAdmin(admin.ModelAdmin):
    list_display = ("called_at", "station", "phone", "outcome", "caller")
    list_filter = ("outcome", "election")
    search_fields = ("=station__number", "phone")
    list_select_related = ("station", "caller")
    raw_id_fields = ("station", "observer")


@admin.register(DistrictVideoLink)
class DistrictVideoLinkAdmin(admin.ModelAdmin):
    list_display = ("territory", "url", "service", "contact")
    search_fields = ("territory__name", "service")
    autocomplete_fields = ("territory",)


@admin.register(VideoSession)
class VideoSessionAdmin(admin.ModelAdmin):
    list_display = ("starts_at", "title")
    filter_horizontal = ("districts",)
