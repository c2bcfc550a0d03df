from __future__ import annotations

from django.contrib import admin

from .models import Building, BurstAlert, Institution, NamedPlace, Street


@admin.register(BurstAlert)
class BurstAlertAdmin(admin.ModelAdmin):
    list_display = ("window_start", "category", "territory", "count", "baseline", "score", "acknowledged_at")
    list_filter = ("category", "acknowledged_at")
    search_fields = ("category__name", "territory__name")
    readonly_fields = ("case_ids", "created_at", "updated_at")


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    """The region's registry of institutions the place resolver reads (learned, imported, by hand)."""

    list_display = (
        "kind",
        "number",
        "territory",
        "name",
        "lat",
        "lon",
        "source",
        "confirmations",
        "is_active",
    )
    list_filter = ("kind", "source", "is_active")
    list_editable = ("is_active",)
    search_fields = ("kind", "number", "name", "address", "territory__name")
    autocomplete_fields = ("territory",)
    readonly_fields = ("confirmations", "created_at", "updated_at")


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0
    fields = ("house", "korpus", "litera", "stroenie", "lat", "lon", "territory")
    autocomplete_fields = ("territory",)


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    """The region's address registry (``otklik import-addresses``, ``otklik import-osm``)."""

    list_display = ("kind", "name", "settlement", "region", "source")
    list_filter = ("kind", "source", "region")
    search_fields = ("name", "settlement")
    readonly_fields = ("key",)
    inlines = (BuildingInline,)


@admin.register(NamedPlace)
class NamedPlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "territory", "lat", "lon", "source")
    list_filter = ("kind", "source", "region")
    search_fields = ("name", "aliases")
    autocomplete_fields = ("territory",)
