"""A place the moderator confirms (``moderate_case``, ``set_case_place``) teaches the region's registry
the institution the case's text names (``otklik.understanding.places.institutions``)."""

from __future__ import annotations

import pytest

from otklik.accounts.models import Role
from otklik.cases import actions
from otklik.testing.factories import make_case, make_category, make_user
from otklik.understanding.models import Institution
from otklik.understanding.places import locate
from otklik.understanding.places.institutions import learn_from_case, learn_institution
from otklik.understanding.tests.institution_region import institution_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region() -> dict:
    return institution_region()


def test_a_moderators_confirmed_place_teaches_the_institution(region) -> None:
    moderator = make_user(Role.MODERATOR)
    case = make_case(text="Во дворе школы № 7 не вывозят мусор неделю")
    case = actions.moderate_case(case, moderator, category=make_category("ЖКХ"), territory=region["engels"])
    learned = learn_from_case(case)
    assert learned is not None
    assert (learned.kind, learned.number, learned.territory) == ("школа", "7", region["engels"])
    assert (learned.source, learned.confirmations, learned.lat) == (Institution.Source.MODERATOR, 1, None)
    # learned once: it places a text that names its town, not yet one that names no town
    assert locate("Опять у школы №7 не горят фонари").territory is None
    place = locate("Энгельс, опять у школы №7 не горят фонари")
    assert place.territory == region["engels"] and place.institution == "школа № 7"

    # the moderator picks the point on the map of a second case about it: confirmed again, with a point
    second = make_case(text="Возле школы № 7 провал асфальта")
    second = actions.set_case_place(second, moderator, lat=51.487, lon=46.105, territory=region["engels"])
    again = learn_from_case(second)
    assert again is not None and again.pk == learned.pk
    assert (again.confirmations, again.lat, again.lon) == (2, 51.487, 46.105)
    assert Institution.objects.count() == 1
    place = locate("Опять у школы №7 не горят фонари")  # confirmed twice: the only one it knows
    assert place.territory == region["engels"] and place.source == "institution"
    assert (place.lat, place.lon) == (51.487, 46.105)


def test_a_case_counts_once_and_takes_its_confirmation_along_when_moved(region) -> None:
    moderator = make_user(Role.MODERATOR)
    case = make_case(text="В поликлинике № 5 нет талонов к окулисту")
    case = actions.moderate_case(case, moderator, category=None, territory=region["saratov_okrug"])
    first = learn_from_case(case)
    case = actions.moderate_case(case, moderator, category=None, territory=region["saratov_okrug"])
    assert learn_from_case(case) == first
    first.refresh_from_db()
    assert (first.confirmations, first.case_ids) == (1, [case.pk])
    # the moderator corrects the place: the polyclinic is in Энгельс, the Саратов row was a mistake
    case = actions.moderate_case(case, moderator, category=None, territory=region["engels"])
    moved = learn_from_case(case)
    assert moved is not None and moved.territory == region["engels"] and moved.confirmations == 1
    assert list(Institution.objects.values_list("territory__name", flat=True)) == ["город Энгельс"]


def test_learning_in_a_village_refines_a_row_known_at_its_district(region) -> None:
    district_row = learn_institution("ФАП", "2", region["balakovo_district"])
    village_row = learn_institution("ФАП", "2", region["ivanovka"])
    assert village_row.pk == district_row.pk
    assert village_row.territory == region["ivanovka"] and village_row.confirmations == 2
    other_town = learn_institution("ФАП", "2", region["engels"])
    assert other_town.pk != district_row.pk  # the same number elsewhere is another institution


def test_nothing_is_learned_without_a_numbered_institution_or_a_territory(region) -> None:
    moderator = make_user(Role.MODERATOR)
    no_institution = make_case(text="Нет горячей воды третий день")
    no_institution = actions.moderate_case(
        no_institution, moderator, category=None, territory=region["engels"]
    )
    assert learn_from_case(no_institution) is None
    crb = make_case(text="В ЦРБ нет хирурга")
    crb = actions.moderate_case(crb, moderator, category=None, territory=region["engels"])
    assert learn_from_case(crb) is None
    region_only = make_case(text="В поликлинике № 2 очереди")
    region_only = actions.moderate_case(region_only, moderator, category=None, territory=region["oblast"])
    assert learn_from_case(region_only) is None
    assert not Institution.objects.exists()
