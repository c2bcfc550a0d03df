"""The answer-writing aid: a draft from the approved answers of the same category and agency, edited
before it is sent (never unchanged), with how much of it was kept recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions, similar
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Case
from otklik.testing.factories import make_agency, make_case, make_category, make_user

pytestmark = pytest.mark.django_db

QUESTION = "Надписи на стене дома у второй парадной, просьба закрасить"


@pytest.fixture(autouse=True)
def _fresh_similar_index() -> Any:
    similar.invalidate()
    yield
    similar.invalidate()


def _past(agency: Any, category: Any, text: str, answer: str) -> Case:
    case = make_case(agency=agency, category=category, status=CaseStatus.PUBLISHED, text=text)
    Answer.objects.create(
        case=case,
        kind=AnswerKind.FINAL,
        status=AnswerStatus.PUBLISHED,
        text=answer,
        published_at=timezone.now(),
    )
    return case


@pytest.fixture
def world() -> dict[str, Any]:
    housing = make_agency("Жилищное агентство")
    other = make_agency("Администрация района")
    facades = make_category("Фасады", code="facades")
    return {
        "housing": housing,
        "facades": facades,
        "executor": make_user(Role.EXECUTOR, username="executor", agency=housing),
        # the best match is a formal non-answer: never offered as a draft
        "formal": _past(
            housing, facades, "Надписи на стене дома у парадной",
            "Ваше обращение рассмотрено, информация принята к сведению.",
        ),
        "good": _past(
            housing, facades, "Надписи на стене дома, закрасить",
            "Рассмотрев Ваше сообщение № 3143697 от 17.01.2021, сообщаем: надписи на стене здания устранены.",
        ),
        "other_agency": _past(
            other, facades, "Надписи на стене дома у второй парадной, закрасить",
            "Надписи на стене закрашены 3 марта.",
        ),
    }  # fmt: skip


def test_draft_comes_from_a_passing_answer_of_the_same_agency_with_the_other_case_blanked(world):
    case = make_case(
        agency=world["housing"], category=world["facades"], status=CaseStatus.ASSIGNED, text=QUESTION
    )
    draft = similar.draft_for(case, world["executor"])
    assert draft is not None and draft.source_case_id == world["good"].pk
    assert "3143697" not in draft.text and "17.01.2021" not in draft.text and "[…]" in draft.text
    assert "надписи на стене здания устранены" in draft.text
    assert draft.quality.passes


def test_the_card_offers_the_draft_to_the_executor(client, world):
    case = make_case(
        agency=world["housing"], category=world["facades"], status=CaseStatus.ASSIGNED, text=QUESTION
    )
    client.force_login(world["executor"])
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="answer-draft"' in page and 'data-testid="use-draft"' in page
    assert f'data-draft-source="{world["good"].pk}"' in page


def test_a_draft_is_never_sent_unedited_and_the_kept_share_is_recorded(world):
    case = make_case(
        agency=world["housing"], category=world["facades"], status=CaseStatus.ASSIGNED, text=QUESTION
    )
    draft = similar.draft_for(case, world["executor"])
    assert draft is not None
    with pytest.raises(ValidationError):
        actions.write_answer(case, world["executor"], text=draft.text, draft=draft.text)
    with pytest.raises(ValidationError):  # a blank left for this case's number
        actions.write_answer(
            case, world["executor"], text=draft.text + " Фото прилагается.", draft=draft.text
        )
    edited = draft.text.replace("№ […] от […]", "№ 3363942 от 18.04.2021")
    answer = actions.write_answer(
        case, world["executor"], text=edited, draft=draft.text, draft_source=draft.source_case_id
    )
    assert answer.draft_source == world["good"].pk
    assert answer.draft_kept is not None and 0.5 < answer.draft_kept < 1.0
    plain = actions.write_answer(
        case, world["executor"], text="Надписи на стене закрашены 20 апреля.", kind=AnswerKind.INTERIM
    )
    assert plain.draft_kept is None and plain.draft_source is None


def test_the_answer_form_carries_the_draft(client, world):
    case = make_case(
        agency=world["housing"], category=world["facades"], status=CaseStatus.ASSIGNED, text=QUESTION
    )
    draft = similar.draft_for(case, world["executor"])
    assert draft is not None
    client.force_login(world["executor"])
    url = reverse("cases:answer", args=[case.pk])
    client.post(url, {"kind": AnswerKind.FINAL, "text": draft.text, "draft": draft.text})
    assert not Answer.objects.filter(case=case).exists()  # refused: unchanged
    edited = draft.text.replace("№ […] от […]", "№ 3363942 от 18.04.2021")
    client.post(
        url,
        {"kind": AnswerKind.FINAL, "text": edited, "draft": draft.text, "draft_source": draft.source_case_id},
    )
    assert Answer.objects.get(case=case).draft_source == world["good"].pk


def test_the_drafts_report_counts_answers_written_from_a_draft(world):
    from io import StringIO

    from django.core.management import call_command

    case = make_case(
        agency=world["housing"], category=world["facades"], status=CaseStatus.ASSIGNED, text=QUESTION
    )
    draft = similar.draft_for(case, world["executor"])
    assert draft is not None
    edited = draft.text.replace("№ […] от […]", "№ 3363942 от 18.04.2021")
    actions.write_answer(
        case, world["executor"], text=edited, draft=draft.text, draft_source=draft.source_case_id
    )
    out = StringIO()
    call_command("answer_drafts", stdout=out)
    assert "1 of 4 answer(s) written from a draft" in out.getvalue()
    assert "1 pass the answer check (100 %)" in out.getvalue()
