from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeputiesConfig(AppConfig):
    name = "otklik.deputies"
    verbose_name = _("Deputies")
