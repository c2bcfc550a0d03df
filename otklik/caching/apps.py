from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CachingConfig(AppConfig):
    """What every process keeps built in memory, and the versions that tell it when to rebuild."""

    name = "otklik.caching"
    verbose_name = _("Caching")
