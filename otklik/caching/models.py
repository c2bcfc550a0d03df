"""The versions of what processes keep built in memory (:mod:`otklik.caching`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CacheVersion(models.Model):
    """The current version of one kind of data that processes cache (the production calendar, the
    category rules, the monitoring queries…): a new random token whenever that data changes, written
    in the transaction that changes it. A token, not a counter: a rolled-back change leaves the
    previous token, never one a process may have built something else under."""

    key = models.CharField(_("key"), max_length=100, primary_key=True)
    token = models.CharField(_("token"), max_length=32)

    class Meta:
        verbose_name = _("cache version")
        verbose_name_plural = _("cache versions")

    def __str__(self) -> str:
        return f"{self.key}: {self.token}"
