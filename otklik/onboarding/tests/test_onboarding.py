"""Onboarding a region by its own files: territories as a hierarchy, the category tree, agencies and
routing rules — each checked whole (a bad file loads nothing and says what is wrong, line by line),
idempotent, with a dry run that reports the same as the real run."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from otklik.directory.choices import AgencyKind, DeadlineUnit, TerritoryKind
from otklik.directory.models import Agency, Category, DeadlinePolicy, RoutingRule, Territory
from otklik.directory.tables import FileProblems
from otklik.onboarding.agencies import import_agencies, kind_from_name
from otklik.onboarding.categories import category_code, import_categories, parse_term
from otklik.onboarding.routing import import_routing, learn_rules
from otklik.onboarding.territories import import_territories
from otklik.testing.factories import make_territory, square


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- territories ---------------------------------------------------------------------------------------


@pytest.fixture
def city(db: None) -> dict[str, Territory]:
    """A city as its map comes: okrug polygons right under the region, named as maps write them."""
    spb = make_territory("Санкт-Петербург", kind=TerritoryKind.REGION)
    okrugs = {
        "n15": ("муниципальный округ N 15", square(30.0, 60.0, 0.1)),
        "ligovka": ("муниципальный округ Лиговка-Ямская", square(30.1, 60.0, 0.1)),
        "n21": ("муниципальный округ N 21", square(30.0, 60.1, 0.1)),  # renamed: "Сергиевское" now
        "smolny": ("муниципальный округ Смольнинское", square(30.1, 60.1, 0.1)),
        "kolpino": ("город Колпино", square(30.5, 59.7, 0.1)),
    }
    out = {"spb": spb}
    for key, (name, geometry) in okrugs.items():
        out[key] = make_territory(name, kind=TerritoryKind.OKRUG, parent=spb, geometry=geometry)
    return out


HISTORY = """id,text,district,municipality,latitude,longitude
1,яма,Выборгский,муниципальный округ №15,60.05,30.05
2,мусор,Выборгский,муниципальный округ  №15,60.02,30.02
3,снег,Выборгский,муниципальный округ Сергиевское,60.15,30.05
4,снег,Выборгский,муниципальный округ Сергиевское,60.16,30.06
5,снег,Выборгский,муниципальный округ Сергиевское,60.17,30.07
6,лифт,Центральный,муниципальный округ Лиговка - Ямская,60.05,30.15
7,лифт,Центральный,муниципальный округ Смольнинское,60.15,30.15
8,лифт,Центральный,,60.15,30.15
"""


def test_a_history_builds_districts_over_okrugs_with_renamed_ones_as_aliases(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    path = write(tmp_path, "appeals.csv", HISTORY)
    dry = import_territories(path, city["spb"], dry_run=True)
    assert dry.dry_run and len(dry.created) == 2
    assert not Territory.objects.filter(kind=TerritoryKind.DISTRICT).exists()

    report = import_territories(path, city["spb"])
    assert sorted(report.created) == sorted(dry.created)
    vyborgsky = Territory.objects.get(name="Выборгский район")
    central = Territory.objects.get(name="Центральный район")
    assert (vyborgsky.parent, vyborgsky.kind) == (city["spb"], TerritoryKind.DISTRICT)
    for key, district in (("n15", vyborgsky), ("n21", vyborgsky), ("ligovka", central), ("smolny", central)):
        city[key].refresh_from_db()
        assert city[key].parent == district, key
    assert city["n21"].alias_list() == ["муниципальный округ Сергиевское"]
    assert any("Сергиевское" in line and "3 of its 3 points" in line for line in report.updated)
    # a district is drawn as the union of its okrugs: found by point, its okrugs deeper
    assert vyborgsky.geometry is not None and vyborgsky.bbox == [30.0, 60.0, 30.1, 60.2]
    assert any("line 9" in line for line in report.skipped)  # a row with no okrug named

    again = import_territories(path, city["spb"])
    assert (again.created, again.updated, again.unchanged) == ([], [], 4)


def test_territories_moved_under_districts_stay_there_when_the_map_is_loaded_again(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    import json

    from otklik.directory.regions import load_region

    geojson = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"district": t.name}, "geometry": t.geometry}
            for t in Territory.objects.exclude(geometry=None)
        ],
    }
    path = write(tmp_path, "city.geojson", json.dumps(geojson, ensure_ascii=False))
    import_territories(write(tmp_path, "appeals.csv", HISTORY), city["spb"])
    before = Territory.objects.count()
    load_region(name="Санкт-Петербург", geojson_path=path, towns_csv_path=None)
    assert Territory.objects.count() == before
    city["n15"].refresh_from_db()
    assert city["n15"].parent.name == "Выборгский район"


def test_a_bad_territory_file_loads_nothing_and_names_every_wrong_line(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    broken = (
        HISTORY
        + "9,x,Центральный,муниципальный округ №15,60.05,30.05\n10,y,Центральный,город Колпино,север,30\n"
    )
    with pytest.raises(FileProblems) as failure:
        import_territories(write(tmp_path, "bad.csv", broken), city["spb"])
    text = str(failure.value)
    assert "line 10" in text and "parent" in text and "line 11" in text and "север" in text
    assert not Territory.objects.filter(kind=TerritoryKind.DISTRICT).exists()
    city["n15"].refresh_from_db()
    assert city["n15"].parent == city["spb"] and not city["n21"].aliases


def test_a_territory_table_with_kinds_aliases_and_a_new_okrug(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    table = write(
        tmp_path,
        "territories.csv",
        "Название;Родитель;Тип;Другие названия\n"
        "Колпинский район;;район;\n"
        "город Колпино;Колпинский район;;Колпино-город\n"
        "поселок Саперный;Колпинский район;поселок;\n",
    )
    report = import_territories(table, city["spb"])
    district = Territory.objects.get(name="Колпинский район")
    city["kolpino"].refresh_from_db()
    assert city["kolpino"].parent == district and "Колпино-город" in city["kolpino"].alias_list()
    saperny = Territory.objects.get(name="поселок Саперный")
    assert (saperny.parent, saperny.kind, saperny.geometry) == (district, TerritoryKind.SETTLEMENT, None)
    assert any("no polygon" in line for line in report.created)
    # not every child has a polygon: the district keeps none rather than a wrong one
    assert district.geometry is None


def test_the_command_reports_a_dry_run_and_refuses_a_broken_file(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    out = StringIO()
    call_command("import_territories", str(write(tmp_path, "a.csv", HISTORY)), "--dry-run", stdout=out)
    assert "would be created" in out.getvalue() and "Выборгский район" in out.getvalue()
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("import_territories", str(write(tmp_path, "b.csv", "id,text\n1,x\n")))


# --- categories ---------------------------------------------------------------------------------------------

TREE = """code,name,parent,keywords,deadline,public
roads,Дороги,,дорога; яма,,да
roads-pits,Ямы на дорогах,roads,яма | выбоина,8 рабочих дней,да
housing,ЖКХ,,,30 дней,
housing-lift,Лифты,ЖКХ,лифт,24 часа,нет
"""


def test_a_category_tree_loads_with_keywords_deadlines_and_public_flags(db: None, tmp_path: Path) -> None:
    path = write(tmp_path, "tree.csv", TREE)
    dry = import_categories(path, dry_run=True)
    assert len(dry.created) == 4 and not Category.objects.exists()
    report = import_categories(path)
    assert len(report.created) == 4
    pits = Category.objects.get(code="roads-pits")
    assert pits.parent.code == "roads" and pits.keyword_list() == ["яма", "выбоина"]
    lift = Category.objects.get(code="housing-lift")
    assert lift.parent.code == "housing" and not lift.is_public  # parent named by its name
    policy = DeadlinePolicy.objects.get(category=pits)
    assert (policy.amount, policy.unit, policy.channel) == (8, DeadlineUnit.WORKING_DAYS, "")
    assert DeadlinePolicy.objects.get(category=lift).unit == DeadlineUnit.HOURS
    again = import_categories(path)
    assert (again.created, again.updated, again.unchanged) == ([], [], 4)
    assert DeadlinePolicy.objects.filter(category__isnull=False).count() == 3


def test_categories_without_codes_get_codes_and_load_once(db: None, tmp_path: Path) -> None:
    history = write(
        tmp_path,
        "appeals.csv",
        "text,category\nяма,Благоустройство\nлифт,Содержание МКД\nснег,Благоустройство\n",
    )
    import_categories(history)
    assert set(Category.objects.values_list("code", "name")) == {
        ("blagoustroystvo", "Благоустройство"),
        ("soderzhaniye-mkd", "Содержание МКД"),
    }
    assert import_categories(history).unchanged == 2


def test_a_bad_category_file_loads_nothing(db: None, tmp_path: Path) -> None:
    bad = write(
        tmp_path,
        "bad.csv",
        "code,name,parent,deadline,public\n"
        "a,Первая,zzz,,\n"
        "b,Вторая,,скоро,\n"
        "c,Третья,,,может быть\n"
        "d,Четвёртая,e,,\n"
        "e,Пятая,d,,\n"
        "f f,Шестая,,,\n"
        "g,Седьмая,,,\n"
        "g,Восьмая,,,\n",
    )
    with pytest.raises(FileProblems) as failure:
        import_categories(bad)
    text = str(failure.value)
    for expected in ("zzz", "скоро", "может быть", "cycle", "“f f”", "line 9"):
        assert expected in text, expected
    assert not Category.objects.exists()


def test_codes_and_terms_from_words() -> None:
    assert category_code("Содержание МКД") == "soderzhaniye-mkd"
    assert category_code("Незаконная информационная и (или) рекламная конструкция").startswith(
        "nezakonnaya-informatsionnaya-i-ili"
    )
    assert parse_term("30 дней") == (30, DeadlineUnit.DAYS)
    assert parse_term("8 рабочих дней") == (8, DeadlineUnit.WORKING_DAYS)
    assert parse_term("9 рабочих часов") == (9, DeadlineUnit.WORKING_HOURS)
    assert parse_term("24 hours") == (24, DeadlineUnit.HOURS)
    assert parse_term("30 календарных дней") == (30, DeadlineUnit.DAYS)
    assert parse_term("сразу") is None and parse_term("0 дней") is None


# --- agencies and routing ------------------------------------------------------------------------------


def test_agencies_load_with_kinds_territories_and_contacts(
    city: dict[str, Territory], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "agencies.csv",
        "Название;Территории;Телефон;E-mail\n"
        "Администрация Колпинского района;город Колпино;8 (812) 576-00-00;kolpino@example.org\n"
        "СПб ГКУ «Жилищное агентство Колпинского района»;Колпино;;\n"
        "Комитет по благоустройству;;;\n",
    )
    report = import_agencies(path, city["spb"])
    assert len(report.created) == 3
    admin = Agency.objects.get(name="Администрация Колпинского района")
    assert admin.kind == AgencyKind.MUNICIPALITY and list(admin.territories.all()) == [city["kolpino"]]
    assert Agency.objects.get(name="Комитет по благоустройству").kind == AgencyKind.MINISTRY
    assert kind_from_name("СПб ГКУ «Жилищное агентство»") == AgencyKind.UTILITY
    assert import_agencies(path, city["spb"]).unchanged == 3


def test_a_bad_agency_file_loads_nothing(city: dict[str, Territory], tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "agencies.csv",
        "name,territories,phone,email,kind\nА,Атлантида,,,\nБ,,12,,\nВ,,,not-an-email,\nГ,,,,ведомство\n",
    )
    with pytest.raises(FileProblems) as failure:
        import_agencies(path, city["spb"])
    text = str(failure.value)
    for expected in ("Атлантида", "“12”", "not-an-email", "ведомство"):
        assert expected in text
    assert not Agency.objects.exists()


@pytest.fixture
def directory(city: dict[str, Territory], tmp_path: Path) -> dict[str, object]:
    import_territories(write(tmp_path, "appeals.csv", HISTORY), city["spb"])
    import_categories(write(tmp_path, "tree.csv", TREE))
    import_agencies(
        write(
            tmp_path,
            "agencies.csv",
            "name\nЖА Выборгского района\nЖА Центрального района\nДорожный комитет\n",
        ),
        None,
    )
    return city


def test_routing_rules_load_once_and_replace_turns_off_the_rest(directory: dict, tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        "rules.csv",
        "category,territory,agency,priority,fallback\n"
        "ЖКХ,Выборгский,ЖА Выборгского района,,\n"
        "housing,Центральный район,ЖА Центрального района,,\n"
        "Дороги,,Дорожный комитет,,\n"
        ",,Дорожный комитет,,да\n",
    )
    spb = directory["spb"]
    assert len(import_routing(rules, spb, dry_run=True).created) == 4 and not RoutingRule.objects.exists()
    assert len(import_routing(rules, spb).created) == 4
    rule = RoutingRule.objects.get(category__code="housing", territory__name="Выборгский район")
    assert rule.agency.name == "ЖА Выборгского района"
    assert import_routing(rules, spb).unchanged == 4
    fewer = write(tmp_path, "fewer.csv", "category,territory,agency\nДороги,,Дорожный комитет\n")
    report = import_routing(fewer, spb, replace=True)
    assert len(report.updated) == 3 and RoutingRule.objects.filter(is_active=True).count() == 1


def test_a_bad_rules_file_loads_nothing(directory: dict, tmp_path: Path) -> None:
    rules = write(
        tmp_path,
        "rules.csv",
        "category,territory,agency\n"
        "Космос,,Дорожный комитет\n"
        "Дороги,Атлантида,Дорожный комитет\n"
        "Дороги,,Нет такого\n"
        "ЖКХ,Выборгский,ЖА Выборгского района\n"
        "ЖКХ,Выборгский,ЖА Центрального района\n",
    )
    with pytest.raises(FileProblems) as failure:
        import_routing(rules, directory["spb"])
    text = str(failure.value)
    for expected in ("Космос", "Атлантида", "Нет такого", "line 6"):
        assert expected in text
    assert not RoutingRule.objects.exists()


def test_rules_learned_from_a_history(tmp_path: Path) -> None:
    lines = ["category,district,executor_org"]
    lines += ["ЖКХ,Выборгский,ЖА Выборгского района"] * 9 + ["ЖКХ,Выборгский,Администрация"]
    lines += ["ЖКХ,Центральный,ЖА Центрального района"] * 5 + ["ЖКХ,Центральный,Администрация"] * 5
    lines += ["Дороги,Выборгский,Дорожный комитет"] * 6 + ["Дороги,Центральный,Дорожный комитет"] * 6
    rules, rows = learn_rules(write(tmp_path, "h.csv", "\n".join(lines) + "\n"), min_share=0.8, min_cases=5)
    assert rows == 32
    assert {(r.category, r.territory, r.agency) for r in rules} == {
        ("Дороги", "", "Дорожный комитет"),  # one agency everywhere: one rule without territory
        ("ЖКХ", "Выборгский", "ЖА Выборгского района"),
    }
    out = tmp_path / "rules.csv"
    call_command(
        "learn_routing", str(tmp_path / "h.csv"), "--out", str(out), "--min-cases", "5", stdout=StringIO()
    )
    assert out.read_text(encoding="utf-8").startswith("category,territory,agency,cases,share")
