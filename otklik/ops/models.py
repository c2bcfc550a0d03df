"""What operations keep in the database: the last run of every periodic job."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """One row per periodic job: when it last started and finished, and how.

    The row is also the job's lock: a process runs the job only while it holds the row
    (``SELECT … FOR UPDATE SKIP LOCKED``) and only when the last start is older than the job's
    interval, so the job runs once however many web processes, runners or beats are started."""

    name = models.CharField(_("job"), max_length=120, unique=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=True)
    error = models.TextField(_("last error"), blank=True)
    duration = models.FloatField(_("seconds"), null=True, blank=True)
    host = models.CharField(_("ran on"), max_length=200, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    every = models.FloatField(_("interval, seconds"), null=True, blank=True)

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
