"""docs/regions/saint-petersburg.md, run: every `otklik …` command of its walk-through, read from the
page, on a sample of the real appeals (every 50th row) and the city's real okrug map. A fresh
database ends up with districts over okrugs, an address registry, categories, agencies, routing
rules and two trained models, and the pipeline then categorizes, places and routes the messages."""

from __future__ import annotations

import csv
import gzip
import re
import shlex
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from otklik.cases.models import Case
from otklik.directory.choices import TerritoryKind
from otklik.directory.models import Agency, Category, RoutingRule, Territory
from otklik.understanding.models import Building, ClassifierModel

DOC = Path(settings.BASE_DIR) / "docs" / "regions" / "saint-petersburg.md"
DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
APPEALS = DATA / "spb_our_city_dev" / "appeals.csv.gz"
MAP = DATA / "russia_geojson_osm" / "Saint-Petersburg.geojson"
EVERY = 50

pytestmark = [
    pytest.mark.django_db(transaction=False),
    pytest.mark.skipif(
        not (APPEALS.exists() and MAP.exists()),
        reason=f"the shared real data is absent ({APPEALS.parent.parent}): the walk-through needs it",
    ),
]


def walkthrough_commands() -> list[str]:
    """The `otklik …` lines of the page's walk-through block, continuation lines joined."""
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- walkthrough", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = block.replace("\\\n", " ").splitlines()
    return [" ".join(line.split()) for line in lines if line.strip().startswith("otklik ")]


def sample(tmp_path: Path) -> Path:
    """Every 50th appeal of the file, gzipped as the original (the texts stay in a temporary folder)."""
    out = tmp_path / "appeals.csv.gz"
    with gzip.open(APPEALS, "rt", encoding="utf-8", newline="") as source:
        reader = csv.DictReader(source)
        rows = [row for n, row in enumerate(reader) if n % EVERY == 0]
        fields = reader.fieldnames or []
    with gzip.open(out, "wt", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return out


def test_saint_petersburg_is_set_up_by_the_documented_commands_alone(tmp_path: Path) -> None:
    appeals = sample(tmp_path)
    commands = walkthrough_commands()
    assert len(commands) >= 12 and commands[0] == "otklik migrate"
    outputs: dict[str, str] = {}
    for command in commands[1:]:  # the test database is migrated already
        line = command.replace("$APPEALS", str(appeals)).replace("$MAP", str(MAP))
        line = re.sub(r"(?<![\w/])var/", f"{tmp_path}/", line)
        name, *args = shlex.split(line)[1:]
        out = StringIO()
        call_command(
            name.replace("-", "_"), *args, *(["--no-progress"] if name == "classify" else []), stdout=out
        )
        outputs[f"{name} {' '.join(args[:1])}"] = out.getvalue()

    city = Territory.objects.get(kind=TerritoryKind.REGION, name="Санкт-Петербург")
    districts = Territory.objects.filter(parent=city, kind=TerritoryKind.DISTRICT)
    assert districts.count() == 6 and all(d.geometry for d in districts)
    vyborgsky = districts.get(name="Выборгский район")
    assert vyborgsky.children.filter(name="муниципальный округ N 15").exists()  # "№15" in the file
    parnas = Territory.objects.get(name="муниципальный округ Парнас")
    assert parnas.parent == vyborgsky and "муниципальный округ Сергиевское" in parnas.alias_list()
    assert Building.objects.filter(street__region=city).count() > 20
    assert Category.objects.count() >= 10 and Agency.objects.count() >= 10
    assert RoutingRule.objects.filter(is_active=True).exists()
    assert set(ClassifierModel.objects.values_list("kind", flat=True)) == {"category", "agency"}
    assert "by name" in outputs["train --from-csv"] and "automatic routing for" in outputs["train --from-csv"]

    with (tmp_path / "spb-predictions.csv").open(encoding="utf-8") as handle:
        predictions = list(csv.DictReader(handle))
    assert predictions and all(p["model_version"] for p in predictions)
    assert sum(1 for p in predictions if p["predicted_category"]) == len(predictions)
    assert "district, texts naming an address or place" in outputs[f"evaluate-places {appeals}"]

    # the pipeline categorized, placed and routed the messages
    cases = Case.objects.all()
    total = cases.count()
    imported = next(v for k, v in outputs.items() if k.startswith("import-cases"))
    assert total >= 0.9 * len(predictions), imported
    categorized = (
        cases.exclude(category=None).count()
        + cases.filter(category=None).exclude(suggested_category=None).count()
    )
    placed = (
        cases.exclude(territory=None).count()
        + cases.filter(territory=None).exclude(suggested_territory=None).count()
    )
    with_agency = (
        cases.exclude(agency=None).count() + cases.filter(agency=None).exclude(suggested_agency=None).count()
    )
    assert categorized == total and placed >= 0.95 * total, (categorized, placed, total)
    assert cases.exclude(agency=None).exists() and with_agency >= 0.5 * total, (with_agency, total)
