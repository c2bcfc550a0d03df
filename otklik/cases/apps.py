from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "otklik.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Registers the receivers that drop the cached production calendar when CalendarDay changes.
        from . import deadlines  # noqa: F401
