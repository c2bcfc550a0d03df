"""The address registry of a city: reading registry addresses, importing buildings and named places
(CSV and a hand-made OpenStreetMap file), and resolving real Russian address phrases with it."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from otklik.directory.choices import TerritoryKind
from otklik.directory.tables import FileProblems
from otklik.testing.factories import make_territory, square
from otklik.understanding.models import Building, NamedPlace, Street
from otklik.understanding.places import get_gazetteer, locate
from otklik.understanding.places.loading import import_addresses, import_osm, import_places
from otklik.understanding.places.names import clean_name, name_key
from otklik.understanding.places.streets import house_after, parse_registry_address, split_street

OSM_FILE = Path(__file__).parent / "data" / "city.osm"


# --- pure: registry addresses, houses, names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "г.Санкт-Петербург, Малодетскосельский проспект, дом 25/12, литера А",
            ("", "пр-т", "Малодетскосельский", "25/12", "", "А", ""),
        ),
        (
            "г.Санкт-Петербург, проспект Культуры, дом 26, корпус 2, литера А",
            ("", "пр-т", "Культуры", "26", "2", "А", ""),
        ),
        (
            "посёлок Парголово, улица Николая Рубцова, дом 3, строение 1",
            ("Парголово", "ул.", "Николая Рубцова", "3", "", "", "1"),
        ),
        (
            "г.Санкт-Петербург, набережная реки Фонтанки, дом 102, литера А",
            ("", "наб.", "реки Фонтанки", "102", "", "А", ""),
        ),
        (
            "город Колпино, улица Труда, дом 18/10, литера А",
            ("Колпино", "ул.", "Труда", "18/10", "", "А", ""),
        ),
    ],
)
def test_registry_addresses_are_read_part_by_part(text: str, expected: tuple[str, ...]) -> None:
    parsed = parse_registry_address(text, city="Санкт-Петербург")
    assert parsed is not None
    assert (
        parsed.settlement,
        parsed.kind,
        parsed.street,
        parsed.house,
        parsed.korpus,
        parsed.litera,
        parsed.stroenie,
    ) == expected


def test_an_address_without_a_street_or_a_house_is_no_registry_address() -> None:
    assert parse_registry_address("г.Санкт-Петербург, Удельный парк") is None
    assert parse_registry_address("г.Санкт-Петербург, Лиговский проспект") is None


def test_houses_after_a_street_name() -> None:
    assert str(house_after(" 120 к2", 0)) == "120 к2"
    assert str(house_after(", д. 5", 0)) == "5"
    assert str(house_after(" 15а", 0)) == "15а"
    assert str(house_after(" дом 25/12", 0)) == "25/12"
    assert str(house_after(" 7 лит. Б", 0)) == "7 лит. Б"
    assert house_after(" года", 0) is None
    # a letter apart from the number is the house's only at the end of the address, never a
    # preposition ("5 в Энгельсе", "12 а также")
    assert str(house_after(", 5 в Энгельсе", 0)) == "5"
    assert str(house_after(" 12 а также", 0)) == "12"
    assert str(house_after(" 12 Б, кв. 3", 0)) == "12б"
    assert str(house_after(" 12 б.", 0)) == "12б"
    assert split_street("Малодетскосельский проспект") == ("пр-т", "Малодетскосельский")
    assert split_street("Васильевского острова 5-я линия") == ("линия", "Васильевского острова 5-я")


def test_okrug_names_of_maps_and_registries_meet() -> None:
    assert clean_name("муниципальный округ Коломна") == "Коломна"
    assert clean_name("муниципальный округ округ Морской") == "Морской"
    assert name_key("муниципальный округ №15") == name_key("муниципальный округ N 15") == "№ 15"
    assert name_key("муниципальный округ  Лиговка - Ямская") == name_key("муниципальный округ Лиговка-Ямская")
    assert name_key("Выборгский район") == name_key("Выборгский")
    assert clean_name("городской округ город Энгельс") == "Энгельс"  # other regions as before


# --- a city with a registry ------------------------------------------------------------------------------


@pytest.fixture
def city(db: None) -> dict[str, object]:
    spb = make_territory("Санкт-Петербург", kind=TerritoryKind.REGION, lat=59.94, lon=30.31)
    west = make_territory("Красносельский", kind=TerritoryKind.DISTRICT, parent=spb)
    east = make_territory("Фрунзенский", kind=TerritoryKind.DISTRICT, parent=spb)
    yugo_zapad = make_territory(
        "муниципальный округ Юго-Запад",
        kind=TerritoryKind.OKRUG,
        parent=west,
        geometry=square(30.0, 59.8, 0.1),
    )
    uritsk = make_territory(
        "муниципальный округ Урицк", kind=TerritoryKind.OKRUG, parent=west, geometry=square(30.1, 59.8, 0.1)
    )
    kupchino = make_territory(
        "муниципальный округ N 72", kind=TerritoryKind.OKRUG, parent=east, geometry=square(30.3, 59.8, 0.1)
    )
    # a town and a village named like streets of the city
    lomonosov = make_territory(
        "город Ломоносов", kind=TerritoryKind.OKRUG, parent=spb, geometry=square(29.7, 59.9, 0.1)
    )
    repino = make_territory(
        "поселок Репино", kind=TerritoryKind.OKRUG, parent=spb, geometry=square(29.8, 60.1, 0.1)
    )
    return locals()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


ADDRESSES = """full_address,latitude,longitude
"г.Санкт-Петербург, проспект Ветеранов, дом 120, корпус 2, литера А",59.85,30.05
"г.Санкт-Петербург, проспект Ветеранов, дом 120, корпус 2, литера А",59.8502,30.0502
"г.Санкт-Петербург, проспект Ветеранов, дом 160, литера А",59.85,30.15
"г.Санкт-Петербург, улица Ломоносова, дом 5, литера А",59.83,30.35
"г.Санкт-Петербург, улица Ломоносова, дом 9, литера А",59.84,30.36
"г.Санкт-Петербург, улица Репина, дом 3, литера А",59.81,30.12
"г.Санкт-Петербург, Малодетскосельский проспект, дом 25/12, литера А",59.86,30.38
,59.86,30.38
"г.Санкт-Петербург, Удельный парк",59.86,30.38
"""


def test_addresses_load_once_with_a_report_and_a_dry_run(city: dict, tmp_path: Path) -> None:
    path = write(tmp_path, "addresses.csv", ADDRESSES)
    region = city["spb"]
    dry = import_addresses(path, region, dry_run=True)
    assert len(dry.created) == 6 and dry.dry_run  # the building named twice is one
    assert Building.objects.count() == 0 and Street.objects.count() == 0
    assert any("Удельный парк" in line for line in dry.skipped)
    report = import_addresses(path, region)
    assert len(report.created) == 6 and Street.objects.count() == 4
    building = Building.objects.get(house="120")
    assert (building.korpus, building.litera, building.territory) == ("2", "А", city["yugo_zapad"])
    assert building.lat == pytest.approx(59.8501)
    again = import_addresses(path, region)
    assert (len(again.created), len(again.updated), again.unchanged) == (0, 0, 6)


def test_a_bad_file_loads_nothing_and_says_what_is_wrong(city: dict, tmp_path: Path) -> None:
    broken = ADDRESSES + '"г.Санкт-Петербург, улица Марата, дом 1, литера А",север,30.3\n'
    with pytest.raises(FileProblems) as failure:
        import_addresses(write(tmp_path, "bad.csv", broken), city["spb"])
    assert "line 11" in str(failure.value) and "север" in str(failure.value)
    assert Building.objects.count() == 0 and Street.objects.count() == 0
    with pytest.raises(FileProblems, match="no column for lat"):
        import_addresses(write(tmp_path, "nocoords.csv", "full_address\nx\n"), city["spb"])


def test_the_commands_load_with_a_mapping_a_dry_run_and_a_refusal(city: dict, tmp_path: Path) -> None:
    """import-addresses, import-places and import-osm: the shared import command's FILE, --region,
    --map (not for an OpenStreetMap extract) and --dry-run, a bad file refused as a CommandError."""
    renamed = ADDRESSES.replace("full_address,latitude,longitude", "where,y,x")
    path = write(tmp_path, "addresses.csv", renamed)
    out = StringIO()
    mapping = ["--map", "address=where", "--map", "lat=y", "--map", "lon=x"]
    call_command(
        "import_addresses", str(path), "--region", "Санкт-Петербург", *mapping, "--dry-run", stdout=out
    )
    assert "(dry run: nothing written): 6 would be created" in out.getvalue()
    assert Building.objects.count() == 0
    call_command("import_addresses", str(path), *mapping, stdout=StringIO())
    assert Building.objects.count() == 6
    with pytest.raises(CommandError, match="no column for lat"):
        call_command("import_addresses", str(path), stdout=StringIO())
    places = write(tmp_path, "places.csv", "name,kind,lat,lon\nКупчино,suburb,59.83,30.38\n")
    call_command("import_places", str(places), stdout=StringIO())
    assert NamedPlace.objects.filter(name="Купчино").exists()
    out = StringIO()
    call_command("import_osm", str(OSM_FILE), "--dry-run", stdout=out)
    assert out.getvalue().count("(dry run: nothing written)") == len(
        import_osm(OSM_FILE, city["spb"], dry_run=True)
    )
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_osm", str(tmp_path / "missing.osm.pbf"), stdout=StringIO())
    with pytest.raises(TypeError, match="map"):  # an extract has no columns to map
        call_command("import_osm", str(OSM_FILE), map=["lat=y"], stdout=StringIO())


@pytest.fixture
def registry(city: dict, tmp_path: Path) -> dict:
    import_addresses(write(tmp_path, "addresses.csv", ADDRESSES), city["spb"])
    import_places(
        write(
            tmp_path,
            "places.csv",
            "name,kind,lat,lon,aliases\n"
            "Купчино,suburb,59.83,30.38,\n"
            "Ладожская,metro,59.93,30.44,\n"
            "Юго-Западный,neighbourhood,59.85,30.02,Юго-Запад района\n",
        ),
        city["spb"],
    )
    return city


@pytest.mark.parametrize(
    ("text", "okrug", "precision"),
    [
        ("Яма у дома ул. Ломоносова, 5, третий месяц", "kupchino", "building"),
        ("Не вывозят мусор пр. Ветеранов 120 к2", "yugo_zapad", "building"),
        ("Проспект Ветеранов, д. 160 — сломана скамейка", "uritsk", "building"),
        ("на улице Репина разбит асфальт", "uritsk", "street"),
        ("Малодетскосельский проспект 25 грязно", "kupchino", "building"),
        ("Ломоносова 7 не горит фонарь", "kupchino", "house"),
    ],
)
def test_street_addresses_resolve_to_a_point_and_a_territory(
    registry: dict, text: str, okrug: str, precision: str
) -> None:
    place = locate(text, gazetteer=get_gazetteer())
    assert place.territory == registry[okrug], (text, place)
    assert place.precision == precision
    assert place.lat is not None and place.source == "address"


def test_a_street_named_after_a_town_is_a_street_only_next_to_a_street_word_or_a_house(
    registry: dict,
) -> None:
    gazetteer = get_gazetteer()
    assert locate("ул. Ломоносова 5", gazetteer=gazetteer).territory == registry["kupchino"]
    assert locate("Еду в Ломоносов на электричке", gazetteer=gazetteer).territory == registry["lomonosov"]
    assert locate("В Репино на пляже мусор", gazetteer=gazetteer).territory == registry["repino"]


def test_named_places_neighbourhoods_and_metro(registry: dict) -> None:
    gazetteer = get_gazetteer()
    kupchino = locate("В Купчино опять не убирают снег", gazetteer=gazetteer)
    assert kupchino.territory == registry["east"] and kupchino.source == "place"  # a part of the city
    metro = locate("Грязь у метро Ладожская", gazetteer=gazetteer)
    assert metro.source == "place" and metro.lat == pytest.approx(59.93)
    assert locate("Ладожская электричка опоздала", gazetteer=gazetteer).source != "place"
    numbered = locate("Депутаты МО №72 не отвечают", gazetteer=gazetteer)
    assert numbered.territory == registry["kupchino"]


def test_a_bad_places_file_names_every_wrong_row(city: dict, tmp_path: Path) -> None:
    path = write(tmp_path, "places.csv", "name,kind,lat,lon\nКупчино,район,59.8,30.3\n,metro,1,2\n")
    with pytest.raises(FileProblems) as failure:
        import_places(path, city["spb"])
    assert "line 2" in str(failure.value) and "line 3" in str(failure.value)
    assert NamedPlace.objects.count() == 0


def test_an_openstreetmap_extract_fills_the_registry(city: dict) -> None:
    reports = import_osm(OSM_FILE, city["spb"], dry_run=True)
    assert reports[0].created and Building.objects.count() == 0
    import_osm(OSM_FILE, city["spb"])
    assert Building.objects.filter(street__name="Ветеранов", house="120", korpus="2").exists()
    assert set(NamedPlace.objects.values_list("name", "kind")) == {
        ("Купчино", "suburb"),
        ("Ладожская", "metro"),
        ("Таврический сад", "park"),
    }
    gazetteer = get_gazetteer()
    assert locate("пр. Ветеранов 120 к2 не убран двор", gazetteer=gazetteer).territory == city["yugo_zapad"]
    assert locate("у метро Ладожская сломан турникет", gazetteer=gazetteer).source == "place"
    street_only = locate("на Бухарестской улице яма", gazetteer=gazetteer)
    assert street_only.territory == city["kupchino"] and street_only.precision == "street"
    assert len(import_osm(OSM_FILE, city["spb"])[0].created) == 0  # loading again adds nothing


def test_a_broken_openstreetmap_file_is_refused(city: dict, tmp_path: Path) -> None:
    with pytest.raises(FileProblems):
        import_osm(write(tmp_path, "broken.osm", "<osm><node id='1' lat='x'"), city["spb"])
    assert Building.objects.count() == 0


def test_an_adjective_before_a_number_is_a_street_only_written_as_a_name(city: dict, tmp_path: Path) -> None:
    """ "Парадная 4" is the fourth entrance far more often than Парадная улица, house 4; "Садовая 5"
    inside a sentence is the street; a year is no house."""
    path = write(
        tmp_path,
        "addresses.csv",
        "full_address,latitude,longitude\n"
        '"г.Санкт-Петербург, Парадная улица, дом 4, литера А",59.83,30.35\n'
        '"г.Санкт-Петербург, Садовая улица, дом 5, литера А",59.83,30.36\n'
        '"г.Санкт-Петербург, Новое шоссе, дом 2021, литера А",59.81,30.12\n',
    )
    import_addresses(path, city["spb"])
    gazetteer = get_gazetteer()
    for text in (
        "Не убирают парадную 4 уже месяц",
        "Парадная 4. Сломан доводчик",
        "В новом 2021 году не убирали",
    ):
        assert locate(text, gazetteer=gazetteer).source != "address", text
    assert locate("Мусор у дома на Садовой 5 не вывозят", gazetteer=gazetteer).territory == city["kupchino"]
    assert locate("Грязно, ул. Парадная 4", gazetteer=gazetteer).territory == city["kupchino"]


def test_a_bare_adjective_agrees_with_the_street_type(city: dict, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "addresses.csv",
        "full_address,latitude,longitude\n"
        '"г.Санкт-Петербург, Советский бульвар, дом 15/19, литера А",59.83,30.35\n',
    )
    import_addresses(path, city["spb"])
    gazetteer = get_gazetteer()
    assert locate("Слабый напор, 7ая советская дом 15/19", gazetteer=gazetteer).source != "address"
    assert locate("Слабый напор на Советском бульваре 15/19", gazetteer=gazetteer).source == "address"
