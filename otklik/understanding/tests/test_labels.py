"""A region's labelled history trains models the pipeline can use: labels map to categories by code
or by name (both reported), unknown ones stop the training (or are created or left out, by a flag),
the report of automatic routing counts only what the pipeline can route; ``otklik classify`` writes
predictions with confidence and model version; ``otklik evaluate-places`` reads any labelled file."""

from __future__ import annotations

import csv
import itertools
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from otklik.directory.choices import AgencyKind, TerritoryKind
from otklik.directory.models import Agency, Category, RoutingRule
from otklik.testing.factories import make_agency, make_category, make_territory, square
from otklik.understanding import ml
from otklik.understanding.agency_model import RoutingRow, suggest_agencies
from otklik.understanding.classify import classify
from otklik.understanding.models import ClassifierModel

pytestmark = pytest.mark.django_db

PROBLEMS = {
    "Водоснабжение": ["нет горячей воды", "из крана течёт ржавая вода", "отключили холодную воду"],
    "Дороги": ["огромная яма на дороге", "разбитый асфальт на проезжей части", "дорогу не ремонтируют"],
    "Мусор": ["мусор не вывозят", "переполнены мусорные контейнеры", "свалка мусора во дворе"],
}
WHERE = ["на улице Ленина", "в нашем дворе", "возле школы", "у дома 5"]
TAILS = ["уже неделю", "третий день", "помогите"]


def rows() -> list[tuple[str, str]]:
    return [
        (f"{problem.capitalize()} {where} {tail}", label)
        for label, problems in PROBLEMS.items()
        for problem, where, tail in itertools.product(problems, WHERE, TAILS)
    ]


