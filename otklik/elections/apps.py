from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ElectionsConfig(AppConfig):
    name = "otklik.elections"
    verbose_name = _("Elections")

    def ready(self) -> None:
        # Observers report through the notification bot (otklik.elections.telegram).
        from otklik.cases.telegram_bot import register_handler

        from . import live
        from .telegram import observer_message

        register_handler(observer_message)
        # The shared live figures of the dashboard get a new version when their data changes.
        live.connect()
