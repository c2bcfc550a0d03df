from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MODERATOR = "moderator", _("Moderator")
    EXECUTOR = "executor", _("Agency executor")
    SUPERVISOR = "supervisor", _("Supervisor")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")
    COORDINATOR = "coordinator", _("Party coordinator")
    OBSERVER = "observer", _("Election observer")
    LAWYER = "lawyer", _("Lawyer")


# Roles that see every case (the whole incoming flow of the center).
ALL_CASES_ROLES = frozenset({Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR})
