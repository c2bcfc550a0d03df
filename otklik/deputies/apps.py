from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from otklik import periodic


class DeputiesConfig(AppConfig):
    name = "otklik.deputies"
    verbose_name = _("Deputies")

    def ready(self) -> None:
        # Two weeks after an appeal to a deputy: "did you get a reply?"
        periodic.register("ask-about-deputies-replies", 3600, "otklik.deputies.tasks.run_periodic_jobs")
        # The rating of every period stored from the rollups, so that its pages read a table.
        periodic.register("deputies-rating", 300, "otklik.deputies.tasks.refresh_ratings")
        # «Мой депутат»'s service figures kept by deltas, so that its page reads a few hundred rows.
        periodic.register("deputies-service-figures", 60, "otklik.deputies.tasks.refresh_service_figures")
        # ... and the resident answers it on their status page (the public app knows nothing of deputies).
        from otklik.public.services import register_status_panel

        from .followup import status_panel

        register_status_panel(status_panel)
