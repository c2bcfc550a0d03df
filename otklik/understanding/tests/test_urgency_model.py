"""The learned urgency model beside the rules: the shipped file, its verdicts on short quotes of real
annotated appeals (development part), the combination's logic, the reason shown, and that training
from ../shared/data gives the shipped file again (skipped when the data is not beside the project)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.utils import translation

from otklik.understanding import urgency
from otklik.understanding import urgency_annotations as ua
from otklik.understanding.annotations import shared_data
from otklik.understanding.explain import explain
from otklik.understanding.text import AnalyzedText, analyze
from otklik.understanding.urgency import Urgency, read_rules
from otklik.understanding.urgency.learned import (
    MODEL_FILE,
    Source,
    UrgencyModel,
    combine,
    feature_names,
    load_model,
    vectorize,
)

needs_data = pytest.mark.skipif(
    not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)


def _p(text: str) -> float:
    model = load_model()
    assert model is not None
    analyzed = analyze(text)
    hits = read_rules(analyzed, 1).hits
    p = model.probability(vectorize(analyzed, hits, model.blocks))
    assert model.score(analyzed, hits) == pytest.approx(p, abs=1e-9)  # the run-time path, the same
    return p


def test_the_shipped_model_loads_with_an_operating_point_chosen_on_development_rows() -> None:
    model = load_model()
    assert model is not None
    assert len(model.weights) > 1_000 and 0.0 <= model.with_rules <= model.alone <= 1.0
    assert model.trained["rows"] > 1_000 and model.trained["cv_precision"] >= 0.85
    assert "текст" not in MODEL_FILE.read_text(encoding="utf-8")  # numbers, no words


@pytest.mark.parametrize(
    "quote",
    [
        "Прорыв трубы отопления, кипяток течёт в подвал",
        "С крыши свисают огромные сосульки над входом",
        "Открытый люк на тротуаре, дети ходят рядом",
    ],
)
def test_the_model_leans_to_urgent_on_emergencies(quote: str) -> None:
    assert _p(quote) > 0.5


@pytest.mark.parametrize(
    "quote",
    [
        "Просим покрасить скамейки во дворе",
        "Плохо убирают снег на парковке",
        "Не горит свет в подъезде",
    ],
)
def test_the_model_leans_to_the_days_work_on_chores(quote: str) -> None:
    assert _p(quote) < 0.5


def test_the_dense_block_is_the_mean_word_vector_at_unit_length_after_the_hashed_columns() -> None:
    import numpy as np

    from otklik.understanding.urgency.learned import DENSE, DENSE_SIZE, DIMENSION, mean_vector

    analyzed = analyze("Прорыв трубы отопления в подвале")
    vector = vectorize(analyzed, [], {DENSE: 0.5})
    assert sorted(vector) == list(range(DIMENSION, DIMENSION + DENSE_SIZE))
    values = np.array([vector[DIMENSION + i] for i in range(DENSE_SIZE)])
    assert float(np.linalg.norm(values)) == pytest.approx(0.5)
    assert mean_vector(["qqqzzz"]) is None and vectorize(analyze("qqqzzz"), [], {DENSE: 0.5}) == {}
    model = UrgencyModel(
        {DIMENSION + i: 0.01 * (i % 7) for i in range(DENSE_SIZE)}, -0.2, 0.5, 1.0, {DENSE: 0.5}
    )
    assert model.score(analyzed, []) == pytest.approx(model.probability(vector), abs=1e-9)


def test_negated_words_are_features_of_their_own() -> None:
    names = feature_names(analyze("не горит фонарь"), [])["w"]
    assert "w:не_гореть" in names and "w:гореть" not in names


@pytest.mark.parametrize(
    ("quote", "hits"),
    [
        # the cue's words found and kept: the kind only, never the verdict
        ("Открытый люк на тротуаре", {"m:open_manhole"}),
        # found and dropped: the guard that dropped it is a feature of its own
        ("свалка мусора, в прошлом году был пожар", {"m:fire", "g:past"}),
        ("Брошенные автомобили в сухой траве. Опасность возгорания", {"m:fire", "g:hypothesis"}),
        ("Нет отопления на лестничной клетке", {"m:no_heating", "g:common_area"}),
        ("Газом не пахнет, просто проверьте плиту", {"m:gas", "g:negation"}),
        ("Просим покрасить скамейки во дворе", set()),
    ],
)
def test_the_model_reads_the_rules_cue_hits_not_their_verdict(quote: str, hits: set[str]) -> None:
    reading = read_rules(analyze(quote), 1)
    assert set(reading.hits) == hits
    assert not any(h.startswith(("r:", "k:")) for h in feature_names(analyze(quote), reading.hits)["h"])


@pytest.mark.parametrize(
    ("rules", "p", "expected"),
    [
        (True, 0.9, Source.BOTH),  # the model alone would flag it too
        (True, 0.5, Source.RULES),  # the rules flag it and the model does not contradict them
        (True, 0.1, None),  # the model contradicts the rules: not urgent
        (False, 0.9, Source.MODEL),  # the model alone is confident
        (False, 0.5, None),
    ],
)
def test_the_combination(rules: bool, p: float, expected: str | None) -> None:
    assert combine(rules, p, with_rules=0.3, alone=0.8) == expected


@pytest.mark.parametrize(
    ("rules", "guarded", "p", "expected"),
    [
        (False, True, 0.5, Source.MODEL),  # a guard dropped a cue and the model is fairly sure: urgent
        (False, True, 0.3, None),  # under the guard arm's threshold
        (False, False, 0.5, None),  # no cue dropped: only the model alone's threshold counts
        (True, True, 0.2, None),  # the rules flag it: the veto holds, the guard arm does not apply
        (True, True, 0.5, Source.RULES),
    ],
)
def test_the_guard_arm(rules: bool, guarded: bool, p: float, expected: str | None) -> None:
    assert combine(rules, p, with_rules=0.3, alone=0.8, guarded=guarded, with_guard=0.4) == expected


def test_judge_trusts_the_model_where_a_guard_dropped_a_cue() -> None:
    text = "было отключено водоснабжение"  # the past guard drops the cut
    assert not urgency.assess(text, month=1).is_urgent
    model = UrgencyModel({}, 0.0, with_rules=0.3, alone=0.8, with_guard=0.4)  # p = 0.5
    with mock.patch("otklik.understanding.urgency.load_model", return_value=model):
        found = urgency.judge(text, month=1)
    assert found.is_urgent and found.source == Source.MODEL and found.kinds == ["no_water"]
    model = UrgencyModel({}, 0.0, with_rules=0.3, alone=0.8)  # no guard arm (round 8's file)
    with mock.patch("otklik.understanding.urgency.load_model", return_value=model):
        assert not urgency.judge(text, month=1).is_urgent


def _model(intercept: float) -> UrgencyModel:
    return UrgencyModel({}, intercept, with_rules=0.3, alone=0.8)


def test_judge_says_who_flagged_it() -> None:
    burst = "Прорыв трубы отопления в подвале, водой залит подвал"
    chore = "Просим покрасить скамейки во дворе"
    with mock.patch("otklik.understanding.urgency.load_model", return_value=_model(3.0)):  # p ≈ 0.95
        both = urgency.judge(burst, month=1)
        alone = urgency.judge(chore, month=1)
    assert both.is_urgent and both.source == Source.BOTH and both.kinds == ["flood"]
    assert alone.is_urgent and alone.source == Source.MODEL and alone.kinds == ["learned"]
    with mock.patch("otklik.understanding.urgency.load_model", return_value=_model(-3.0)):  # p ≈ 0.05
        vetoed = urgency.judge(burst, month=1)
    assert not vetoed.is_urgent and vetoed.kinds == [] and vetoed.probability is not None
    with mock.patch("otklik.understanding.urgency.load_model", return_value=None):
        rules = urgency.judge(burst, month=1)
    assert rules == urgency.assess(burst, month=1) and rules.source == ""


def test_the_reason_shown_names_the_rules_or_the_model_in_russian() -> None:
    with translation.override("ru"):
        shown = dict(explain({"urgency": {"kinds": ["learned"], "terms": [], "flagged_by": "model"}}))
    [lines] = shown.values()
    assert "кто отметил: только обученная модель" in lines
    assert any("обученная модель" in line for line in lines if line.startswith("признаки"))


@needs_data
def test_training_from_the_shared_data_gives_the_shipped_file(tmp_path) -> None:
    from django.core.management import call_command

    out = tmp_path / "urgency_model.json"
    call_command("train_urgency", output=str(out), stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert out.read_text(encoding="utf-8") == MODEL_FILE.read_text(encoding="utf-8")


def test_forward_folds_score_each_fresh_wave_by_a_model_fitted_on_the_waves_before_it() -> None:
    import numpy as np

    from otklik.understanding import urgency_training as ut

    def row(i: int, wave: int, urgent: bool) -> ut.Row:
        column = 7 if urgent else 11  # one feature that tells the classes apart
        vector = {column: 1.0, 100 + i: 0.1}
        return ut.Row("d", str(i), f"d:{i}", urgent, urgent, urgency.Urgency(urgent), vector, wave)

    rows = [row(i, 1 + i % ut.TRAINED_THROUGH_WAVE, (i // 12) % 2 == 0) for i in range(260)]
    folds = ut.forward_folds(rows, 1.0)
    assert [f.name for f in folds] == [f"wave {k}" for k in ut.FORWARD_WAVES]
    for fold, k in zip(folds, ut.FORWARD_WAVES, strict=True):
        assert {rows[int(i)].wave for i in fold.rows} == {k}  # scored: wave k's rows only
    labels = np.array([r.urgent for r in rows])
    point = ut.choose_point(folds, [r.rules for r in rows], labels)
    assert point.worst_margin <= point.mean_margin and len(point.runs) == len(ut.FORWARD_WAVES)
    assert point.precision == 1.0 and point.recall == 1.0  # separable: every wave right


def test_forward_folds_count_each_row_for_the_texts_of_its_stratum() -> None:
    import numpy as np

    from otklik.understanding import urgency_annotations as ua
    from otklik.understanding import urgency_training as ut

    # round 10: a wave's development rows weighted to its strata — the stratum's distinct texts over the
    # development rows that wave drew from it (held-out rows are not counted and weigh nothing here)
    ids = [str(i) for i in range(400) if not ua.held_out(ua.SPB, str(i))][:6]
    rows = [
        ua.AnnotatedAppeal(ua.SPB, i, "", 1, "none", s, "", 11) for i, s in zip(ids, "aabbbc", strict=True)
    ]
    rows.append(ua.AnnotatedAppeal(ua.SPB, ids[0], "", 1, "none", "a", "", 2))  # not a forward wave
    strata = {(ua.SPB, "a"): [0] * 100, (ua.SPB, "b"): [0] * 30, (ua.SPB, "c"): [0] * 5}
    weights = ut.fold_weights(rows[:6], strata)
    assert [weights[(ua.SPB, i)] for i in ids] == [50.0, 50.0, 10.0, 10.0, 10.0, 5.0]
    assert ut.fold_weights(rows[6:], strata) == {(ua.SPB, ids[0]): 1.0}
    # one fold, a hit standing for 1 text and a false alarm for 3: precision 1/4 (1/2 by the rows)
    fold = ut.Fold("wave 11", np.array([0, 1, 2]), np.array([0.9, 0.9, 0.1]))
    rules, labels = np.array([True, True, False]), np.array([True, False, True])
    weighted = ut.at_point([fold], rules, labels, 0.5, 1.0, weights=np.array([1.0, 3.0, 1.0]))
    assert (weighted.precision, weighted.recall) == (0.25, 0.5)
    assert ut.at_point([fold], rules, labels, 0.5, 1.0).precision == 0.5


def test_an_arm_at_one_is_no_arm() -> None:
    # the forward folds' "no arm" choice: even a probability of exactly 1.0 flags nothing alone
    assert combine(False, 1.0, with_rules=0.4, alone=1.0) is None
    assert combine(False, 1.0, with_rules=0.4, alone=1.0, guarded=True, with_guard=1.0) is None
    assert combine(True, 1.0, with_rules=0.4, alone=1.0) == Source.RULES
    assert combine(False, 0.99, with_rules=0.4, alone=0.99) == Source.MODEL


def test_judge_asks_the_model_only_where_its_answer_can_change_the_verdict() -> None:
    burst = "Прорыв трубы отопления в подвале, водой залит подвал"  # the rules flag it
    chore = "Просим покрасить скамейки во дворе"  # no cue
    guarded = "было отключено водоснабжение"  # the past guard drops the cut
    rules_only = UrgencyModel({}, 3.0, with_rules=0.3, alone=1.0)  # p ≈ 0.95; no arm of its own
    with (
        mock.patch("otklik.understanding.urgency.load_model", return_value=rules_only),
        mock.patch.object(UrgencyModel, "score", autospec=True, return_value=0.95) as score,
    ):
        assert urgency.judge(chore, month=1) == Urgency(is_urgent=False, tone=urgency.assess(chore).tone)
        assert not urgency.judge(guarded, month=1).is_urgent
        assert score.call_count == 0
        flagged = urgency.judge(burst, month=1)
        assert score.call_count == 1
    assert flagged.is_urgent and flagged.source == Source.RULES and flagged.probability == 0.95
    guard_arm = UrgencyModel({}, 3.0, with_rules=0.3, alone=1.0, with_guard=0.4)
    with mock.patch("otklik.understanding.urgency.load_model", return_value=guard_arm):
        assert urgency.judge(chore, month=1).probability is None  # no guard dropped a cue
        assert urgency.judge(guarded, month=1).source == Source.MODEL


# --- the run-time path's cost (round 14): the same probability as the features' dot product, and the
# same bits as round 13's numpy path --------------------------------------------------------------------


def _numpy_reference(model: UrgencyModel, analyzed: AnalyzedText, hits: list[str]) -> float:
    """Round 13's run-time score, plainly: ``np.unique`` over each hashed block's columns (as
    :func:`vectorize` names them), then ``weight * dot / norm``; the dense block by :func:`mean_vector`
    (its own identity with the batch decoding is tested with the embeddings). The fast path's float
    operations are these on the same numbers: the same bits."""
    import math

    import numpy as np

    from otklik.understanding.text import fold
    from otklik.understanding.urgency import learned

    dense = np.zeros(learned.WIDTH)
    dense[list(model.weights)] = list(model.weights.values())
    words = [fold(t.text) for t in analyzed.tokens]
    z = model.intercept
    for block in learned.ORDER:
        weight = model.blocks.get(block, 0.0)
        if not weight:
            continue
        if block == learned.DENSE:
            vector = learned.mean_vector(words)
            z += weight * float(dense[learned.DIMENSION :] @ vector) if vector is not None else 0.0
            continue
        columns = learned._block_columns(block, analyzed, words, hits)
        if columns:
            unique, counts = np.unique(np.array(columns, dtype=np.int64), return_counts=True)
            values = 1.0 + np.log(counts) if block == "c" else np.ones(len(unique))
            z += weight * float(dense[unique] @ values) / math.sqrt(float(values @ values))
    return 1.0 / (1.0 + math.exp(-z)) if z > -50 else 0.0


def _assert_the_fast_path_is_exact(model: UrgencyModel, text: str, month: int | None = 1) -> None:
    analyzed = analyze(text)
    hits = read_rules(analyzed, month or 1).hits
    fast = model.score(analyzed, hits)
    assert fast == pytest.approx(model.probability(vectorize(analyzed, hits, model.blocks)), abs=1e-12, rel=0)
    assert fast == _numpy_reference(model, analyzed, hits)  # to the bit: the verdicts cannot move


@pytest.mark.parametrize(
    "text",
    [
        "",  # no word at all
        "!!! ??? ...",  # punctuation only
        "qqqzzz xxyyzzq wwqqz",  # no word navec or the model knows
        "вода вода вода течет течет течет течет",  # repeated words (character counts, one column each)
        "Не горит свет, не горит свет в подъезде",  # negations, repeated pairs
        "Прорыв трубы отопления в подвале, водой залит подвал",  # cue hits
        "Запах газа",  # two words
    ],
)
def test_the_run_time_score_is_the_features_probability_to_the_bit_of_round_13(text: str) -> None:
    model = load_model()
    assert model is not None
    _assert_the_fast_path_is_exact(model, text)


def test_the_run_time_score_is_exact_with_a_block_off_and_for_every_weight() -> None:
    from dataclasses import replace

    from otklik.understanding.urgency.learned import DENSE, DIMENSION, ORDER

    model = load_model()
    assert model is not None
    text = "Течет крыша, вода течет по стене, мокрая проводка искрит!"
    for block in ORDER:
        _assert_the_fast_path_is_exact(replace(model, blocks={**model.blocks, block: 0.0}), text)
    weights = {c: 0.001 * (c % 13 - 6) for c in range(0, DIMENSION + 300, 7)}
    _assert_the_fast_path_is_exact(
        UrgencyModel(weights, -0.3, 0.5, 0.9, {DENSE: 0.5, "c": 1.0, "w": 0.7}), text
    )


@needs_data
def test_the_run_time_score_is_exact_on_every_annotated_development_text() -> None:
    model = load_model()
    assert model is not None
    rows = [r for r in ua.released(ua.annotated_appeals()) if not r.held_out]
    assert len(rows) > 2_000
    for row in rows:
        _assert_the_fast_path_is_exact(model, row.text, row.month)
