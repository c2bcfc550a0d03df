"""Deputies ("Избиратель – депутат"): deputies by level, faction and constituency, each with a
reception office — an Agency of kind "deputy", so an appeal to a deputy is a case routed to that
office and the whole case engine (deadlines, answers, approval, ratings, KPIs, scoping) applies:
the deputy and the assistants are executors of their office and see only the appeals to them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from otklik.directory.models import Agency, Territory


class Level(models.TextChoices):
    REGIONAL = "regional", _("Regional parliament")
    CAPITAL = "capital", _("Council of the regional capital")
    MUNICIPAL = "municipal", _("Municipal council")


LEVEL_ORDER = {level: n for n, level in enumerate(Level.values)}  # the parliament first
# A deputy's region's outline and other long fields: not read by a page that only names the region.
LIGHT_REGION = ("region__geometry", "region__bbox", "region__aliases")


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
    region = models.ForeignKey(
        Territory,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="region_deputies",
        limit_choices_to={"kind": "region"},
        help_text=_(
            "The region whose parliament or council the deputy sits in (one installation, many regions)."
        ),
    )
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
        indexes = [models.Index(fields=["region", "level", "full_name"], name="deputy_region_level")]

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
        indexes = [models.Index(fields=["day"], name="pagevisit_day")]

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


class RegionalCoordinator(models.Model):
    """A party coordinator bound to a region: they see the rating of their factions' deputies of that
    region only. A coordinator bound to no region is the party's headquarters: every region."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("coordinator"),
        on_delete=models.CASCADE,
        related_name="coordinated_regions",
    )
    region = models.ForeignKey(
        Territory,
        verbose_name=_("region"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"kind": "region"},
    )

    class Meta:
        verbose_name = _("regional coordinator")
        verbose_name_plural = _("regional coordinators")
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="regional_coordinator_once")]

    def __str__(self) -> str:
        return f"{self.user} — {self.region}"


class RatingRow(models.Model):
    """One deputy's figures in the rating of a period (the last ``days`` days), stored by
    :func:`otklik.deputies.ratings.refresh` from the analytics rollups so that the rating's pages page
    through a table instead of aggregating appeals per request. Counts and shares only (decision 0007)."""

    days = models.PositiveSmallIntegerField()
    deputy = models.ForeignKey(Deputy, on_delete=models.CASCADE, related_name="rating_rows")
    rank = models.PositiveIntegerField()  # among every active deputy of the installation
    score = models.FloatField(null=True)
    received = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    ratings_good = models.IntegerField(default=0)
    published = models.IntegerField(default=0)
    concrete = models.IntegerField(default=0)
    replies_asked = models.IntegerField(default=0)
    replies_answered = models.IntegerField(default=0)
    replies_yes = models.IntegerField(default=0)
    final_median = models.FloatField(null=True)  # working minutes
    visits = models.IntegerField(default=0)
    portal = models.IntegerField(default=0)
    calls = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("rating row")
        verbose_name_plural = _("rating rows")
        constraints = [models.UniqueConstraint(fields=["days", "deputy"], name="ratingrow_once")]
        indexes = [models.Index(fields=["days", "rank"], name="ratingrow_rank")]

    def __str__(self) -> str:
        return f"{self.days} d, {self.deputy_id}: {self.score}"

    @property
    def shares(self) -> dict[str, float | None]:
        return rating_shares(self.__dict__)


def _share(hit: int, n: int) -> float | None:
    return hit / n if n else None


def rating_shares(row: Any) -> dict[str, float | None]:
    """The raw shares of a stored rating row (a :class:`RatingRow`'s fields, as a mapping)."""
    answered = row["answered"]
    return {
        "responsiveness": _share(answered, row["received"]),
        "speed": _share(row["on_time"], answered),
        "quality": _share(answered - row["reopened"], answered),
        "feedback": _share(row["ratings_good"], row["ratings"]),
        "replied": _share(row["replies_yes"], row["replies_answered"]),
        "concrete": _share(row["concrete"], row["published"]),
    }


class RatingState(models.Model):
    """What the stored rating of a period was computed from (its fingerprint) and when."""

    days = models.PositiveSmallIntegerField(primary_key=True)
    fingerprint = models.CharField(max_length=200)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = _("rating state")
        verbose_name_plural = _("rating states")

    def __str__(self) -> str:
        return f"{self.days} d: {self.computed_at}"


