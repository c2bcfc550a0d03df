from django.apps import AppConfig
from django.conf import settings

from otklik import periodic


class AnalyticsConfig(AppConfig):
    name = "otklik.analytics"

    def ready(self) -> None:
        periodic.register(
            "refresh-analytics-rollups",
            settings.OTKLIK_OVERDUE_CHECK_SECONDS,
            "otklik.analytics.tasks.run_periodic_jobs",
        )
