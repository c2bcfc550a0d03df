from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import Role


class User(AbstractUser):
    """A person working in Otklik; what they may do is the row of ``role`` in
    :mod:`otklik.accounts.permissions` (bound to ``agency`` for those who answer for one)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MODERATOR)
    agency = models.ForeignKey(
        "directory.Agency",
        verbose_name=_("agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("Required for executors: they see only cases routed to this agency."),
    )
    telegram_chat_id = models.CharField(_("Telegram chat id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        from .permissions import Capability, role_grants

        super().clean()
        if role_grants(self.role, Capability.ANSWER_FOR_AGENCY) and self.agency_id is None:
            raise ValidationError({"agency": _("An executor must belong to an agency.")})
