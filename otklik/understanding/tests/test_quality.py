"""Answer quality ("отписки", answers that miss the question) and similar past cases."""

from __future__ import annotations

from datetime import date

import pytest

from otklik.understanding.quality import PastCase, QualityFlag, SimilarCaseIndex, assess_answer, similar_cases

QUESTION = "Третий день нет горячей воды в доме по ул. Ленина 15, когда дадут воду?"


def test_boilerplate_answer_is_a_formal_non_answer() -> None:
    result = assess_answer(QUESTION, "Ваше обращение рассмотрено. Информация принята к сведению.")
    assert not result.passes
    assert QualityFlag.BOILERPLATE in result.flags and QualityFlag.NO_ACTION in result.flags
    assert "Информация принята к сведению" in result.evidence[QualityFlag.BOILERPLATE]


def test_answer_sending_the_resident_elsewhere_is_referral_only() -> None:
    answer = (
        "Уважаемый заявитель! По вопросу горячего водоснабжения вам необходимо обратиться "
        "в управляющую компанию по месту жительства."
    )
    result = assess_answer(QUESTION, answer)
    assert QualityFlag.REFERRAL_ONLY in result.flags
    assert not result.passes


@pytest.mark.parametrize(
    "question, answer",
    [  # short quotes of annotated St Petersburg answers, all labelled "done"
        ("Граффити на стене", "Граффити удалены."),
        ("Мусор на газоне", "Замечание устранено, мусор убран."),
        ("Надписи на заборе", "Надписи закрашены."),
        ("Провалился асфальт возле люка", "Проблема решена. Просадка ликвидирована."),
        ("Объявления на опоре", "Объявление снято."),
        ("Пень на газоне", "Проблема устранена."),
    ],
)
def test_brief_completions_pass(question: str, answer: str) -> None:
    result = assess_answer(question, answer, answered_on=date(2021, 3, 1))
    assert result.passes, result.explanation
    assert result.flags == []


def test_a_term_within_next_year_passes_and_years_away_is_deferred() -> None:
    question = "Бетонные блоки на газоне парка"
    near = "Адрес включен в адресную программу на 2021 год (п. 21). Работы будут выполнены до 15.10.2021."
    far = (
        "Адрес включен в перспективную адресную программу на 2026 год (п. 21). "
        "Работы будут выполнены до 15.10.2026 года."
    )
    assert assess_answer(question, near, answered_on=date(2020, 11, 19)).passes
    deferred = assess_answer(question, far, answered_on=date(2020, 11, 19))
    assert not deferred.passes and QualityFlag.DEFERRED in deferred.flags
    assert "15.10.2026" in deferred.evidence[QualityFlag.DEFERRED]
    # the same words written in 2025 promise next year's work
    assert assess_answer(question, far, answered_on=date(2025, 11, 19)).passes


def test_a_recital_of_the_regulation_fails_unless_the_work_was_done() -> None:
    recital = (
        "Зимняя уборка осуществляется согласно технологическому регламенту, утвержденному распоряжением "
        "Комитета по благоустройству от 20.11.2019 № 328-р. Допускается эксплуатация дорог с присутствием "
        "уплотненного снежного покрова толщиной не более 60 мм."
    )
    done = recital + " На указанной в Вашем сообщении территории произведены работы по уборке снега."
    assert not assess_answer("Снег на дороге", recital, answered_on=date(2021, 2, 16)).passes
    assert assess_answer("Снег на дороге", done, answered_on=date(2021, 2, 16)).passes


def test_a_plan_to_consider_is_monitoring_not_an_answer() -> None:
    answer = (
        "Отработка данного сообщения включена в план мониторинга, проводимого Учреждением. По результатам "
        "проведения мониторинга сообщение будет рассмотрено. Срок планового мониторинга: до 19.03.2021."
    )
    result = assess_answer("Демонтировать рекламную конструкцию", answer, answered_on=date(2020, 10, 28))
    assert not result.passes and QualityFlag.MONITORING in result.flags


def test_a_check_that_found_nothing_wrong_is_an_answer() -> None:
    answer = "Проведена проверка, факты не подтвердились, давление ГВС соответствует норме."
    assert assess_answer("Слабый напор горячей воды", answer, answered_on=date(2021, 2, 13)).passes


def test_negated_work_is_not_a_completion() -> None:
    result = assess_answer("Надписи на фасаде", "Работы по удалению надписей не выполнены.")
    assert not result.passes


def test_stock_phrase_matches_only_as_a_whole_phrase() -> None:
    # "спасибо за обращение" must not match an answer that merely says "обращение"
    result = assess_answer("Мусор во дворе", "На Ваше обращение сообщаем: мусор во дворе убран.")
    assert result.passes and QualityFlag.BOILERPLATE not in result.flags


def test_answer_about_something_else_is_off_topic() -> None:
    answer = "Ваше обращение рассмотрено, вопрос ямочного ремонта дороги на ул. Садовой прорабатывается."
    result = assess_answer(QUESTION, answer)
    assert not result.passes
    assert result.overlap < 0.2


def test_similar_cases_rank_the_paraphrase_first_with_its_answer() -> None:
    past = [
        PastCase(1, "Нет горячей воды в доме третий день", "Подача горячей воды восстановлена 3 марта"),
        PastCase(2, "Яма на дороге у школы, машины бьют колёса", "Яма заделана 5 мая"),
        PastCase(3, "Не вывозят мусор с контейнерной площадки", "Мусор вывезен 2 апреля"),
    ]
    found = similar_cases("Когда дадут горячую воду? Уже неделю нет воды в доме", past, limit=2)
    assert [c.case_id for c in found] == [1]
    assert found[0].answer == "Подача горячей воды восстановлена 3 марта"
    assert 0 < found[0].similarity <= 1


def test_similar_cases_index_is_reusable_and_excludes_the_case_itself() -> None:
    index = SimilarCaseIndex(
        [
            PastCase(10, "Во дворе не горят фонари", "Освещение восстановлено"),
            PastCase(11, "Фонари во дворе не горят неделю", "Лампы заменены 4 мая"),
        ]
    )
    found = index.query("Во дворе не горят фонари уже неделю", exclude=[11])
    assert [c.case_id for c in found] == [10]
    assert SimilarCaseIndex([]).query("что угодно") == []
