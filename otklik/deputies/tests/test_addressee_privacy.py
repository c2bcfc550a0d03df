"""Finding 4 of issue 11: an appeal addressed to someone (a deputy's reception office) never joins, and
is never joined by, a case of another addressee or of nobody in particular; and appeals to deputies —
private correspondence — are not on the public map nor in Open311 (docs/decisions/0007)."""

from __future__ import annotations

import pytest

from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.public.tests.appeal_data import form_data
from otklik.testing.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_residents_appeal_never_joins_a_deputys_case(client, council):
    office = council["ivanov"].office
    assert client.post(f"/deputies/{council['ivanov'].pk}/", form_data()).status_code == 302
    assert client.post("/public/appeal/", form_data()).status_code == 302  # the same text, later
    assert Case.objects.count() == 2
    deputys = Case.objects.get(agency=office)
    assert deputys.messages.count() == 1 and deputys.author_count == 1
    assert deputys.addressed_to == office
    assert Case.objects.exclude(pk=deputys.pk).get().addressed_to is None


def test_appeals_to_two_deputies_stay_apart(client, council):
    assert client.post(f"/deputies/{council['ivanov'].pk}/", form_data()).status_code == 302
    assert client.post(f"/deputies/{council['petrova'].pk}/", form_data()).status_code == 302
    offices = set(Case.objects.values_list("addressed_to", flat=True))
    assert offices == {council["ivanov"].office.pk, council["petrova"].office.pk}


def test_a_reworded_appeal_does_not_join_a_deputys_case_either(client, council):
    from otklik.public.tests.appeal_data import TEXT

    assert client.post(f"/deputies/{council['ivanov'].pk}/", form_data()).status_code == 302
    reworded = form_data(text=TEXT.replace("Прошу", "Очень прошу") + " Спасибо.")
    assert client.post("/public/appeal/", reworded).status_code == 302
    assert Case.objects.count() == 2
    assert Case.objects.get(agency=council["ivanov"].office).messages.count() == 1


def test_a_moderator_cannot_merge_cases_of_different_addressees(client, council):
    from django.core.exceptions import ValidationError

    from otklik.accounts.choices import Role
    from otklik.cases.actions import merge_cases

    client.post(f"/deputies/{council['ivanov'].pk}/", form_data())
    client.post("/public/appeal/", form_data())
    deputys = Case.objects.get(addressed_to__isnull=False)
    residents = Case.objects.get(addressed_to__isnull=True)
    moderator = make_user(Role.MODERATOR, username="mod")
    with pytest.raises(ValidationError):
        merge_cases(residents, deputys, moderator)
    with pytest.raises(ValidationError):
        merge_cases(deputys, residents, moderator)


def test_appeals_to_deputies_are_not_on_the_public_map_nor_in_open311(client, council):
    client.post(f"/deputies/{council['ivanov'].pk}/", form_data())
    client.post("/public/appeal/", form_data())
    Case.objects.update(status=CaseStatus.IN_PROGRESS, lat=51.49, lon=46.12)
    deputys = Case.objects.get(addressed_to__isnull=False)
    residents = Case.objects.get(addressed_to__isnull=True)
    listed = {row["service_request_id"] for row in client.get("/open311/v2/requests.json").json()}
    assert residents.number in listed and deputys.number not in listed
    assert client.get(f"/open311/v2/requests/{deputys.number}.json").status_code == 404
    assert client.get(f"/public/problems/{deputys.number}/").status_code == 404
    assert client.get(f"/public/problems/{residents.number}/").status_code == 200
    assert deputys.number not in client.get("/public/map/").content.decode()
