"""A reopened case, right after the resident said the answer did not solve it: the public problem
page, the resident's status page and Open311 say it is in work again, and the old answer is shown
only as the earlier one — never inside the status badge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer
from otklik.directory.models import Category
from otklik.public import open311
from otklik.public.services import status_token
from otklik.testing.factories import make_case, make_user

pytestmark = pytest.mark.django_db

OLD_ANSWER = "Яма заделана 3 марта, дорожное покрытие восстановлено."


@pytest.fixture
def reopened(region):
    now = timezone.now()
    case = make_case(
        status=CaseStatus.PUBLISHED,
        category=Category.objects.get(code="roads-potholes"),
        agency=region["roads"],
        text="Яма на дороге у остановки",
        lat=51.50,
        lon=46.10,
        created_at=now - timedelta(days=5),
    )
    Answer.objects.create(
        case=case,
        author=make_user(Role.SUPERVISOR),
        text=OLD_ANSWER,
        status=AnswerStatus.PUBLISHED,
        published_at=now,
    )
    actions.rate_case(case, score=1, comment="Яма на месте", reopen=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    return case


@override_settings(LANGUAGE_CODE="ru")
def test_open311_says_open_with_the_status_not_the_old_answer(reopened):
    [row] = [open311.request_row(c) for c in open311.find_requests({"service_request_id": reopened.number})]
    assert row["status"] == "open"
    assert OLD_ANSWER not in row["status_notes"]
    assert row["status_notes"] == "Снова в работе"


def test_open311_api_answers_the_same(client, reopened):
    [row] = client.get(f"/open311/v2/requests/{reopened.number}.json", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert row["status"] == "open" and OLD_ANSWER not in row["status_notes"]


def test_the_problem_page_badge_is_the_status_and_the_old_answer_is_marked_earlier(client, reopened):
    html = client.get(f"/public/problems/{reopened.number}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    badge = html.split('data-testid="problem-status">', 1)[1].split("</span>", 1)[0]
    assert OLD_ANSWER not in badge and "Снова в работе" in badge
    assert 'data-testid="problem-answer"' not in html  # no current answer
    earlier = html.split('data-testid="previous-answer"', 1)[1]
    assert OLD_ANSWER in earlier.split("</section>", 1)[0]


def test_the_status_page_shows_the_old_answer_as_the_earlier_one(client, reopened):
    html = client.get(
        f"/public/status/{reopened.number}/{status_token(reopened)}/", HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    badge = html.split('data-testid="public-status">', 1)[1].split("</span>", 1)[0]
    assert badge.strip() == "Снова в работе"
    assert 'data-testid="previous-answer"' in html and OLD_ANSWER in html
    assert 'data-testid="answer"' not in html  # no current answer
    earlier = html.split('data-testid="previous-answer"', 1)[1].split("</section>", 1)[0]
    assert "Предыдущий ответ не решил проблему" in earlier and OLD_ANSWER in earlier
    assert 'name="score"' not in html  # nothing to rate until the new answer


def test_a_new_answer_after_reopening_is_the_current_one(client, reopened):
    Answer.objects.create(
        case=reopened,
        text="Яму заделали повторно 10 марта.",
        status=AnswerStatus.PUBLISHED,
        published_at=timezone.now(),
    )
    reopened.status = CaseStatus.PUBLISHED
    reopened.save(update_fields=["status"])
    [row] = [open311.request_row(c) for c in open311.find_requests({"service_request_id": reopened.number})]
    assert row["status"] == "closed" and row["status_notes"] == "Яму заделали повторно 10 марта."
