from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles; what each may do is its row in :mod:`otklik.accounts.permissions`."""

    MODERATOR = "moderator", _("Moderator")
    EXECUTOR = "executor", _("Agency executor")
    SUPERVISOR = "supervisor", _("Supervisor")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")
    COORDINATOR = "coordinator", _("Party coordinator")
    OBSERVER = "observer", _("Election observer")
    LAWYER = "lawyer", _("Lawyer")
    CALL_OPERATOR = "call_operator", _("Call-center operator")
