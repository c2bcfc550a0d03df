"""The answer-writing aid on the executor's case card: the executor sees a draft made from an approved
answer of the same category and agency, the form refuses it unchanged or with a blank "[…]" left,
takes it edited, and records how much of the draft the answer kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import similar
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.models import Answer, Case
from otklik.testing.factories import make_agency, make_case, make_category, make_user
from tests.browser.session import fits, log_in, open_action, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Надписи на стене дома у второй парадной, просьба закрасить"
PAST_ANSWER = (
    "Рассмотрев Ваше сообщение № 3143697 от 17.01.2021, сообщаем: надписи на стене здания устранены "
    "силами управляющей организации."
)


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


def _refused(page: Any, case: Case, answer_form: Any, text: str) -> str:
    """Send ``text`` from the answer form: refused at the form with the reason, the text left as
    written, nothing sent."""
    textarea = answer_form.locator("textarea[name=text]")
    textarea.fill(text)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if request.method == "POST" else None)
    answer_form.locator("button[type=submit]").click()
    refused = answer_form.locator('[data-testid="draft-refused"]')
    refused.wait_for()
    assert textarea.input_value() == text  # what the executor wrote is still there
    assert not requests and not case.answers.exists()
    return refused.inner_text()


def test_executor_edits_the_draft_before_it_is_sent(live_server: Any, page: Any, screenshots: Path) -> None:
    similar.invalidate()
    housing = make_agency("Жилищное агентство Центрального района")
    facades = make_category("Фасады", code="facades")
    source = _past(housing, facades, "Надписи на стене дома, закрасить", PAST_ANSWER)
    make_user(Role.EXECUTOR, username="executor", agency=housing, first_name="Ирина", last_name="Волкова")
    case = make_case(agency=housing, category=facades, status=CaseStatus.IN_PROGRESS, text=QUESTION)
    base = live_server.url

    log_in(page, base, "executor")
    page.goto(f"{base}/cases/{case.pk}/")
    panel = page.locator('[data-testid="answer-draft"]')
    assert "Черновик ответа" in (panel.locator("h2").text_content() or "")
    assert "надписи на стене здания устранены" in panel.inner_text()
    assert "3143697" not in panel.inner_text() and "[…]" in panel.inner_text()  # the other case blanked
    page.screenshot(path=str(screenshots / "draft-01-card-1440.png"), full_page=True)

    # the draft goes into the answer form; sent unchanged it is refused
    panel.locator('[data-testid="use-draft"]').click()
    answer_form = open_action(page, "answer")
    draft = answer_form.locator("textarea[name=text]").input_value()
    assert "надписи на стене здания устранены" in draft and "[…]" in draft
    page.screenshot(path=str(screenshots / "draft-02-form-1440.png"), full_page=True)
    assert "ответ по другому обращению" in _refused(page, case, answer_form, draft)

    # a blank left for this case's number or date: refused too, the executor's words kept
    reason = _refused(
        page, case, answer_form, draft.replace("№ […]", f"№ {case.number}") + " Фото прилагается."
    )
    assert "Заполните пропуски […]" in reason
    page.screenshot(path=str(screenshots / "draft-03-refused-1440.png"), full_page=True)

    # edited for this case: taken, and the share of the draft kept is recorded
    page.set_viewport_size({"width": 390, "height": 844})
    edited = draft.replace("№ […] от […]", f"№ {case.number} от {timezone.localdate():%d.%m.%Y}")
    assert "[…]" not in edited
    answer_form.locator("textarea[name=text]").fill(edited)
    fits(page)
    page.screenshot(path=str(screenshots / "draft-04-form-390.png"), full_page=True)
    answer_form.locator("button[type=submit]").click()
    wait_status(page, CaseStatus.ANSWERED)
    fits(page)
    page.screenshot(path=str(screenshots / "draft-05-answered-390.png"), full_page=True)
    answer = Answer.objects.get(case=case)
    assert answer.text == edited
    assert answer.draft_source == source.pk
    assert answer.draft_kept is not None and 0.5 < answer.draft_kept < 1.0
