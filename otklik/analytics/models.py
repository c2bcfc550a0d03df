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
    # db_default too: rows written by raw SQL that predates these columns stay valid.
    published = models.BooleanField(default=False, db_default=False)  # a final answer was published
    concrete = models.BooleanField(default=False, db_default=False)  # … and the latest passes the check
    first_minutes = models.IntegerField(null=True)
    final_minutes = models.IntegerField(null=True)

    class Meta:
        verbose_name = _("case fact")
        verbose_name_plural = _("case facts")
        # The summary's typical examples: a problem's cases with the most messages, within a period.
        indexes = [
            models.Index(
                fields=["category", "subcategory", "-messages", "-day", "-case_id"], name="casefact_examples"
            )
        ]

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


def _cube(name: str, fields: list[str], doc: str, *, period: str = "day") -> type[Counts]:
    """A smaller rollup of ``AreaDay``: the same measures over fewer dimensions (fewer rows to sum).

    ``period`` is ``day`` (the date cases were created) or ``month`` (its first day: the monthly twin
    that answers the whole months of a long period, see :mod:`otklik.analytics.periods`)."""
    fields = [period if f == "day" else f for f in fields]
    attrs: dict[str, object] = {
        "__module__": __name__,
        "__doc__": doc,
        period: models.DateField(),
        "Meta": type(
            "Meta",
            (),
            {
                "verbose_name": doc,
                "verbose_name_plural": doc,
                "constraints": [models.UniqueConstraint(fields=fields, name=f"{name.lower()}_key")],
            },
        ),
        "__str__": lambda self: f"{name} {getattr(self, period)}: {self.cases}",
    }
    for field in fields:
        if field == "channel":
            attrs[field] = models.CharField(max_length=20)
        elif field != period:
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

# Monthly twins (``month`` is the first day of the month): a year is twelve rows per key instead of
# 365. A period reads them for its whole months and the daily tables for its partial edges.
TerritoryMonth = _cube(
    "TerritoryMonth", ["day", "territory"], "monthly counts by municipality", period="month"
)
TerritoryChannelMonth = _cube(
    "TerritoryChannelMonth",
    ["day", "territory", "channel"],
    "monthly counts by municipality and channel",
    period="month",
)
TerritoryCategoryMonth = _cube(
    "TerritoryCategoryMonth",
    ["day", "territory", "category"],
    "monthly counts by municipality and category",
    period="month",
)
ProblemMonth = _cube(
    "ProblemMonth", ["day", "category", "subcategory"], "monthly counts by problem", period="month"
)
ProblemChannelMonth = _cube(
    "ProblemChannelMonth",
    ["day", "category", "subcategory", "channel"],
    "monthly counts by problem and channel",
    period="month",
)
AreaMonth = _cube(
    "AreaMonth",
    ["day", "territory", "category", "subcategory", "channel"],
    "monthly counts by territory, problem and channel",
    period="month",
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


class AgencyCounts(models.Model):
    """What the KPIs of an agency sum: cases received, answered, on time, open, overdue, reopened, rated,
    answered in public and concretely."""

    agency = models.IntegerField()
    received = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    overdue = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    ratings = models.IntegerField(default=0)
    ratings_good = models.IntegerField(default=0)
    published = models.IntegerField(default=0, db_default=0)  # cases with a published final answer
    concrete = models.IntegerField(default=0, db_default=0)  # … whose answer passes the quality check

    class Meta:
        abstract = True


class AgencyDay(AgencyCounts):
    """Cases routed to an agency, by the day they were created."""

    day = models.DateField()

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


class AgencyMonth(AgencyCounts):
    """``AgencyDay`` by month (``month`` is its first day); "overdue now" sums these few rows."""

    month = models.DateField()

    class Meta:
        verbose_name = _("monthly agency counts")
        verbose_name_plural = _("monthly agency counts")
        constraints = [models.UniqueConstraint(fields=["month", "agency"], name="agencymonth_key")]
        indexes = [models.Index(fields=["agency", "month"], name="agencymonth_agency_month")]

    def __str__(self) -> str:
        return f"{self.month} a{self.agency}: {self.received}"


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


class AgencyDurationMonth(models.Model):
    """``AgencyDuration`` by month: histograms add up, so a year's percentiles are exact to the bucket."""

    month = models.DateField()
    agency = models.IntegerField()
    kind = models.SmallIntegerField()
    bucket = models.SmallIntegerField()
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("monthly answer time histogram")
        verbose_name_plural = _("monthly answer time histograms")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "agency", "kind", "bucket"], name="agencydurationmonth_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} a{self.agency} k{self.kind} b{self.bucket}: {self.count}"


class RollupState(models.Model):
    """Where the last refresh stopped: the highest case event id and case update time it saw.

    ``version`` grows by one at the start of every refresh; the days whose figures that refresh
    changed are stamped with it in ``RollupChange``."""

    name = models.CharField(max_length=40, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    last_updated_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)
    cases_seen = models.BigIntegerField(default=0)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup states")

    def __str__(self) -> str:
        return f"{self.name}: {self.refreshed_at}"


class RollupChange(models.Model):
    """The last refresh (``RollupState.version``) that changed the figures of cases created on ``day``.

    A rendered export of a period is valid while no day of the period (and of the previous period it
    compares with) has a newer stamp: see :mod:`otklik.analytics.export_cache`."""

    day = models.DateField(primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        verbose_name = _("rollup change")
        verbose_name_plural = _("rollup changes")

    def __str__(self) -> str:
        return f"{self.day}: v{self.version}"


class RenderedExport(models.Model):
    """A rendered summary (PDF or XLSX), keyed by the question and the rollup stamps of its days."""

    key = models.CharField(max_length=64, primary_key=True)
    question = models.CharField(max_length=64, db_index=True)  # the key without the stamp
    kind = models.CharField(max_length=8)
    date_from = models.DateField()
    date_to = models.DateField()
    content = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("rendered export")
        verbose_name_plural = _("rendered exports")
        indexes = [models.Index(fields=["created_at"], name="renderedexport_created")]

    def __str__(self) -> str:
        return f"{self.kind} {self.date_from}–{self.date_to}"


class PublicFact(models.Model):
    """A case as the public map's counters last counted it (only cases residents see: see
    :mod:`otklik.cases.publicity`); kept by the rollups' refresh (:mod:`otklik.analytics.public_counts`)."""

    case_id = models.BigIntegerField(primary_key=True)
    day = models.DateField()  # the local day it was created
    category = models.IntegerField(default=0)  # the case's category (0: none)
    suggested = models.IntegerField(default=0)  # the suggested category when it has none (else 0)
    closed = models.BooleanField(default=False)  # Open311's "closed"
    placed = models.BooleanField(default=False)  # has a point on the map

    class Meta:
        verbose_name = _("public case fact")
        verbose_name_plural = _("public case facts")

    def __str__(self) -> str:
        return f"case {self.case_id}"


class PublicDay(models.Model):
    """The public cases of a day by category, closed and placed: the public map's counters."""

    day = models.DateField()
    category = models.IntegerField(default=0)
    suggested = models.IntegerField(default=0)
    closed = models.BooleanField(default=False)
    placed = models.BooleanField(default=False)
    cases = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily public counts")
        verbose_name_plural = _("daily public counts")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "category", "suggested", "closed", "placed"], name="publicday_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} c{self.category}/{self.suggested}: {self.cases}"
