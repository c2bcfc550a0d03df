"""Reference data of a region, edited by administrators."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Agency, CalendarDay, Category, DeadlinePolicy, RoutingRule, Territory


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "oktmo", "population", "has_geometry")
    list_filter = ("kind", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "oktmo", "aliases")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    @admin.display(boolean=True, description=_("geometry"))
    def has_geometry(self, obj: Territory) -> bool:
        return bool(obj.geometry)


class SubcategoryInline(admin.TabularInline):
    model = Category
    fk_name = "parent"
    fields = ("code", "name", "order", "is_active", "keywords")
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "parent", "order", "is_active", "is_public")
    list_filter = ("is_active", "is_public", ("parent", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "code", "keywords")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"code": ("name",)}
    inlines = (SubcategoryInline,)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "email", "phone", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "email")
    filter_horizontal = ("territories", "categories")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "category", "territory", "agency", "priority", "is_fallback", "is_active")
    list_filter = ("is_active", "is_fallback", ("agency", admin.RelatedOnlyFieldListFilter))
    search_fields = ("category__name", "territory__name", "agency__name")
    autocomplete_fields = ("category", "territory", "agency")
    list_select_related = ("category", "territory", "agency")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "channel",
        "social_only",
        "category",
        "urgent_only",
        "amount",
        "unit",
        "interim_amount",
        "interim_unit",
        "clock_start",
        "priority",
        "is_active",
    )
    list_filter = ("is_active", "channel", "unit", "urgent_only", "clock_start")
    search_fields = ("name",)
    autocomplete_fields = ("category",)


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "note")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("note",)
