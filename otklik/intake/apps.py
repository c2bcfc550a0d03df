from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from otklik import periodic


class IntakeConfig(AppConfig):
    name = "otklik.intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from otklik.cases.notifications import register_reply_publisher

        from . import monitoring  # the receivers versioning its compiled queries
        from .replies import publish_reply

        monitoring.watch_scopes()
        register_reply_publisher(publish_reply)
        # The connectors' sources whose next attempt has come (each keeps its own interval and back-off).
        periodic.register("fetch-sources", 5, "otklik.intake.fetching.fetch_due_sources", queue="intake")
        # Official pages' administrators are reminded of residents' comments left without an answer.
        periodic.register("official-pages-reminders", 3600, "otklik.intake.pages.send_reminders")
