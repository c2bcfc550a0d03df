"""The registry of institutions: resolution of "поликлиника № 3" to its town, learning from
moderators' confirmed places, CSV import."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from otklik.understanding.models import Institution
from otklik.understanding.places import get_gazetteer, locate
from otklik.understanding.places.data import extract_institution
from otklik.understanding.places.institutions import import_csv

from .institution_region import institution_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region() -> dict:
    return institution_region()


def test_the_only_institution_of_its_number_places_a_text_that_names_no_town(region) -> None:
    Institution.objects.create(
        kind="поликлиника", number="3", territory=region["saratov_okrug"], lat=51.54, lon=46.01
    )
    place = locate("В поликлинике №3 нет талонов к терапевту уже месяц")
    assert place.territory == region["saratov_okrug"]
    assert place.institution == "поликлиника № 3"
    assert place.source == "institution"
    assert (place.lat, place.lon, place.precision) == (51.54, 46.01, "institution")
    assert place.settlement == "Саратов"
    assert not place.is_ambiguous


def test_an_institution_known_in_two_towns_needs_the_town_named_in_the_text(region) -> None:
    Institution.objects.create(kind="школа", number="12", territory=region["saratov_okrug"])
    Institution.objects.create(kind="школа", number="12", territory=region["engels"], lat=51.5, lon=46.1)
    alone = locate("У школы № 12 огромная яма на дороге, дети ходят по лужам")
    assert alone.territory is None and alone.is_ambiguous  # the moderator picks it on the map
    assert alone.institution == "школа № 12"
    in_engels = locate("В Энгельсе у школы № 12 огромная яма на дороге")
    assert in_engels.territory == region["engels"]
    assert (in_engels.lat, in_engels.lon, in_engels.precision) == (51.5, 46.1, "institution")
    assert in_engels.source == "text"


def test_the_district_named_and_the_institution_of_its_village_give_the_village(region) -> None:
    Institution.objects.create(kind="ФАП", number="1", territory=region["ivanovka"])
    place = locate("Балаковский район: в ФАП № 1 третью неделю нет фельдшера")
    assert place.territory == region["ivanovka"]
    assert place.settlement == "Ивановка"


def test_an_institution_of_another_town_does_not_override_the_town_named(region) -> None:
    Institution.objects.create(kind="поликлиника", number="3", territory=region["saratov_okrug"])
    place = locate("В Энгельсе в поликлинике № 3 нет талонов")
    assert place.territory == region["engels"]


def test_a_switched_off_row_is_not_used_and_the_gazetteer_sees_edits(region) -> None:
    assert locate("В гимназии № 44 не работает отопление").territory is None
    row = Institution.objects.create(kind="гимназия", number="44", territory=region["engels"])
    assert locate("В гимназии № 44 не работает отопление").territory == region["engels"]
    row.is_active = False
    row.save()
    assert locate("В гимназии № 44 не работает отопление").territory is None
    assert get_gazetteer().institutions.get(("гимназия", "44")) is None


def test_numbers_are_normalized_and_kinds_named_as_texts_name_them() -> None:
    found = extract_institution("Записались в МБДОУ № 05 ещё весной")
    assert found is not None and (found.kind, found.number, found.text) == (
        "детский сад",
        "5",
        "детский сад № 5",
    )
    crb = extract_institution("В ЦРБ нет хирурга")
    assert crb is not None and (crb.kind, crb.number) == ("ЦРБ", "")


def test_csv_import_resolves_territories_and_reports_bad_rows(region, tmp_path: Path) -> None:
    path = tmp_path / "institutions.csv"
    path.write_text(
        "region,municipality,settlement,kind,number,name,address,lat,lon\n"
        'Саратовская область,Саратов,,МБОУ СОШ,12,МБОУ «СОШ № 12»,ул. Мира 5,"51,55",46.02\n'
        "Саратовская область,Балаковский район,Ивановка,ФАП,1,,,,\n"
        "Саратовская область,Энгельсский район,город Энгельс,поликлиника,3,,,,\n"
        "Саратовская область,Аткарский район,,школа,1,,,,\n"
        "Саратовская область,Саратов,,планетарий,1,,,,\n",
        encoding="utf-8",
    )
    result = import_csv(path)
    assert (result.created, result.updated) == (3, 0)
    assert len(result.errors) == 2
    assert "Аткарский" in result.errors[0] and "планетарий" in result.errors[1]
    school = Institution.objects.get(kind="школа", number="12")
    assert school.territory == region["saratov_okrug"]
    assert (school.lat, school.lon, school.source) == (51.55, 46.02, Institution.Source.IMPORT)
    assert Institution.objects.get(kind="ФАП").territory == region["ivanovka"]
    assert Institution.objects.get(kind="поликлиника").territory == region["engels"]
    assert locate("Возле школы № 12 не убран снег").territory == region["saratov_okrug"]
    assert import_csv(path).updated == 3  # a second import updates, never doubles
    assert Institution.objects.count() == 3


def test_the_registry_is_edited_in_the_admin(region, admin_client) -> None:
    row = Institution.objects.create(kind="школа", number="12", territory=region["engels"])
    listing = admin_client.get("/admin/understanding/institution/", {"q": "Энгельс"})
    assert listing.status_code == 200 and "школа" in listing.content.decode()
    assert admin_client.get(f"/admin/understanding/institution/{row.pk}/change/").status_code == 200


def _first_letters(items: Any) -> tuple[set[str] | None, bool]:
    """The characters a parsed pattern (``re._parser``) can start with (None: any character) and
    whether it can match the empty string."""
    c = importlib.import_module("re._constants")  # (CPython's own parser of patterns)

    out: set[str] = set()
    for op, av in items:
        if op is c.LITERAL:
            return out | {chr(av)}, False
        if op is c.IN:
            for kind, value in av:
                if kind is c.LITERAL:
                    out.add(chr(value))
                elif kind is c.RANGE:
                    out |= {chr(v) for v in range(value[0], value[1] + 1)}
                else:  # a category (\w, \d …): any character of it
                    return None, False
            return out, False
        if op in (c.BRANCH, c.SUBPATTERN, c.MAX_REPEAT, c.MIN_REPEAT):
            parts = av[1] if op is c.BRANCH else [av[-1]]
            empty = op is not c.BRANCH and op is not c.SUBPATTERN and av[0] == 0
            for part in parts:
                letters, part_empty = _first_letters(part)
                if letters is None:
                    return None, False
                out |= letters
                empty = empty or part_empty
            if not empty:
                return out, False
        elif op not in (c.AT, c.ASSERT, c.ASSERT_NOT):  # (zero-width: the next item starts it)
            return None, False
    return out, True


def test_the_institution_gate_passes_over_no_letter_a_pattern_starts_with() -> None:
    """The gate's lookahead letters hold the first letter of every way each institution pattern can
    start (else a text naming that institution would never be searched for it), and the gate finds
    exactly what the plain alternation of the patterns finds."""
    import re

    _parser = importlib.import_module("re._parser")
    from otklik.understanding.places.data import INSTITUTION_PATTERNS
    from otklik.understanding.places.resolver import _MAYBE_INSTITUTION, INSTITUTION_FIRST_LETTERS

    allowed = set(INSTITUTION_FIRST_LETTERS)
    for pattern, label in INSTITUTION_PATTERNS:
        letters, empty = _first_letters(_parser.parse(pattern, re.IGNORECASE))
        assert letters is not None and not empty, label
        assert {letter.lower() for letter in letters} <= allowed, (label, letters - allowed)
    assert _first_letters(_parser.parse(r"(?:ясл\w+)?сад", re.IGNORECASE))[0] == {"я", "с"}
    plain = re.compile("|".join(f"(?:{p})" for p, _ in INSTITUTION_PATTERNS), re.IGNORECASE)
    for text in [
        "В ЦРБ нет врача",
        "МФЦ закрыт",
        "Д/С №5 без отопления",
        "у Школы 3 яма",
        "во дворе ФАПа грязь",
        "Отделение почты закрыто",
        "ТЕХНИКУМ",
        "нет света на улице Ленина",
        "",
    ]:
        gate, expected = _MAYBE_INSTITUTION.search(text), plain.search(text)
        assert (gate and gate.span()) == (expected and expected.span()), text
