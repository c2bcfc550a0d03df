"""Models of the understanding app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.directory.models import Category, Territory

from .places.data import INSTITUTION_KINDS, institution_label


class BurstAlert(models.Model):
    """An unusual rise of one category in one territory over a window, for the supervisor.

    One row per category × territory × window (a calendar day): detection re-run during the day
    updates the count and the cases behind it, never adds a second alert.
    """

    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE)
    territory = models.ForeignKey(Territory, verbose_name=_("territory"), on_delete=models.CASCADE)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    count = models.PositiveIntegerField(_("cases in the window"))
    baseline = models.FloatField(_("expected per window"))
    score = models.FloatField(_("surprise (−log10 p)"))
    case_ids = models.JSONField(_("cases"), default=list, blank=True)
    created_at = models.DateTimeField(_("raised"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("burst alert")
        verbose_name_plural = _("burst alerts")
        ordering = ["-window_start", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "territory", "window_start"], name="burst_alert_one_per_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} × {self.territory}: {self.count} (≈{self.baseline:.1f})"


class ClassifierModel(models.Model):
    """One trained version of the learned classifier, stored in the database (so every process and
    worker loads the same model): the pickled model (zlib), its validation metrics and per-label
    confidence thresholds. The newest active row of a kind is the one in use."""

    class Kind(models.TextChoices):
        CATEGORY = "category", _("Category")
        AGENCY = "agency", _("Agency (routing)")

    version = models.CharField(_("version"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CATEGORY)
    created_at = models.DateTimeField(_("trained"), default=timezone.now, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("training data"), max_length=300, blank=True)
    examples = models.PositiveIntegerField(_("examples"), default=0)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    metrics = models.JSONField(_("validation metrics"), default=dict, blank=True)
    thresholds = models.JSONField(
        _("confidence thresholds"),
        default=dict,
        blank=True,
        help_text=_("Per label: the lowest confidence routed automatically; empty means always moderated."),
    )
    blob = models.BinaryField(_("serialized model"))
    size = models.PositiveIntegerField(_("size, bytes"), default=0)

    class Meta:
        verbose_name = _("classifier model")
        verbose_name_plural = _("classifier models")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.version


class Institution(models.Model):
    """A named institution of the region ("поликлиника № 3" in Курск) in the registry the place
    resolver reads: a text that names it together with its town (or, when it is the only one of its
    kind and number in the region, alone) is placed in its territory, at its point when it has one.

    Rows are learned from moderators (a case naming an institution whose place a moderator
    confirmed), imported from CSV (``otklik import-institutions``) or entered in the admin."""

    class Source(models.TextChoices):
        MODERATOR = "moderator", _("learned from a moderator")
        IMPORT = "import", _("imported")
        MANUAL = "manual", _("entered by hand")

    kind = models.CharField(
        _("kind"), max_length=40, choices=[(kind, kind) for kind in INSTITUTION_KINDS], db_index=True
    )
    number = models.CharField(
        _("number"), max_length=10, blank=True, help_text=_("Empty for an institution without a number.")
    )
    name = models.CharField(_("full name"), max_length=300, blank=True)
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), on_delete=models.CASCADE, related_name="institutions"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    confirmations = models.PositiveIntegerField(
        _("confirmations"), default=0, help_text=_("Cases naming it whose place a moderator confirmed.")
    )
    case_ids = models.JSONField(_("confirmed by cases"), default=list, blank=True)
    is_active = models.BooleanField(
        _("used to place messages"),
        default=True,
        help_text=_("Switch off a wrong row instead of deleting it."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["kind", "number", "territory__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "number", "territory"], name="institution_one_per_territory"
            ),
        ]

    def __str__(self) -> str:
        return f"{institution_label(self.kind, self.number)} ({self.territory})"

    @property
    def label(self) -> str:
        return institution_label(self.kind, self.number)


class Street(models.Model):
    """A street of the region's address registry (``otklik import-addresses``, ``otklik import-osm``):
    its type ("ул.", "пр-т" …) and name ("Ломоносова", "реки Фонтанки") in a settlement of the region
    (empty: the region's own city). The place resolver finds it in a text by its name's lemmas next
    to a street word or a house number."""

    region = models.ForeignKey(
        Territory, verbose_name=_("region"), on_delete=models.CASCADE, related_name="streets"
    )
    settlement = models.CharField(_("settlement"), max_length=120, blank=True)
    kind = models.CharField(_("type"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("lemma key"), max_length=200, db_index=True)
    lat = models.FloatField(
        _("latitude"), null=True, blank=True, help_text=_("A point of a street without buildings.")
    )
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, default="import")

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["name", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "settlement", "kind", "name"], name="street_unique_in_settlement"
            ),
        ]

    def __str__(self) -> str:
        text = f"{self.kind} {self.name}"
        return f"{text} ({self.settlement})" if self.settlement else text


class Building(models.Model):
    """A building of the address registry: house number, корпус, литера, строение and its point; the
    territory is the deepest one whose polygon holds the point (worked out on import)."""

    street = models.ForeignKey(
        Street, verbose_name=_("street"), on_delete=models.CASCADE, related_name="buildings"
    )
    house = models.CharField(_("house"), max_length=30)
    korpus = models.CharField(_("building (корпус)"), max_length=10, blank=True)
    litera = models.CharField(_("letter (литера)"), max_length=10, blank=True)
    stroenie = models.CharField(_("structure (строение)"), max_length=10, blank=True)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["street", "house", "korpus", "litera", "stroenie"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "house", "korpus", "litera", "stroenie"], name="building_unique_address"
            ),
        ]

    def __str__(self) -> str:
        parts = [str(self.street), f"д. {self.house}"]
        parts += [
            f"{label} {value}"
            for label, value in (("к.", self.korpus), ("лит.", self.litera), ("стр.", self.stroenie))
            if value
        ]
        return ", ".join(parts)


class NamedPlace(models.Model):
    """A named place of the region that is no territory of its own: a neighbourhood («Купчино»), a
    square, a park, a metro station; found in a text by its name (a metro station after "метро")."""

    class Kind(models.TextChoices):
        SUBURB = "suburb", _("part of the city")
        NEIGHBOURHOOD = "neighbourhood", _("neighbourhood")
        SQUARE = "square", _("square")
        PARK = "park", _("park or garden")
        METRO = "metro", _("metro station")
        OTHER = "other", _("other")

    region = models.ForeignKey(
        Territory, verbose_name=_("region"), on_delete=models.CASCADE, related_name="named_places"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    aliases = models.TextField(_("other names"), blank=True, help_text=_("One per line."))
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Where a text naming it is placed; empty: the territory holding its point."),
    )
    source = models.CharField(_("source"), max_length=20, default="import")

    class Meta:
        verbose_name = _("named place")
        verbose_name_plural = _("named places")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "name"], name="named_place_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"
