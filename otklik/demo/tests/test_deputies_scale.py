"""``otklik demo --deputies N``: the deputies' service at scale for the bench, small here."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from otklik.cases.models import Case
from otklik.deputies import ratings
from otklik.deputies.models import Deputy, Level
from otklik.directory.choices import TerritoryKind
from otklik.directory.defaults_categories import load_default_categories

pytestmark = pytest.mark.django_db


def test_the_demo_makes_deputies_in_regions_and_levels_with_appeals_and_replaces_them():
    load_default_categories()
    call_command("demo", deputies=48, regions=4, deputy_appeals=400, stdout=StringIO())
    deputies = Deputy.objects.all()
    assert deputies.count() == 48
    assert deputies.values("region").distinct().count() == 4
    assert set(deputies.values_list("region__kind", flat=True)) == {TerritoryKind.REGION}
    assert set(deputies.values_list("level", flat=True)) == set(Level.values)
    appeals = Case.objects.filter(number__startswith="D-")
    assert appeals.count() == 400
    assert not appeals.exclude(addressed_to_id=F("agency_id")).exists()  # private (decision 0007)
    assert not appeals.filter(category__isnull=True).exists()
    figures = ratings.by_region(365, Deputy.objects.all())
    assert len(figures) == 4 and sum(r.received for r in figures) == 400
    # A second run replaces the generated deputies and appeals rather than adding to them.
    call_command("demo", deputies=20, regions=2, deputy_appeals=100, stdout=StringIO())
    assert Deputy.objects.count() == 20 and Case.objects.filter(number__startswith="D-").count() == 100
