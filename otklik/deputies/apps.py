from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from otklik import periodic


class DeputiesConfig(AppConfig):
    name = "otklik.deputies"
    verbose_name = _("Deputies")

    def ready(self) -> None:
        # Two weeks after an appeal to a deputy: "did you get a reply?"
        periodic.register("ask-about-deputies-replies", 3600, "otklik.deputies.tasks.run_periodic_jobs")
