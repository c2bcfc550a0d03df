"""Answer quality ("отписки", answers that miss the question) and similar past cases."""

from __future__ import annotations

from otklik.understanding.quality import PastCase, QualityFlag, SimilarCaseIndex, assess_answer, similar_cases

QUESTION = "Третий день нет горячей воды в доме по ул. Ленина 15, когда дадут воду?"


def test_boilerplate_answer_is_a_formal_non_answer() -> None:
    result = assess_answer(QUESTION, "Ваше обращение рассмотрено. Информация принята к сведению.")
    assert QualityFlag.BOILERPLATE in result.flags
    assert QualityFlag.NO_ACTION in result.flags and QualityFlag.NO_DATE in result.flags
    assert not result.passes
    assert "информация принята к сведению" in result.evidence[QualityFlag.BOILERPLATE]


def test_answer_sending_the_resident_elsewhere_is_referral_only() -> None:
    answer = (
        "Уважаемый заявитель! По вопросу горячего водоснабжения вам необходимо обратиться "
        "в управляющую компанию по месту жительства."
    )
    result = assess_answer(QUESTION, answer)
    assert QualityFlag.REFERRAL_ONLY in result.flags
    assert not result.passes


def test_concrete_answer_with_action_and_date_passes() -> None:
    answer = (
        "Горячее водоснабжение в доме 15 по ул. Ленина восстановлено 12.03.2026 после замены участка "
        "трубы. Подача горячей воды возобновлена в полном объёме."
    )
    result = assess_answer(QUESTION, answer)
    assert result.flags == []
    assert result.score == 1.0 and result.passes


def test_planned_work_with_a_term_counts_as_action_and_date() -> None:
    question = "Огромная яма на дороге у школы № 5 на улице Садовой, машины бьют колёса"
    answer = "Ямочный ремонт дороги на улице Садовой у школы будет выполнен до 15 мая подрядной организацией."
    result = assess_answer(question, answer)
    assert QualityFlag.NO_ACTION not in result.flags and QualityFlag.NO_DATE not in result.flags
    assert QualityFlag.OFF_TOPIC not in result.flags


def test_answer_about_something_else_is_off_topic() -> None:
    answer = (
        "Ямочный ремонт дороги на ул. Садовой будет выполнен до 15 мая в рамках муниципального контракта."
    )
    result = assess_answer(QUESTION, answer)
    assert QualityFlag.OFF_TOPIC in result.flags
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
