"""Reading official answers: completions, promises and their terms, findings, referrals (real quotes)."""

from __future__ import annotations

from datetime import date

import pytest

from otklik.understanding.answer_reading import read_answer

ON = date(2020, 11, 20)


@pytest.mark.parametrize(
    "text, word",
    [
        ("Граффити на фасаде здания устранены.", "устранены"),
        ("Надписи закрашены.", "закрашены"),
        ("Просадка ликвидирована.", "ликвидирована"),
        ("Замечание устранено, мусор убран.", "убран"),
        ("Незаконная реклама с опоры удалена.", "удалена"),
        ("Объявление снято.", "снято"),
        ("Сотрудники УК убрали мусор у парадной.", "убрали"),
    ],
)
def test_completed_past_of_an_action_is_a_completion(text: str, word: str) -> None:
    assert word in read_answer(text, answered_on=ON).completions


@pytest.mark.parametrize(
    "text",
    [
        "Работы по удалению надписей не выполнены.",  # negated
        "Работы будут выполнены в срок до 15.05.2021.",  # a promise
        "В случае невыполнения работ в отношении УК будут применены меры.",  # conditional
        "Отработка сообщения включена в план мониторинга.",  # paperwork
        "Проведено обследование лестничной клетки.",  # an inspection
        "В результате осмотра установлено, что пандус не предусмотрен.",  # a finding
    ],
)
def test_no_completion(text: str) -> None:
    assert read_answer(text, answered_on=ON).completions == []


def test_a_regulations_date_is_not_a_term_and_a_promise_date_is() -> None:
    reading = read_answer(
        "Устранение возможно в агротехнический период, сроки которого установлены постановлением "
        "Правительства Санкт-Петербурга №875 от 06.10.2016. Работы будут выполнены в срок до 14.05.2021 г.",
        answered_on=ON,
    )
    assert "06.10.2016" in reading.document_dates
    assert [t.text for t in reading.work_terms] == ["14.05.2021"]
    assert reading.near_terms and not reading.far_terms


def test_a_programme_years_away_is_a_far_term_and_control_dates_are_not_work_terms() -> None:
    reading = read_answer(
        "Данный адрес включен в перспективную адресную программу на 2026 год (п. 21). "
        "Обращение остается на контроле до 20.12.2020.",
        answered_on=ON,
    )
    assert [t.text for t in reading.far_terms] == ["2026 год"]
    assert [t.control for t in reading.terms] == [False, True]


def test_findings_referrals_and_conditional_referrals() -> None:
    found = read_answer("Информация, указанная в Вашем сообщении, не подтвердилась.", answered_on=ON)
    assert found.findings
    referred = read_answer(
        "Собственнику направлено уведомление о демонтаже в срок до 15.05.2021.", answered_on=ON
    )
    assert referred.referral_steps and referred.near_terms
    maybe = read_answer("В случае неисполнения владельцу будет направлено предписание.", answered_on=ON)
    assert maybe.referral_steps == []


def test_a_day_and_month_without_a_year_is_a_term_and_a_past_review_is_no_plan_to_consider() -> None:
    reading = read_answer("Работы будут выполнены до 15 мая.", answered_on=ON)
    assert [(t.text, t.on) for t in reading.work_terms] == [("15 мая", date(2021, 5, 15))]
    done = read_answer("Вопрос рассмотрен: работы будут выполнены 25.11.2020.", answered_on=ON)
    assert done.monitoring == [] and [t.control for t in done.terms] == [False]
