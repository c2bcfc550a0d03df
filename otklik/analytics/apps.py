from django.apps import AppConfig
from django.conf import settings

from otklik import caching, periodic


class AnalyticsConfig(AppConfig):
    name = "otklik.analytics"

    def ready(self) -> None:
        from .heatmap import OUTLINES

        caching.bump_on_change(OUTLINES, "directory.Territory")  # in every process that may write one
        periodic.register(
            "refresh-analytics-rollups",
            settings.OTKLIK_OVERDUE_CHECK_SECONDS,
            "otklik.analytics.tasks.run_periodic_jobs",
        )
