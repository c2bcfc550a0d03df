"""Rollup tables: the only thing analytics pages read (besides a few example texts).

``CaseFact`` keeps each case's last contribution, so :func:`otklik.analytics.rollups.refresh_rollups`
can subtract the old contribution and add the new one when a case changes (incremental upkeep).
The aggregate tables are keyed by plain integers with 0 for "none" (a NULL would break the unique
key the additive upsert relies on); they are not foreign keys on purpose: no cascade, no join.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseFact(models.Model):
    """One case as the rollups last counted it."""

    case_id = models.BigIntegerField(primary_key=True)
    day = models.DateField()
    territory = models.IntegerField(default=0)  # the municipality (district / urban okrug)
    category = models.IntegerField(default=0)  # top category
    subcategory = models.IntegerField(default=0)
    channel = models.CharField(max_length=20)
    agency = models.IntegerField(default=0)
    cell_lo = models.CharField(max_length=16, blank=True)  # H3 cells of the case's point
    cell_hi = models.CharField(max_length=16, blank=True)
    messages = models.IntegerField(default=0)
    is_open = models.BooleanField(default=False)
    is_overdue = models.BooleanField(default=False)
    is_resolved = models.BooleanField(default=False)
    answered = models.BooleanField(default=False)
    on_time = models.BooleanField(default=False)
    reopened = models.BooleanField(default=False)
    ratings = models.IntegerField(default=0)
    ratings_good = models.IntegerField(default=0)
    first_minutes = models.IntegerField(null=True)
    final_minutes = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")

    def __str__(self) -> str:
        return f"case {self.case_id}"


class Counts(models.Model):
    """The measures every area rollup ("cube") holds for the cases of its key."""

    cases = models.IntegerField(default=0)
    messages = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)

    class Meta:
        abstract = True


def _cube(name: str, fields: list[str], doc: str) -> type[Counts]:
    """A smaller rollup of ``AreaDay``: the same measures over fewer dimensions (fewer rows to sum)."""
    attrs: dict[str, object] = {
        "__module__": __name__,
        "__doc__": doc,
        "day": models.DateField(),
        "Meta": type(
            "Meta",
            (),
            {
                "verbose_name": doc,
                "verbose_name_plural": doc,
                "constraints": [models.UniqueConstraint(fields=fields, name=f"{name.lower()}_key")],
            },
        ),
        "__str__": lambda self: f"{name} {self.day}: {self.cases}",
    }
    for field in fields:
        if field == "channel":
            attrs[field] = models.CharField(max_length=20)
        elif field != "day":
            attrs[field] = models.IntegerField()
    return type(name, (Counts,), attrs)


TerritoryDay = _cube("TerritoryDay", ["day", "territory"], "daily counts by municipality")
TerritoryChannelDay = _cube(
    "TerritoryChannelDay", ["day", "territory", "channel"], "daily counts by municipality and channel"
)
TerritoryCategoryDay = _cube(
    "TerritoryCategoryDay", ["day", "territory", "category"], "daily counts by municipality and category"
)
ProblemDay = _cube("ProblemDay", ["day", "category", "subcategory"], "daily counts by problem")
ProblemChannelDay = _cube(
    "ProblemChannelDay", ["day", "category", "subcategory", "channel"], "daily counts by problem and channel"
)


class AreaDay(Counts):
    """Cases created on a day, by municipality × category × subcategory × channel (every dimension)."""

    day = models.DateField()
    territory = models.IntegerField()
    category = models.IntegerField()
    subcategory = models.IntegerField()
    channel = models.CharField(max_length=20)

    class Meta:
        verbose_name = _("daily counts by territory")
        verbose_name_plural = _("daily counts by territory")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "territory", "category", "subcategory", "channel"], name="areaday_key"
            )
        ]
        indexes = [models.Index(fields=["territory", "day"], name="areaday_territory_day")]

    def __str__(self) -> str:
        return (
            f"{self.day} t{self.territory} c{self.category}/{self.subcategory} {self.channel}: {self.cases}"
        )


class HexWeek(models.Model):
    """Cases created in a week (``week`` is its Monday), by H3 cell (two resolutions) × category × channel.

    Weekly, not daily: a hexagon map over a month sums five rows per cell instead of thirty."""

    week = models.DateField()
    resolution = models.SmallIntegerField()
    cell = models.CharField(max_length=16)
    category = models.IntegerField()
    channel = models.CharField(max_length=20)
    lat = models.FloatField()
    lon = models.FloatField()
    cases = models.IntegerField(default=0)
    messages = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily counts by hexagon")
        verbose_name_plural = _("daily counts by hexagon")
        constraints = [
            models.UniqueConstraint(
                fields=["resolution", "week", "cell", "category", "channel"], name="hexweek_key"
            )
        ]
        indexes = [
            models.Index(fields=["resolution", "category", "week"], name="hexweek_res_category_week"),
            models.Index(fields=["resolution", "channel", "week"], name="hexweek_res_channel_week"),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.cell}: {self.cases}"


class HexTotalWeek(models.Model):
    """``HexWeek`` summed over categories and channels: the hexagon map without filters."""

    week = models.DateField()
    resolution = models.SmallIntegerField()
    cell = models.CharField(max_length=16)
    lat = models.FloatField()
    lon = models.FloatField()
    cases = models.IntegerField(default=0)
    messages = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("weekly counts by hexagon, all categories")
        verbose_name_plural = _("weekly counts by hexagon, all categories")
        constraints = [
            models.UniqueConstraint(fields=["resolution", "week", "cell"], name="hextotalweek_key")
        ]
        indexes = [
            models.Index(fields=["resolution", "week", "lat", "lon"], name="hextotalweek_res_week_lat")
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.cell}: {self.cases}"


class AgencyDay(models.Model):
    """Cases routed to an agency, by the day they were created."""

    day = models.DateField()
    agency = models.IntegerField()
    received = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    ratings_good = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily agency counts")
        verbose_name_plural = _("daily agency counts")
        constraints = [models.UniqueConstraint(fields=["day", "agency"], name="agencyday_key")]
        indexes = [
            models.Index(fields=["agency", "day"], name="agencyday_agency_day"),
            # "Overdue now" sums the few rows that still hold an overdue case, whatever their day.
            models.Index(fields=["agency"], condition=models.Q(overdue__gt=0), name="agencyday_overdue"),
        ]

    def __str__(self) -> str:
        return f"{self.day} a{self.agency}: {self.received}"


class AgencyDuration(models.Model):
    """A histogram of working minutes to the first (``kind`` 1) and final (2) answer."""

    day = models.DateField()
    agency = models.IntegerField()
    kind = models.SmallIntegerField()
    bucket = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("answer time histogram")
        verbose_name_plural = _("answer time histograms")
        constraints = [
            models.UniqueConstraint(fields=["day", "agency", "kind", "bucket"], name="agencyduration_key")
        ]

    def __str__(self) -> str:
        return f"{self.day} a{self.agency} k{self.kind} b{self.bucket}: {self.count}"


class RollupState(models.Model):
    """Where the last refresh stopped: the highest case event id and case update time it saw."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_updated_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    cases_seen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_at}"
