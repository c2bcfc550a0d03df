"""Inline correction in the queue: the row becomes a form, the change goes through the moderation
action (history, assignment, deadline), the row comes back as the queue renders it; executors and
analysts cannot do it, out-of-scope cases are a 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case, CaseEvent
from otklik.cases.tests.test_views import region  # noqa: F401  (the shared fixture)
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _waiting(r: dict[str, Any]) -> Case:
    return make_case(
        status=CaseStatus.MODERATION,
        text="Яма на дороге у дома 5, а пайплайн решил, что это горячая вода",
        suggested_category=r["hot_water"],
        suggested_territory=r["district"],
        suggested_agency=r["agency_a"],
        category_confidence=0.41,
    )


def _row(html: str, case: Case) -> str:
    found = re.search(rf'<tr[^>]*data-case="{re.escape(case.number)}".*?</tr>', html, re.S)
    assert found, html
    return found.group(0)


def test_queue_row_offers_the_inline_correction_to_the_moderator_only(client, region):  # noqa: F811
    case = _waiting(region)
    assigned = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, category=region["hot_water"])
    client.force_login(region["moderator"])
    html = client.get(reverse("cases:queue"), {"tab": "all"}).content.decode()
    assert "data-inline-edit" in _row(html, case)
    assert "data-inline-edit" in _row(html, assigned)  # a wrong agency is corrected from the row too

    client.force_login(region["executor_a"])
    html = client.get(reverse("cases:queue"), {"tab": "all"}).content.decode()
    assert "data-inline-edit" not in _row(html, assigned)


def test_the_row_becomes_a_form_with_the_suggestion_filled_in(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:inline-edit", args=[case.pk]), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="inline-edit-row"' in html
    assert 'name="is_urgent"' not in html
    for name in ("category", "territory", "agency"):
        assert f'name="{name}"' in html
    assert f'<option value="{region["hot_water"].pk}" selected' in html
    assert "autofocus" in html
    assert "<script" not in html and "style=" not in html  # the CSP allows neither


def test_inline_correction_goes_through_moderation_and_sends_the_row_back(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    response = client.post(
        reverse("cases:inline-edit", args=[case.pk]),
        {
            "category": region["roads"].pk,
            "territory": region["district"].pk,
            "agency": "",
            "tab": "moderation",
        },
        **HTMX,
    )
    assert response.status_code == 200
    case.refresh_from_db()
    # the routing rules found the agency for the corrected category: the case is assigned, the clock runs
    assert (case.category, case.agency, case.status) == (
        region["roads"],
        region["agency_b"],
        CaseStatus.ASSIGNED,
    )
    assert case.deadline_at is not None
    events = list(CaseEvent.objects.filter(case=case).order_by("pk").values_list("kind", "actor"))
    assert (EventKind.MODERATED, region["moderator"].pk) in events
    assert (EventKind.ASSIGNED, region["moderator"].pk) in events
    moderated = CaseEvent.objects.get(case=case, kind=EventKind.MODERATED)
    assert moderated.after["category"]["name"] == "Дороги"
    row = _row(response.content.decode(), case)
    assert "Дороги" in row and "Министерство транспорта" in row
    assert "data-inline-edit" in row  # still correctable: assigned cases can be reassigned
    assert 'id="tab-input" value="moderation"' in response.content.decode()  # the tab stays


def test_a_chosen_agency_wins_over_the_routing_rules(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    client.post(
        reverse("cases:inline-edit", args=[case.pk]),
        {"category": region["roads"].pk, "territory": "", "agency": region["agency_a"].pk},
        **HTMX,
    )
    case.refresh_from_db()
    assert (case.category, case.territory, case.agency) == (region["roads"], None, region["agency_a"])


def test_executor_cannot_correct_even_a_case_of_their_own_agency(client, region):  # noqa: F811
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, category=region["hot_water"])
    client.force_login(region["executor_a"])
    url = reverse("cases:inline-edit", args=[case.pk])
    assert client.get(url, **HTMX).status_code == 403
    response = client.post(url, {"category": region["roads"].pk, "agency": region["agency_b"].pk}, **HTMX)
    assert response.status_code == 403
    case.refresh_from_db()
    assert (case.category, case.agency, case.status) == (
        region["hot_water"],
        region["agency_a"],
        CaseStatus.ASSIGNED,
    )
    assert not CaseEvent.objects.filter(case=case).exists()


def test_out_of_scope_case_is_a_404_for_executors_and_analysts(client, region):  # noqa: F811
    case = make_case(agency=region["agency_b"], status=CaseStatus.ASSIGNED, category=region["roads"])
    client.force_login(region["executor_a"])
    url = reverse("cases:inline-edit", args=[case.pk])
    assert client.post(url, {"category": region["hot_water"].pk}, **HTMX).status_code == 404
    assert client.get(reverse("cases:inline-row", args=[case.pk]), **HTMX).status_code == 404
    client.force_login(region["analyst"])  # analysts read analytics only: no case at all
    assert client.post(url, {"category": region["hot_water"].pk}, **HTMX).status_code == 404
    assert not CaseEvent.objects.filter(case=case).exists()


def test_a_case_past_moderation_says_why_and_changes_nothing(client, region):  # noqa: F811
    case = make_case(agency=region["agency_a"], status=CaseStatus.ANSWERED, category=region["hot_water"])
    client.force_login(region["moderator"])
    url = reverse("cases:inline-edit", args=[case.pk])
    response = client.post(url, {"category": region["roads"].pk, "agency": region["agency_b"].pk}, **HTMX)
    assert response.status_code == 200
    assert 'data-testid="inline-edit-error"' in response.content.decode()
    case.refresh_from_db()
    assert case.category == region["hot_water"] and case.status == CaseStatus.ANSWERED
    assert not CaseEvent.objects.filter(case=case).exists()


def test_missing_category_shows_the_form_again(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    response = client.post(reverse("cases:inline-edit", args=[case.pk]), {"category": ""}, **HTMX)
    assert 'data-testid="inline-edit-row"' in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.MODERATION and case.category is None


def test_without_htmx_the_correction_returns_to_the_queue(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    response = client.post(
        reverse("cases:inline-edit", args=[case.pk]),
        {
            "category": region["hot_water"].pk,
            "territory": region["district"].pk,
            "agency": "",
            "next": "/cases/?tab=moderation",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/cases/?tab=moderation"
    case.refresh_from_db()
    assert case.agency == region["agency_a"]


def test_cancel_puts_the_row_back_unchanged(client, region):  # noqa: F811
    case = _waiting(region)
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:inline-row", args=[case.pk]), **HTMX)
    row = _row(response.content.decode(), case)
    assert "data-inline-edit" in row and "Горячая вода" in row
    assert not CaseEvent.objects.filter(case=case).exists()
