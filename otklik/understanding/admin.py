from __future__ import annotations

from django.contrib import admin

from .models import BurstAlert


@admin.register(BurstAlert)
class BurstAlertAdmin(admin.ModelAdmin):
    list_display = ("window_start", "category", "territory", "count", "baseline", "score", "acknowledged_at")
    list_filter = ("category", "acknowledged_at")
    search_fields = ("category__name", "territory__name")
    readonly_fields = ("case_ids", "created_at", "updated_at")
