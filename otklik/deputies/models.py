"""Deputies ("Избиратель – депутат"): deputies by level, faction and constituency, each with a
reception office — an Agency of kind "deputy", so an appeal to a deputy is a case routed to that
office and the whole case engine (deadlines, answers, approval, ratings, KPIs, scoping) applies:
the deputy and the assistants are executors of their office and see only the appeals to them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.directory.models import Agency, Territory


class Level(models.TextChoices):
    REGIONAL = "regional", _("Regional parliament")
    MUNICIPAL = "municipal", _("Municipal council")


class Faction(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinators"),
        blank=True,
        related_name="coordinated_factions",
        help_text=_("Party coordinators who see the rating of this faction's deputies."),
    )

    class Meta:
        verbose_name = _("faction")
        verbose_name_plural = _("factions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Deputy(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.REGIONAL)
    council = models.CharField(_("council"), max_length=200, help_text=_("The parliament or council."))
    faction = models.ForeignKey(
        Faction,
        verbose_name=_("faction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deputies",
    )
    constituency = models.CharField(_("constituency"), max_length=200, blank=True)
    territories = models.ManyToManyField(
        Territory, verbose_name=_("territories of the constituency"), blank=True, related_name="deputies"
    )
    office = models.OneToOneField(
        Agency,
        verbose_name=_("reception office"),
        on_delete=models.PROTECT,
        related_name="deputy",
        help_text=_("Appeals to the deputy are cases routed to this agency; its executors answer them."),
    )
    about = models.TextField(_("about"), blank=True)
    reception_hours = models.CharField(_("reception hours"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deputy")
        verbose_name_plural = _("deputies")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name


class PageVisit(models.Model):
    """Visits of a deputy's public page, counted per day (the portal's statistics)."""

    deputy = models.ForeignKey(Deputy, on_delete=models.CASCADE, related_name="visits")
    day = models.DateField(_("day"))
    count = models.PositiveIntegerField(_("visits"), default=0)

    class Meta:
        verbose_name = _("page visits")
        verbose_name_plural = _("page visits")
        constraints = [models.UniqueConstraint(fields=["deputy", "day"], name="deputy_visit_day")]

    def __str__(self) -> str:
        return f"{self.deputy} {self.day}: {self.count}"


class Reply(models.TextChoices):
    YES = "yes", _("Yes, I got a reply")
    NO = "no", _("No reply")


class ReplyCheck(models.Model):
    """The question WriteToThem asks: two weeks after an appeal to a deputy, did the resident get a
    reply? Asked once per appeal (by email where the resident left an address, and on the appeal's
    status page); the answers feed the deputies' rating and the public responsiveness table."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="reply_check"
    )
    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="reply_checks"
    )
    asked_at = models.DateTimeField(_("asked"), db_index=True)
    emailed = models.BooleanField(_("asked by email"), default=False)
    reply = models.CharField(_("the resident's answer"), max_length=8, choices=Reply.choices, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("reply check")
        verbose_name_plural = _("reply checks")
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.reply or '—'}"
