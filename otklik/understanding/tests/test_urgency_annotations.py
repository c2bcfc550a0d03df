"""The hand-annotated urgency set: files, the documented draw, and the rules' development figures.

Reads the appeals from ../shared/data (skipped when it is not beside the project). The held-out
figures are printed by ``otklik evaluate-urgency`` and kept in docs/benchmarks.md; a test asserts
on the development part only, so no test pulls the rules toward the held-out rows.
"""

from __future__ import annotations

import pytest

from otklik.understanding import urgency_annotations as ua
from otklik.understanding.annotations import shared_data
from otklik.understanding.urgency_evaluation import evaluate

# The last wave whose development rows the urgency rules were written on (round 15, wave 16's errors; it
# was round 5, wave 6's, until round 15 — docs/annotation/urgency.md "Round 15 as built — the rules").
RULES_TUNED_THROUGH_WAVE = 16

needs_data = pytest.mark.skipif(
    not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)


def test_annotation_files_use_the_guides_labels_and_strata() -> None:
    for dataset, path in ua.FILES.items():
        rows = ua.read_annotations(path, ua.LABELS)
        assert len(rows) > 300, dataset
        assert {r.stratum for r in rows} <= set(ua.STRATA) | {s for f in ua.FROZEN_SCORES for s in f.strata}
        assert all(not r.note or len(r.note) < 120 for r in rows)  # notes, never texts
    assert len(ua.read_old_rules()) > 500


@needs_data
def test_the_files_are_the_documented_draw_and_the_rules_hold_on_the_development_part() -> None:
    appeals = ua.read_appeals()
    rows = ua.annotated_appeals(appeals=appeals)
    strata = ua.stratify(appeals)
    assert ua.files_match_draw(rows, strata)
    assert len(rows) >= 600 and sum(r.urgent for r in rows) >= 200

    # The rules were written on the development rows of waves 1-16 (round 15 on wave 16's errors, once
    # round 14's first sight on wave 16 was recorded): no wave the rules were written on is after the
    # fresh one, and a wave read after them is the next round's material, not what they hold on. On those
    # rows the rules alone hold 0.890 / 0.833 (round 15); the test keeps them from falling back.
    assert ua.FRESH_WAVE >= RULES_TUNED_THROUGH_WAVE
    tuned_on = [r for r in rows if r.wave <= RULES_TUNED_THROUGH_WAVE]
    report = evaluate(tuned_on, strata, parts=("development",))
    dev = report.parts["development"].rows
    assert dev.precision >= 0.88 and dev.recall >= 0.82, (dev.precision, dev.recall)


def test_a_wave_defined_after_the_fresh_one_is_drawn_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A wave is committed before it is drawn or read; until its rows are in and FRESH_WAVE is raised
    # to it, the documented draw (what the files must be) stops at FRESH_WAVE.
    stratum = [ua.Unit(ua.SPB, str(i), "", (str(i),)) for i in range(40)]
    strata = {(ua.SPB, "no_cue"): stratum}
    waves = tuple((seed, {(ua.SPB, "no_cue"): 5}, False) for seed in (1, 2, 3))
    monkeypatch.setattr(ua, "WAVES", waves)
    monkeypatch.setattr(ua, "FRESH_WAVE", 2)
    documented = ua.draw_sample(strata)
    assert [w for *_, w in documented] == [1] * 5 + [2] * 5
    defined = ua.draw_sample(strata, through_wave=3)
    assert defined[:10] == documented and [w for *_, w in defined[10:]] == [3] * 5
    assert len({i for _, i, _, _ in defined}) == 15


def test_a_later_wave_labelled_whole_waits_in_the_files_until_fresh_wave_is_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wave read blind while the round it measures is built is committed with FRESH_WAVE unchanged:
    # the files are still the documented draw, and no figure or training sees its rows until the raise.
    stratum = [ua.Unit(ua.SPB, str(i), "", (str(i),)) for i in range(40)]
    strata = {(ua.SPB, "no_cue"): stratum}
    waves = tuple((seed, {(ua.SPB, "no_cue"): 5}, False) for seed in (1, 2, 3))
    monkeypatch.setattr(ua, "WAVES", waves)
    monkeypatch.setattr(ua, "FRESH_WAVE", 2)
    rows = [_row(d, i, s, w) for d, i, s, w in ua.draw_sample(strata, through_wave=3)]
    assert ua.files_match_draw(rows, strata)
    assert ua.files_match_draw(rows[:10], strata)
    assert not ua.files_match_draw(rows[:-1], strata)  # the later wave only in part
    assert not ua.files_match_draw(rows[:9] + rows[10:], strata)  # a fresh wave's row missing
    assert not ua.files_match_draw([*rows, _row(ua.SPB, "39", "no_cue", 4)], strata)  # an undefined wave
    stray = next(u.id for u in stratum if u.id not in {r.id for r in rows})
    assert not ua.files_match_draw([*rows[:-1], _row(ua.SPB, stray, "no_cue", 3)], strata)
    assert [r.wave for r in ua.released(rows)] == [1] * 5 + [2] * 5
    monkeypatch.setattr(ua, "FRESH_WAVE", 3)
    assert ua.released(rows) == rows


