"""The card's selects list the directory from the process's copy (forms.DIRECTORY_SELECTS): the same
markup as their querysets would give, and a change of the directory shows at once."""

from __future__ import annotations

import pytest

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.forms import DIRECTORY_SELECTS
from otklik.cases.models import Case
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory():
    district = make_territory("Энгельсский район")
    make_territory("село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=district)
    make_territory("Балаковский район")
    utilities = make_category("ЖКХ", code="zhkh")
    make_category("Горячая вода", code="hot-water", parent=utilities)
    make_category("Дороги", code="roads")
    make_agency("Водоканал", short_name="МУП «Водоканал»")
    make_agency("Минтранс")
    make_agency("Закрытое ведомство", is_active=False)
    return {"district": district, "utilities": utilities}


@pytest.mark.parametrize("form_class", list(DIRECTORY_SELECTS), ids=lambda c: c.__name__)
def test_the_kept_options_render_as_the_querysets_would(directory, form_class):
    case = make_case(status=CaseStatus.MODERATION, category=directory["utilities"], with_message=False)
    user = make_user(Role.MODERATOR)
    kept = form_class(case=case, user=user)
    plain = form_class(case=case, user=user)
    for name in DIRECTORY_SELECTS[form_class]:
        field = plain.fields[name]
        field.widget.choices = field.choices  # the queryset's own iterator, as Django renders it
        assert str(kept[name]) == str(plain[name]), name
        assert str(kept[name]).count("<option") > 2


def test_a_changed_directory_shows_on_the_next_card(directory):
    from otklik.cases.forms import AssignForm
    from otklik.directory.models import Agency

    case = make_case(status=CaseStatus.MODERATION, with_message=False)
    user = make_user(Role.MODERATOR)
    assert "Минтранс" in str(AssignForm(case=case, user=user)["agency"])
    agency = Agency.objects.get(name="Минтранс")
    agency.is_active = False
    agency.save()
    next_card = Case.objects.get(pk=case.pk)  # the next card reads its case anew
    assert "Минтранс" not in str(AssignForm(case=next_card, user=user)["agency"])
