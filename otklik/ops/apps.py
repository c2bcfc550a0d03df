from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Running Otklik in production: health and readiness, metrics, logs, backups, the replica
    router and the bookkeeping that makes a periodic job run once however many processes run it."""

    name = "otklik.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from otklik import periodic

        from . import signals  # noqa: F401  (Celery publish/worker hooks)
        from .jobs import run_once

        periodic.set_run_once(run_once)