def _row(dataset: str, id_: str, stratum: str, wave: int, label: str = "none") -> ua.AnnotatedAppeal:
    return ua.AnnotatedAppeal(dataset, id_, "", None, label, stratum, "", wave)


def test_population_weights_count_the_unread_texts_once_beside_the_r8_strata() -> None:
    # Four texts of one cue stratum; waves 1-10 read two, the other two are unread and restratified
    # into r8_near, of which wave 11 read one. The weights must add up to the four texts, not six.
    ids = [str(i) for i in range(1, 200) if not ua.held_out(ua.SPB, str(i))][:4]
    units_ = [ua.Unit(ua.SPB, i, "", (i,)) for i in ids]
    strata = {(ua.SPB, "cue_strong"): units_, (ua.SPB, ua.R8_NEAR): units_[2:]}
    rows = [
        _row(ua.SPB, ids[0], "cue_strong", 3),
        _row(ua.SPB, ids[1], "cue_strong", 4),
        _row(ua.SPB, ids[2], ua.R8_NEAR, 11),
    ]
    weights = ua.population_weights(rows, strata)
    assert weights == {(ua.SPB, ids[0]): 2.0, (ua.SPB, ids[1]): 2.0, (ua.SPB, ids[2]): 0.0}
    assert sum(weights.values()) == len(units_)


def test_details_list_no_held_out_error_of_any_wave() -> None:
    from otklik.understanding import urgency
    from otklik.understanding.urgency_evaluation import evaluate, format_report

    dev = next(str(i) for i in range(1, 200) if not ua.held_out(ua.SPB, str(i)))
    held = [str(i) for i in range(1, 400) if ua.held_out(ua.SPB, str(i))][:2]
    units_ = [ua.Unit(ua.SPB, i, "", (i,)) for i in (dev, *held)]
    strata = {(ua.SPB, "cue_strong"): units_}
    rows = [
        ua.AnnotatedAppeal(ua.SPB, dev, "", None, "life_health", "cue_strong", "dev note", 3),
        ua.AnnotatedAppeal(
            ua.SPB, held[0], "", None, "life_health", "cue_strong", "OLD HELD", ua.FRESH_WAVE - 1
        ),
        ua.AnnotatedAppeal(
            ua.SPB, held[1], "", None, "life_health", "cue_strong", "FRESH HELD", ua.FRESH_WAVE
        ),
    ]
    report = evaluate(rows, strata, assess=lambda row: urgency.Urgency(False))  # every row missed
    printed = "\n".join(format_report(report, details=True))
    assert f"{ua.SPB} {dev} [life_health] missed: dev note" in printed
    assert "HELD" not in printed and f" {held[0]} " not in printed and f" {held[1]} " not in printed
    assert "(2 errors on held-out rows not listed)" in printed  # the held-out part: both waves


def test_a_waves_rows_stand_for_their_whole_stratum_and_weights_widen_the_interval() -> None:
    from otklik.understanding.urgency_evaluation import Scores, wave_weights, wilson

    unit = ua.Unit(ua.SPB, "0", "", ("0",))
    strata = {(ua.SPB, "cue_strong"): [unit] * 100, (ua.SPB, "no_cue"): [unit] * 1000}
    rows = [
        _row(ua.SPB, "1", "cue_strong", 6),
        _row(ua.SPB, "2", "cue_strong", 6),
        _row(ua.SPB, "3", "no_cue", 6),
        _row(ua.SPB, "4", "no_cue", 5),  # another wave: not weighted here
    ]
    assert wave_weights(rows, strata, 6) == {(ua.SPB, "1"): 50.0, (ua.SPB, "2"): 50.0, (ua.SPB, "3"): 1000.0}

    plain = Scores()
    for predicted, actual in [(True, True)] * 8 + [(True, False)] * 2 + [(False, True)] * 4:
        plain.add(predicted, actual)
    assert plain.precision_interval() == wilson(8, 10)  # unit weights: the plain Wilson interval
    weighted = Scores()
    weighted.add(True, True, 1.0)
    weighted.add(True, False, 9.0)  # one heavy row dominates: effective size 100 / 82 ≈ 1.2 rows
    low, high = weighted.precision_interval()
    assert weighted.precision == 0.1 and low < 0.02 and high > 0.75
