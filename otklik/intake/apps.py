from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "otklik.intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from otklik.cases.notifications import register_reply_publisher

        from .replies import publish_reply

        register_reply_publisher(publish_reply)
