"""The learned router (agency model): routing examples from the cases, training, storage, the
suggestions and ``otklik train --agency``.

The texts are a small synthetic Russian set built here (never real appeals): road complaints go
to the roads committee, housing complaints to the housing committee, and yard complaints to the
city administration at first and to the city economy committee later (a change of practice)."""

from __future__ import annotations

import itertools
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otklik.caching.models import CacheVersion
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory
from otklik.understanding import agency_model, ml
from otklik.understanding.agency_model import RoutingRow, suggest_agencies
from otklik.understanding.models import ClassifierModel

pytestmark = pytest.mark.django_db

PROBLEMS = {
    "roads": [
        "огромные ямы на проезжей части, машины ломают подвеску",
        "разбитый асфальт на дороге, никто не ремонтирует",
        "после зимы дорога вся в выбоинах",
        "нет разметки и знаков на перекрёстке",
    ],
    "housing": [
        "течёт крыша, в подъезде сырость и плесень",
        "управляющая компания не убирает подъезд",
        "в доме нет горячей воды, батареи холодные",
        "в подвале дома стоит вода, воняет канализацией",
    ],
    "yards": [
        "во дворе сломаны качели на детской площадке",
        "во дворе не вывозят мусор, контейнеры переполнены",
        "во дворе не покошена трава и нет скамеек",
        "во дворе упало дерево, никто не убирает ветки",
    ],
}
STREETS = ["на улице Ленина", "на улице Дзержинского", "на проспекте Победы", "на улице Сумской"]


def texts(kind: str) -> list[str]:
    return [
        f"{where[0].upper()}{where[1:]} {problem}"
        for problem, where in itertools.product(PROBLEMS[kind], STREETS)
    ]