def write_table(path: Path, header: list[str], body: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(body)
    return path


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Labels as a region writes them: one a code, one a name in another case, one unknown."""
    written = {"Водоснабжение": "water", "Дороги": "дороги", "Мусор": "Мусор"}
    return write_table(
        tmp_path / "appeals.csv",
        ["id", "text", "category"],
        [[str(i), text, written[label]] for i, (text, label) in enumerate(rows())],
    )


def test_unknown_labels_stop_the_training_and_are_listed(history: Path) -> None:
    make_category("Водоснабжение", code="water")
    make_category("Дороги", code="roads")
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("train", "--from-csv", str(history), stdout=out)
    assert "“Мусор” (36 rows): no category has this code or name" in str(failure.value)
    assert "nothing was trained" in str(failure.value) and "--create-unknown" in str(failure.value)
    assert "1 by code, 1 by name" in out.getvalue()
    assert not ClassifierModel.objects.exists()


def test_labels_map_by_code_and_by_name_and_the_pipeline_uses_the_model(history: Path) -> None:
    make_category("Водоснабжение", code="water")
    make_category("Дороги", code="roads")
    out = StringIO()
    call_command("train", "--from-csv", str(history), "--skip-unknown", stdout=out)
    text = out.getvalue()
    assert "“water” → water (by code, 36 rows)" in text and "“дороги” → roads (by name, 36 rows)" in text
    row = ClassifierModel.objects.get()
    assert sorted(row.labels) == ["roads", "water"] and row.examples == 72
    result = classify("Огромная яма на дороге возле школы")
    assert result.category is not None and result.category.code == "roads" and result.decided_by == "model"


def test_unknown_labels_are_created_on_request_and_auto_routing_counts_only_routable_ones(
    history: Path,
) -> None:
    water = make_category("Водоснабжение", code="water")
    make_category("Дороги", code="roads")
    RoutingRule.objects.create(category=water, agency=make_agency("Водоканал"))
    out = StringIO()
    call_command("train", "--from-csv", str(history), "--create-unknown", stdout=out)
    text = out.getvalue()
    created = Category.objects.get(name="Мусор")
    assert created.code == "musor" and f"“Мусор” → {created.code} (by created, 36 rows)" in text
    found = re.search(r"automatic routing for (\d+) of 3 categories", text)
    assert found is not None and int(found.group(1)) <= 1  # only water has a routing rule
    assert "no routing rule covers them" in text or "never reached" in text


def test_an_inactive_category_is_no_target(history: Path) -> None:
    make_category("Водоснабжение", code="water", is_active=False)
    with pytest.raises(CommandError, match="“water” \\(36 rows\\): the category is inactive"):
        call_command("train", "--from-csv", str(history), "--create-unknown", stdout=StringIO())


# --- the router from a history ---------------------------------------------------------------------


@pytest.fixture
def city() -> dict[str, object]:
    spb = make_territory("Санкт-Петербург", kind=TerritoryKind.REGION)
    north = make_territory("Выборгский район", parent=spb)
    south = make_territory("Колпинский район", parent=spb)
    okrug = make_territory("муниципальный округ Парнас", kind=TerritoryKind.OKRUG, parent=north)
    town = make_territory(
        "город Колпино", kind=TerritoryKind.OKRUG, parent=south, geometry=square(30.5, 59.7, 0.1)
    )
    return locals()


def routed_history(tmp_path: Path) -> Path:
    body = []
    for i, (text, label) in enumerate(rows() * 2):
        north = i % 2 == 0
        agency = (
            "Водоканал"
            if label == "Водоснабжение"
            else f"ЖА {'Выборгского' if north else 'Колпинского'} района"
        )
        territory = "муниципальный округ Парнас" if north else ""
        point = ("", "") if north else ("59.75", "30.55")
        body.append([str(i), text, label, territory, *point, agency, f"2021-01-{1 + i % 28:02d}T10:00:00"])
    header = ["id", "text", "category", "municipality", "latitude", "longitude", "executor_org", "created"]
    return write_table(tmp_path / "routed.csv", header, body)


def test_the_router_learns_from_a_history_with_agencies_by_name(city: dict, tmp_path: Path) -> None:
    path = routed_history(tmp_path)
    make_agency("Водоканал")
    args = [
        "train", "--agency", "--from-csv", str(path), "--label-col", "executor_org",
        "--category-col", "category", "--territory-col", "municipality",
        "--lat-col", "latitude", "--lon-col", "longitude", "--time-col", "created",
    ]  # fmt: skip
    with pytest.raises(CommandError, match="“ЖА Выборгского района” \\(72 rows\\): no agency has this name"):
        call_command(*args, stdout=StringIO())
    out = StringIO()
    call_command(*args, "--create-unknown", stdout=out)
    text = out.getvalue()
    assert "2 by created" in text and "1 by name" in text
    assert "territories of the rows: 216 of 216 placed (name: 108, point: 108)" in text
    housing = Agency.objects.get(name="ЖА Колпинского района")
    assert housing.kind == AgencyKind.OTHER
    row = ClassifierModel.objects.get(kind="agency")
    assert row.examples == 216 and len(row.labels) == 3
    found = suggest_agencies([RoutingRow("Мусор не вывозят у дома 5", None, city["town"].pk)])
    assert found[0] is not None and found[0].agency_id == housing.pk


# --- classify and evaluate-places on any file ------------------------------------------------------------


def test_classify_writes_predictions_with_confidence_and_model_version(city: dict, tmp_path: Path) -> None:
    roads = make_category("Дороги", code="roads")
    make_category("Водоснабжение", code="water")
    make_category("Мусор", code="trash")
    RoutingRule.objects.create(category=roads, agency=make_agency("Дорожный комитет"))
    ml_examples = [ml.Example(text, {"Дороги": "roads", "Водоснабжение": "water", "Мусор": "trash"}[label])
                   for text, label in rows()]  # fmt: skip
    from otklik.understanding.classify import train_category_model

    model = train_category_model(ml_examples, source="test")
    source = write_table(
        tmp_path / "new.csv",
        ["id", "text", "lat", "lon"],
        [["1", "Огромная яма на дороге в Колпино", "", ""], ["2", "Нет горячей воды", "59.75", "30.55"]],
    )
    out = tmp_path / "predictions.csv"
    stdout = StringIO()
    call_command(
        "classify", str(source), "--out", str(out), "--lat-col", "lat", "--lon-col", "lon",
        "--no-progress", stdout=stdout,
    )  # fmt: skip
    with out.open(encoding="utf-8") as handle:
        written = list(csv.DictReader(handle))
    assert [r["id"] for r in written] == ["1", "2"]
    first, second = written
    assert first["predicted_category"] == "roads" and 0 < float(first["confidence"]) <= 1
    assert first["model_version"] == model.version and first["decided_by"] == "model"
    assert first["territory"] == "город Колпино" and first["district"] == "Колпинский район"
    assert first["agency"] == "Дорожный комитет" and first["agency_by"] == "rule"
    assert second["predicted_category"] == "water" and second["place_precision"] == "point"
    assert "2 rows: 2 categorized" in stdout.getvalue()
    with pytest.raises(CommandError, match="no column body"):
        call_command("classify", str(source), "--out", str(out), "--text-col", "body", "--no-progress")


def test_evaluate_places_reads_any_labelled_file(city: dict, tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "places.csv",
        ["text", "municipality", "latitude", "longitude"],
        [
            ["Яма у дома в Колпино", "город Колпино", "", ""],  # by name, found
            ["Грязно во дворе", "", "59.75", "30.55"],  # by point, names nothing
            ["Снег на улице в Парнасе", "МО Парнас", "", ""],  # another spelling
            ["Мусор в Колпино", "", "59.75", "30.55"],
            ["Мусор на даче", "Атлантида", "", ""],  # an unknown name, no point: left out
        ],
    )
    out = StringIO()
    call_command(
        "evaluate_places", str(path), "--territory-col", "municipality",
        "--lat-col", "latitude", "--lon-col", "longitude", stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "4 rows; true territory by" in text
    assert re.search(r"district, every row\s+rows\s+4\s+predicted\s+3\s+correct\s+3", text), text
    assert re.search(
        r"okrug, texts naming an address or place\s+rows\s+3\s+predicted\s+3\s+correct\s+3", text
    )
    with pytest.raises(CommandError, match="give the true territory"):
        call_command("evaluate_places", str(path))
