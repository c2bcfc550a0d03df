"""The resident's status page: reachable only with its token; the published answer; rating it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Case, Rating
from otklik.public import services
from otklik.testing.factories import make_case

pytestmark = pytest.mark.django_db


def status_url(case: Case, token: str | None = None) -> str:
    return reverse("public:status", args=[case.number, token or services.status_token(case)])


def published_case() -> Case:
    case = make_case(status=CaseStatus.PUBLISHED, text="Нет горячей воды на ул. Тельмана")
    Answer.objects.create(
        case=case, text="Подачу горячей воды восстановили 3 марта.", status=AnswerStatus.PUBLISHED
    )
    return case


def test_the_token_opens_only_its_own_case(client):
    mine, other = make_case(), make_case()
    assert client.get(status_url(mine)).status_code == 200
    assert client.get(status_url(mine, "0" * 32)).status_code == 404
    assert client.get(status_url(other, services.status_token(mine))).status_code == 404
    missing = reverse("public:status", args=["9999-999999", services.status_token(mine)])
    assert client.get(missing).status_code == 404


def test_the_status_page_is_not_indexed_and_leaks_no_referrer(client):
    case = make_case()
    response = client.get(status_url(case))
    # Never to other sites; "same-origin", not "no-referrer": with "no-referrer" browsers send
    # "Origin: null" with the rating form and Django's CSRF check refuses it.
    assert response["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()
    assert "noindex" in response["X-Robots-Tag"]
    assert response.context["view"].status == str(services.PUBLIC_STATUS[CaseStatus.NEW])
    assert response.context["rating_form"] is None


def test_the_published_answer_is_shown_and_can_be_rated(client):
    case = published_case()
    page = client.get(status_url(case))
    assert "Подачу горячей воды восстановили" in page.content.decode()
    assert page.context["rating_form"] is not None
    url = reverse("public:rate", args=[case.number, services.status_token(case)])
    response = client.post(url, {"score": "5", "comment": "Спасибо"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert Rating.objects.get(case=case).score == 5
    assert client.get(status_url(case)).context["view"].rating.score == 5
    again = client.post(url, {"score": "1"})
    assert again.status_code == 400 and Rating.objects.count() == 1


def test_not_solved_reopens_the_case(client):
    case = published_case()
    url = reverse("public:rate", args=[case.number, services.status_token(case)])
    client.post(url, {"score": "2", "not_solved": "on", "comment": "Воды так и нет"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED and case.reopen_count == 1


def test_rating_needs_the_token_and_a_score_from_1_to_5(client):
    case = published_case()
    assert (
        client.post(reverse("public:rate", args=[case.number, "f" * 32]), {"score": "5"}).status_code == 404
    )
    url = reverse("public:rate", args=[case.number, services.status_token(case)])
    assert client.post(url, {"score": "7"}).status_code == 400
    assert not Rating.objects.exists()


def test_a_merged_case_shows_the_progress_of_the_case_it_joined(client):
    target = published_case()
    merged = make_case(status=CaseStatus.MERGED, merged_into=target)
    view = client.get(status_url(merged)).context["view"]
    assert view.shown == target and view.can_rate
