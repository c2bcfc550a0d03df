"""Text search over cases matches word forms and treats ё as е, on PostgreSQL (full-text search,
'russian') and on SQLite (lemmas from pymorphy3, stems matched with LIKE) alike."""

from __future__ import annotations

import pytest

from otklik.accounts.choices import Role
from otklik.cases.filters import CaseFilter
from otklik.cases.models import Case
from otklik.cases.search import query_words, word_stems
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db


def found(q: str, qs=None) -> set[str]:
    qs = Case.objects.all() if qs is None else qs
    return set(CaseFilter({"q": q}, qs).qs.values_list("title", flat=True))


@pytest.fixture
def cases() -> None:
    make_case(text="Нет отопление в доме на улице Мира", title="heating")
    make_case(text="Во дворе стоит Елка, мешает проезду", title="tree")
    make_case(text="Прорвало трубу, вода в подвале", title="pipe")
    make_case(text="Яма на дороге у школы № 5", title="pothole", address="ул. Ленина, 12")


def test_a_word_form_finds_the_case_written_in_another_form(cases):
    assert found("отопления") == {"heating"}
    assert found("Отоплением") == {"heating"}
    assert found("трубы") == {"pipe"}
    assert found("трубы подвал") == {"pipe"}  # every word must match
    assert found("трубы школа") == set()


def test_yo_and_ye_are_one_letter(cases):
    assert found("ёлка") == {"tree"}
    assert found("елки") == {"tree"}
    assert found("ЁЛКА") == {"tree"}
    make_case(text="Ёлку на площади не убрали", title="yo")
    assert found("елка") == {"tree", "yo"}


def test_the_plain_match_still_counts(cases):
    assert found("отоп") == {"heating"}  # part of a word
    assert found("Ленина, 12") == {"pothole"}  # the address as typed


def test_search_narrows_the_users_scope_and_never_widens_it(cases):
    agency = make_agency()
    make_case(text="Отопления нет вторую неделю", title="theirs", agency=agency)
    executor = make_user(Role.EXECUTOR, agency=make_agency())
    assert found("отопление", Case.objects.visible_to(executor)) == set()
    assert found("отопление") == {"heating", "theirs"}


def test_stems_cover_every_form_of_the_word():
    assert word_stems("отопления") == ("отоплен",)
    assert all(any(s in form for s in word_stems("елка")) for form in ("елка", "елок", "елкой", "елкам"))
    assert query_words("Ёлка, ёлка!  и дом") == ["елка", "дом"]