class TopicWeek(models.Model):
    """Appeals to deputies by region, municipality, top category and week (Monday): counts only, so
    the topics can be read by territory without opening a private appeal (decision 0007)."""

    region = models.IntegerField(default=0)  # 0: the deputy has no region
    territory = models.IntegerField(default=0)  # the municipality; 0: not placed
    category = models.IntegerField(default=0)  # the top category; 0: not classified
    week = models.DateField()
    appeals = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("appeals to deputies by topic and week")
        verbose_name_plural = _("appeals to deputies by topic and week")
        indexes = [models.Index(fields=["region", "week"], name="topicweek_region_week")]

    def __str__(self) -> str:
        return f"{self.week} r{self.region} t{self.territory} c{self.category}: {self.appeals}"


# --- «Мой депутат» as a service: its figures kept as rollups (:mod:`otklik.deputies.service_counts`) --


class AppealFact(models.Model):
    """How one appeal to a deputy is counted in the service's figures: the week it was made, the
    deputy's faction and region (whose figures a user may see), its district and channel, answered,
    on time. Kept so that a change to the appeal (or to its deputy) subtracts exactly what it added."""

    case_id = models.BigIntegerField(primary_key=True)
    deputy = models.IntegerField(db_index=True)
    week = models.DateField()  # Monday of the local day the appeal was made
    faction = models.IntegerField(default=0)  # 0: none
    region = models.IntegerField(default=0)  # 0: none
    district = models.IntegerField(default=0)  # the municipality right under the region; 0: not known
    channel = models.CharField(max_length=20)
    answered = models.BooleanField(default=False)
    on_time = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("appeal to a deputy as counted")
        verbose_name_plural = _("appeals to deputies as counted")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.week} d{self.district} {self.channel}"


class ServiceWeek(models.Model):
    """The appeals to deputies by week, faction, region, district and channel (sums of
    :class:`AppealFact`, kept by deltas)."""

    week = models.DateField()
    faction = models.IntegerField(default=0)
    region = models.IntegerField(default=0)
    district = models.IntegerField(default=0)
    channel = models.CharField(max_length=20)
    appeals = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("appeals to deputies by week")
        verbose_name_plural = _("appeals to deputies by week")
        constraints = [
            models.UniqueConstraint(
                fields=["week", "faction", "region", "district", "channel"], name="serviceweek_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} f{self.faction} r{self.region} d{self.district} {self.channel}: {self.appeals}"


class VisitWeek(models.Model):
    """Visits of the deputies' pages by week, faction and region (sums of :class:`PageVisit`)."""

    week = models.DateField()
    faction = models.IntegerField(default=0)
    region = models.IntegerField(default=0)
    visits = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("visits of the deputies' pages by week")
        verbose_name_plural = _("visits of the deputies' pages by week")
        constraints = [models.UniqueConstraint(fields=["week", "faction", "region"], name="visitweek_key")]

    def __str__(self) -> str:
        return f"{self.week} f{self.faction} r{self.region}: {self.visits}"


class CountedDeputy(models.Model):
    """A deputy as the service's figures last counted them: their office, faction, region and the
    district their appeals without a place count in (the constituency's first). A deputy whose
    row differs from what they are now has their appeals and visits counted again."""

    deputy = models.IntegerField(primary_key=True)
    office = models.IntegerField()
    faction = models.IntegerField(default=0)
    region = models.IntegerField(default=0)
    district = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("deputy as counted")
        verbose_name_plural = _("deputies as counted")

    def __str__(self) -> str:
        return f"{self.deputy}: o{self.office} f{self.faction} r{self.region} d{self.district}"


class ServiceState(models.Model):
    """Where the service's figures' upkeep stopped: the watermarks of the cases (as the analytics
    rollups' own) and of the page visits, and when it last ran (None: build them whole)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_updated_at = models.DateTimeField(null=True)
    last_visit_id = models.BigIntegerField(default=0)
    visits_week = models.DateField(null=True)  # the current week when the visits were last summed
    refreshed_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("service figures' state")
        verbose_name_plural = _("service figures' state")

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_at}"
