from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Deputy, Faction, PageVisit, RegionalCoordinator
from .services import office_for


@admin.register(Faction)
class FactionAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name")
    search_fields = ("name", "short_name")
    filter_horizontal = ("coordinators",)


@admin.register(Deputy)
class DeputyAdmin(admin.ModelAdmin):
    list_display = (
        "full_name",
        "region",
        "level",
        "council",
        "faction",
        "constituency",
        "office",
        "is_active",
    )
    list_filter = ("region", "level", "faction", "is_active")
    list_select_related = ("region", "faction", "office")
    search_fields = ("full_name", "constituency", "council")
    filter_horizontal = ("territories",)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("office",) if obj is None else ()  # a new deputy gets a reception office of their own

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("office",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Deputy, form: Any, change: bool) -> None:
        if not obj.office_id:
            obj.office = office_for(obj.full_name)
        super().save_model(request, obj, form, change)


@admin.register(PageVisit)
class PageVisitAdmin(admin.ModelAdmin):
    list_display = ("deputy", "day", "count")
    list_filter = ("day",)
    date_hierarchy = "day"

    # Visits are counted, not edited: the service's figures sum them by the day they were counted.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RegionalCoordinator)
class RegionalCoordinatorAdmin(admin.ModelAdmin):
    """A party coordinator bound to a region sees that region's rating only; one bound to none is
    the party's headquarters (every region)."""

    list_display = ("user", "region")
    list_filter = ("region",)
    autocomplete_fields = ("user",)
