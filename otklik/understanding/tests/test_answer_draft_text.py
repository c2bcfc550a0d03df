"""Drafts from past answers: the other case blanked, formal non-answers skipped, edits measured."""

from __future__ import annotations

from otklik.understanding.answer_draft import DraftSource, generalize, kept_share, make_draft, unedited

PAST = "Рассмотрев Ваше сообщение № 3143697 от 17.01.2021, сообщаем: надписи на стене здания устранены."


def test_generalize_blanks_the_other_cases_number_and_dates() -> None:
    text = generalize(PAST)
    assert text == "Рассмотрев Ваше сообщение № […] от […], сообщаем: надписи на стене здания устранены."


def test_make_draft_skips_formal_non_answers_and_takes_the_next_best() -> None:
    sources = [
        DraftSource(1, 0.9, "Ваше обращение рассмотрено, информация принята к сведению."),
        DraftSource(2, 0.8, PAST),
    ]
    draft = make_draft("Надписи на стене дома", sources)
    assert draft is not None and draft.source_case_id == 2 and draft.quality.passes
    assert make_draft("Надписи на стене дома", sources[:1]) is None


def test_unedited_and_kept_share() -> None:
    draft = generalize(PAST)
    assert unedited(draft, draft) == "unchanged"
    assert unedited(draft + " Фото прилагается.", draft) == "placeholder"
    edited = draft.replace("№ […] от […]", "№ 3363942 от 18.04.2021")
    assert unedited(edited, draft) is None
    assert unedited("Любой текст", "") is None
    assert 0.5 < kept_share(edited, draft) < 1.0
    assert kept_share(draft, draft) == 1.0
