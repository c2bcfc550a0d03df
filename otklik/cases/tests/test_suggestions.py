"""Bulk acceptance takes only the guesses that reach their category's threshold; the card's next case
follows the queue as last filtered."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.cases.suggestions import bulk_refusal, threshold_of
from otklik.directory.models import Agency, Category
from otklik.testing.factories import make_agency, make_case, make_category, make_user

pytestmark = pytest.mark.django_db


def _waiting(confidence: float | None, understanding: dict, minutes: int = 0) -> Case:
    category = Category.objects.filter(code="hot-water").first() or make_category(
        "Горячая вода", code="hot-water"
    )
    agency = Agency.objects.filter(name="Теплосети").first() or make_agency("Теплосети")
    return make_case(
        status=CaseStatus.MODERATION,
        created_at=timezone.now() - timedelta(minutes=minutes),
        suggested_category=category,
        suggested_agency=agency,
        category_confidence=confidence,
        understanding=understanding,
        with_message=False,
    )


def test_a_learned_threshold_decides(settings) -> None:
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 0.6
    model = {"decided_by": "model", "threshold": 0.8}
    assert bulk_refusal(_waiting(0.95, model)) is None
    refusal = bulk_refusal(_waiting(0.24, model))
    assert refusal is not None and "24%" in refusal and "80%" in refusal
    no_threshold = _waiting(0.99, {"decided_by": "model", "threshold": None})
    assert threshold_of(no_threshold) is None and bulk_refusal(no_threshold) is not None
    assert bulk_refusal(_waiting(None, model)) is not None


def test_rules_use_the_auto_route_confidence(settings) -> None:
    settings.OTKLIK_AUTO_ROUTE_CONFIDENCE = 0.6
    rules = {"decided_by": "rules", "threshold": None}
    assert bulk_refusal(_waiting(0.7, rules)) is None
    assert bulk_refusal(_waiting(0.49, rules)) is not None


def test_the_queue_accepts_the_sure_ones_and_keeps_the_rest_ticked(client, settings) -> None:
    model = {"decided_by": "model", "threshold": 0.8}
    sure, unsure = _waiting(0.95, model, minutes=1), _waiting(0.49, model, minutes=2)
    client.force_login(make_user(Role.MODERATOR))
    response = client.post(
        "/cases/confirm/", {"case": [sure.pk, unsure.pk], "next": "/cases/?tab=moderation"}, follow=True
    )
    sure.refresh_from_db()
    unsure.refresh_from_db()
    assert sure.status == CaseStatus.ASSIGNED and unsure.status == CaseStatus.MODERATION
    html = response.content.decode()
    assert 'data-testid="refusal"' in html and "49%" in html
    assert f'value="{unsure.pk}" form="confirm-form" class="bulk-pick" checked' in html
    again = client.get("/cases/?tab=moderation").content.decode()
    assert 'data-testid="refusal"' not in again  # shown once


def test_the_card_links_the_next_case_of_the_queue_as_filtered(client) -> None:
    model = {"decided_by": "model", "threshold": 0.8}
    first, second, third = (_waiting(c, model, minutes=m) for c, m in ((0.5, 1), (0.4, 2), (0.3, 3)))
    client.force_login(make_user(Role.MODERATOR))
    client.get("/cases/?tab=moderation&sort=newest")
    card = client.get(f"/cases/{first.pk}/").content.decode()
    assert f'href="/cases/{second.pk}/"' in card and 'data-testid="next-case"' in card
    card = client.get(f"/cases/{third.pk}/").content.decode()
    assert 'data-testid="next-case"' not in card  # the last one
    client.get("/cases/?tab=moderation&sort=uncertain")  # the least certain first: third, second, first
    card = client.get(f"/cases/{second.pk}/").content.decode()
    assert f'href="/cases/{first.pk}/"' in card
