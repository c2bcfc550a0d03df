"""Master data of a region: territories, agencies, the category tree, routing and deadline policies.

All of it is edited in the admin and loaded by ``otklik load-region`` / the demo.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import AgencyKind, CalendarDayKind, Channel, DeadlineClock, DeadlineUnit, TerritoryKind


class Territory(models.Model):
    """Region → municipal districts / urban okrugs → settlements."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TerritoryKind.choices)
    name = models.CharField(_("name"), max_length=200)
    oktmo = models.CharField(_("OKTMO code"), max_length=11, blank=True, db_index=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)
    bbox = models.JSONField(
        _("bounding box"), null=True, blank=True, help_text="[min_lon, min_lat, max_lon, max_lat]"
    )
    aliases = models.TextField(
        _("other names"),
        blank=True,
        help_text=_("One per line: a former name (a renamed okrug), a short or colloquial name."),
    )

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "kind", "name"], name="territory_unique_name_in_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def alias_list(self) -> list[str]:
        return [line.strip() for line in self.aliases.splitlines() if line.strip()]

    def ancestors(self) -> list[Territory]:
        """This territory and every parent up to the region, nearest first."""
        chain: list[Territory] = []
        node: Territory | None = self
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def municipality(self) -> Territory:
        """The municipal district or urban okrug this territory lies in (itself if it is one)."""
        for node in self.ancestors():
            if node.kind in (TerritoryKind.DISTRICT, TerritoryKind.OKRUG):
                return node
        return self


class Category(models.Model):
    """A node of the category tree: top categories with subcategories."""

    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    keywords = models.TextField(
        _("keywords"),
        blank=True,
        help_text=_(
            "Words and phrases, one per line, in any form: the rule classifier matches their lemmas."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Shown to residents: the public map and the services offered to city apps."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id and self.parent else self.name

    @property
    def top(self) -> Category:
        return self.parent if self.parent_id and self.parent else self

    def keyword_list(self) -> list[str]:
        return [line.strip() for line in self.keywords.splitlines() if line.strip()]


class Agency(models.Model):
    """An organization that must act: ministry, municipal administration, utility."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AgencyKind.choices, default=AgencyKind.OTHER)
    territories = models.ManyToManyField(Territory, verbose_name=_("territories served"), blank=True)
    categories = models.ManyToManyField(Category, verbose_name=_("categories served"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class RoutingRule(models.Model):
    """Category × territory → agency. The most specific matching rule with the highest priority wins."""

    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: any category. A rule for a top category also covers its subcategories."),
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("territory"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: anywhere. A rule for a district also covers its settlements."),
    )
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), on_delete=models.CASCADE, related_name="routing_rules"
    )
    priority = models.IntegerField(_("priority"), default=0)
    is_fallback = models.BooleanField(
        _("fallback"), default=False, help_text=_("Used only when no other rule matches.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return f"{self.category or '*'} × {self.territory or '*'} → {self.agency}"


class DeadlinePolicy(models.Model):
    """How long an agency has to answer, per channel and category, in (working) hours or days."""

    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    social_only = models.BooleanField(_("any social network channel"), default=False)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.CASCADE
    )
    urgent_only = models.BooleanField(_("urgent cases only"), default=False)
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("unit"), max_length=20, choices=DeadlineUnit.choices)
    interim_amount = models.PositiveIntegerField(_("interim answer within"), null=True, blank=True)
    interim_unit = models.CharField(
        _("interim unit"), max_length=20, choices=DeadlineUnit.choices, blank=True
    )
    clock_start = models.CharField(
        _("the clock starts"),
        max_length=20,
        choices=DeadlineClock.choices,
        default=DeadlineClock.ASSIGNMENT,
        help_text=_(
            "59-FZ counts from the appeal's registration, a social network's norm from the post's time; "
            "a reopened case counts from the reopening."
        ),
    )
    priority = models.IntegerField(_("priority"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        ordering = ["-priority", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.interim_amount and not self.interim_unit:
            raise ValidationError({"interim_unit": _("Give the unit of the interim deadline.")})


class CalendarDay(models.Model):
    """An override of the built-in Russian production calendar (a government decree moved a day)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=CalendarDayKind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("production calendar day")
        verbose_name_plural = _("production calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.get_kind_display()}"