@pytest.fixture
def routed() -> dict[str, Any]:
    """90 routed cases over 90 days: each day one of roads, housing, yards in turn; the yards went
    to the administration for the first 36 days and to the city economy committee since."""
    region = make_territory("Курская область", kind=TerritoryKind.REGION)
    kursk = make_territory("Курск", kind=TerritoryKind.OKRUG, parent=region)
    agencies = {
        "roads": make_agency("Комитет дорожного хозяйства города Курска"),
        "housing": make_agency("Комитет ЖКХ города Курска"),
        "admin": make_agency("Администрация города Курска"),
        "economy": make_agency("Комитет городского хозяйства города Курска"),
    }
    categories = {kind: make_category(f"Категория {kind}", code=kind) for kind in PROBLEMS}
    start = timezone.now() - timedelta(days=100)
    by_kind = {kind: texts(kind) for kind in PROBLEMS}
    for i in range(90):
        kind = ("roads", "housing", "yards")[i % 3]
        text = by_kind[kind][(i // 3) % len(by_kind[kind])]
        agency = agencies[kind] if kind != "yards" else agencies["admin" if i < 36 else "economy"]
        make_case(
            text=text,
            agency=agency,
            category=categories[kind],
            territory=kursk,
            created_at=start + timedelta(days=i),
            with_message=False,
        )
    return {"agencies": agencies, "categories": categories, "kursk": kursk, "region": region, "start": start}


def test_routing_examples_are_the_routed_unmerged_cases_with_category_and_place_tokens(
    routed: dict[str, Any],
) -> None:
    kursk, region = routed["kursk"], routed["region"]
    target = make_case(text="Яма на дороге у школы", agency=routed["agencies"]["roads"], with_message=False)
    make_case(text="Яма на дороге у дома 3", agency=routed["agencies"]["roads"], merged_into=target)
    make_case(text="Не горят фонари на улице Ленина", with_message=False)  # not routed

    examples = agency_model.routing_examples()

    assert len(examples) == 91  # the merged and the unrouted ones are left out
    assert [e.time for e in examples] == sorted(e.time for e in examples)  # type: ignore[type-var]
    first = examples[0]
    assert first.label == str(routed["agencies"]["roads"].pk)
    assert first.text.startswith("На улице Ленина огромные ямы")
    assert first.extra == ("cat:roads", f"ter:{kursk.pk}", f"ter:{region.pk}")
    assert examples[-1].text == "Яма на дороге у школы" and examples[-1].extra == ()


def test_train_store_and_suggest_round_trip_follows_the_latest_practice(routed: dict[str, Any]) -> None:
    agencies, kursk = routed["agencies"], routed["kursk"]
    out = StringIO()

    call_command("train", "--agency", stdout=out)

    row = ClassifierModel.objects.get()
    assert row.kind == ClassifierModel.Kind.AGENCY and row.version.startswith("agency-0001-")
    assert row.examples == 90 and len(row.labels) == 4
    assert f"agency model {row.version}: 90 examples, 4 agencies" in out.getvalue()
    assert "validation accuracy" in out.getvalue()
    assert ml.active_model_version() is None  # the category classifier is not replaced
    assert ml.active_model_version("agency") == row.version

    found = suggest_agencies(
        [
            RoutingRow("На улице Карла Маркса огромные ямы на дороге, разбитый асфальт", "roads", kursk.pk),
            RoutingRow("Течёт крыша, в подъезде плесень, управляющая компания молчит", "housing", kursk.pk),
            RoutingRow("Во дворе сломаны качели и переполнены мусорные контейнеры", "yards", kursk.pk),
            RoutingRow("Во дворе упало дерево и не вывозят мусор", None, None),
        ]
    )

    assert [s.agency_id if s else None for s in found] == [
        agencies["roads"].pk,
        agencies["housing"].pk,
        agencies["economy"].pk,  # the newest practice, not the administration of the first half
        agencies["economy"].pk,
    ]
    for suggestion in found:
        assert suggestion is not None and suggestion.model == row.version
        assert 0.5 <= suggestion.confidence <= 1.0
    # the same yard text read at the time of the old practice goes to the administration: the
    # switch is the practice's doing, not the text's
    model = ml.load_model(bytes(row.blob))
    yard = ml.prepare("Во дворе сломаны качели и переполнены мусорные контейнеры", ("cat:yards",))
    early = routed["start"] + timedelta(days=30, hours=12)
    assert model.predict([yard], times=[early.timestamp()])[0].label == str(agencies["admin"].pk)


def test_nothing_is_suggested_without_an_active_agency_model(routed: dict[str, Any]) -> None:
    row = agency_model.train_agency_model(agency_model.routing_examples(), source="test")
    wanted = [RoutingRow("Огромные ямы на дороге", "roads", routed["kursk"].pk)]
    assert suggest_agencies(wanted)[0] is not None

    ClassifierModel.objects.filter(pk=row.pk).update(is_active=False)
    ClassifierModel.objects.create(version="ml-0001-test", blob=b"", kind=ClassifierModel.Kind.CATEGORY)

    assert suggest_agencies(wanted) == [None]
    assert suggest_agencies([]) == []


def test_the_active_model_is_loaded_once_a_version_and_follows_a_change_made_anywhere(
    routed: dict[str, Any],
) -> None:
    row = agency_model.train_agency_model(agency_model.routing_examples(), source="test")
    first = ml.active_model("agency")
    assert first is not None and first.version == row.version and first.model is not None
    with CaptureQueriesContext(connection) as queries:
        assert ml.active_model("agency") is first
    assert len(queries) == 1  # the versions only

    ClassifierModel.objects.create(version="ml-0001-test", blob=b"", kind=ClassifierModel.Kind.CATEGORY)
    again = ml.active_model("agency")
    assert again is not None and again.model is first.model  # another kind changed: not unpickled again

    # another process deactivates it: the row and a new version token are all this one sees
    ClassifierModel.objects.filter(pk=row.pk).update(is_active=False)
    assert ml.active_model("agency") is again
    CacheVersion.objects.update_or_create(key=ml.MODELS, defaults={"token": "from-a-worker"})
    assert ml.active_model("agency") is None


def test_train_agency_command_refuses_too_little_data() -> None:
    roads, housing = make_agency("Комитет дорожного хозяйства"), make_agency("Комитет ЖКХ")
    make_case(text="Яма на дороге на улице Ленина", agency=roads, with_message=False)
    make_case(text="Течёт крыша в доме 5", agency=housing, with_message=False)

    with pytest.raises(CommandError, match="Not enough routing decisions: 2 routed cases for 2 agencies"):
        call_command("train", "--agency", stdout=StringIO())
    assert not ClassifierModel.objects.exists()
