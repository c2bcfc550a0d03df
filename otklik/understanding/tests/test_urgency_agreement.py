"""Agreement between two readers of urgency: kappa, the tables and the ceiling on tiny hand-made rows."""

from __future__ import annotations

import math
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from otklik.understanding import urgency_agreement as ua
from otklik.understanding.annotations import held_out, shared_data


def test_kappa_of_a_hand_made_table() -> None:
    # 20 agreed urgent, 15 urgent/none, 5 none/urgent, 10 agreed none (the textbook 2×2 example):
    # observed 0.6, chance 0.5·... = (35·25 + 15·25) / 50² = 0.5, kappa 0.2.
    pairs = [("urgent", "urgent")] * 20 + [("urgent", "none")] * 15 + [("none", "urgent")] * 5
    pairs += [("none", "none")] * 10
    t = ua.table(pairs, ("urgent", "none"))
    assert t.n == 50
    assert t.observed == pytest.approx(0.6)
    assert t.expected == pytest.approx(0.5)
    assert t.kappa == pytest.approx(0.2)
    assert t.confusion() == {
        ("urgent", "urgent"): 20,
        ("urgent", "none"): 15,
        ("none", "urgent"): 5,
        ("none", "none"): 10,
    }


def test_perfect_and_chance_agreement() -> None:
    assert ua.table([("a", "a"), ("b", "b")], ("a", "b")).kappa == pytest.approx(1.0)
    # Independent marginals: agreement no better than chance.
    pairs = [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")]
    assert ua.table(pairs, ("a", "b")).kappa == pytest.approx(0.0)
    # One label only on both sides: chance agreement is 1, kappa undefined.
    assert math.isnan(ua.table([("a", "a")], ("a", "b")).kappa)


def test_agreement_splits_borderline_rows_and_reads_each_reader_as_a_detector() -> None:
    first = {
        ("spb_our_city_dev", "10"): ua.Reading("life_health"),
        ("spb_our_city_dev", "2"): ua.Reading("utility_emergency", "? since yesterday"),
        ("spb_our_city_dev", "3"): ua.Reading("none", "? rhetoric"),
        ("kursk_pos_2022", "1"): ua.Reading("none"),
    }
    second = {
        ("spb_our_city_dev", "10"): ua.Reading("child_in_danger"),
        ("spb_our_city_dev", "2"): ua.Reading("none"),
        ("spb_our_city_dev", "3"): ua.Reading("none"),
        ("kursk_pos_2022", "1"): ua.Reading("none"),
    }
    result = ua.agreement(first, second)
    assert result.rows == 4
    assert result.urgent.observed == pytest.approx(0.75)
    assert result.labels.observed == pytest.approx(0.5)
    assert (result.urgent_borderline.n, result.urgent_borderline.observed) == (2, pytest.approx(0.5))
    assert (result.urgent_clear.n, result.urgent_clear.observed) == (2, pytest.approx(1.0))
    assert result.second_as_detector == (pytest.approx(1.0), pytest.approx(0.5))
    assert result.first_as_detector == (pytest.approx(0.5), pytest.approx(1.0))
    # Both label differences are listed, St Petersburg first, ids in numeric order.
    assert [k for k, _, _ in result.disagreements] == [("spb_our_city_dev", "2"), ("spb_our_city_dev", "10")]
    text = ua.report(result)
    assert "*spb_our_city_dev 2: first utility_emergency, second none" in text
    assert " spb_our_city_dev 10: first life_health, second child_in_danger" in text


def test_agreement_of_one_wave_compares_only_its_rows() -> None:
    # Wave 10 agrees on both rows; wave 11 differs on one of its two (urgent vs none).
    first = {
        ("spb_our_city_dev", "1"): ua.Reading("life_health", wave=10),
        ("spb_our_city_dev", "2"): ua.Reading("none", wave=10),
        ("spb_our_city_dev", "3"): ua.Reading("utility_emergency", "? leak", wave=11),
        ("kursk_pos_2022", "4"): ua.Reading("none", wave=11),
    }
    second = {
        ("spb_our_city_dev", "1"): ua.Reading("life_health"),
        ("spb_our_city_dev", "2"): ua.Reading("none"),
        ("spb_our_city_dev", "3"): ua.Reading("none"),
        ("kursk_pos_2022", "4"): ua.Reading("none"),
    }
    every = ua.agreement(first, second)
    assert (every.rows, every.waves, every.urgent.observed) == (4, (10, 11), pytest.approx(0.75))
    ten = ua.agreement(first, second, wave=10)
    assert (ten.rows, ten.waves, ten.urgent.observed, ten.disagreements) == (2, (10,), 1.0, ())
    eleven = ua.agreement(first, second, wave=11)
    assert (eleven.rows, eleven.waves, eleven.urgent.observed) == (2, (11,), pytest.approx(0.5))
    assert [k for k, _, _ in eleven.disagreements] == [("spb_our_city_dev", "3")]
    assert eleven.urgent_borderline.n == 1
    assert ua.report(eleven).startswith("rows read by both: 2 (wave 11)")
    assert ua.agreement(first, second, wave=9).rows == 0


def test_second_reading_file_is_well_formed() -> None:
    second = ua.read_second_reading()
    assert len(second) == 256 + 250 + 250 + 250 + 161 + 174  # waves 10, 11, 12, 13, 16 and 17
    assert {d for d, _ in second} == {"spb_our_city_dev", "kursk_pos_2022"}


def test_first_reading_gives_each_twice_read_row_its_wave() -> None:
    second = ua.read_second_reading()
    first = ua.read_first_reading(second)
    waves = Counter(r.wave for r in first.values())
    assert waves == {10: 256, 11: 250, 12: 250, 13: 250, 16: 161, 17: 174}


def test_command_compares_one_wave_or_every_row() -> None:
    out = StringIO()
    call_command("urgency_agreement", "--wave", "11", "--no-notes", stdout=out)
    assert out.getvalue().startswith("rows read by both: 250 (wave 11)\n")
    out = StringIO()
    call_command("urgency_agreement", "--no-notes", stdout=out)
    assert out.getvalue().startswith("rows read by both: 1341 (wave 10, 11, 12, 13, 16, 17)\n")
    for wave, rows in ((12, 250), (13, 250), (16, 161), (17, 174)):
        out = StringIO()
        call_command("urgency_agreement", "--wave", str(wave), "--no-notes", stdout=out)
        assert out.getvalue().startswith(f"rows read by both: {rows} (wave {wave})\n")


@pytest.mark.parametrize(
    ("wave", "confusion", "differ", "held_out_differ"),
    [
        # docs/annotation/urgency.md, "Agreement between two readers (waves 12 and 13)":
        # (urgent/urgent, urgent/none, none/urgent, none/none), rows whose four labels differ.
        # There (73, 5, 5, 167), 10, 4 and (55, 3, 0, 192), 5, 0; the first reading's manhole rows
        # were re-read since by round 14, clarification 1 ("Labels re-read by round 14,
        # clarification 1"), the second reading stays as its reader left it.
        (12, (72, 5, 6, 167), 11, 4),
        (13, (54, 3, 1, 192), 6, 1),
        # "Agreement between two readers (waves 16 and 17)": both read by round 14, clarification 1.
        (16, (28, 3, 3, 127), 6, 0),
        (17, (6, 0, 0, 168), 0, 0),
    ],
)
def test_waves_read_twice_as_documented(
    wave: int, confusion: tuple[int, int, int, int], differ: int, held_out_differ: int
) -> None:
    second = ua.read_second_reading()
    result = ua.agreement(ua.read_first_reading(second), second, wave=wave)
    table = result.urgent.confusion()
    assert (
        table[("urgent", "urgent")],
        table[("urgent", "none")],
        table[("none", "urgent")],
        table[("none", "none")],
    ) == confusion
    assert len(result.disagreements) == differ
    hidden = [k for k, _, _ in result.disagreements if held_out(*k)]
    assert len(hidden) == held_out_differ
    # Held-out rows are counted, never listed: no line of the report names one.
    text = ua.report(result)
    for dataset, row_id in hidden:
        assert f"{dataset} {row_id}:" not in text
    listed = [line for line in text.splitlines() if line.startswith((" *", "  spb", "  kursk"))]
    assert len(listed) == differ - held_out_differ
    if held_out_differ:
        assert f"of them held-out, only counted: {held_out_differ} " in text


def test_report_lists_development_rows_and_only_counts_held_out_ones() -> None:
    # spb 2 and 10 are development rows, spb 3 and kursk 1 held-out (annotations.held_out).
    assert not held_out("spb_our_city_dev", "2") and not held_out("spb_our_city_dev", "10")
    assert held_out("spb_our_city_dev", "3") and held_out("kursk_pos_2022", "1")
    first = {
        ("spb_our_city_dev", "2"): ua.Reading("life_health"),
        ("spb_our_city_dev", "3"): ua.Reading("utility_emergency", "? leak"),
        ("spb_our_city_dev", "10"): ua.Reading("none"),
        ("kursk_pos_2022", "1"): ua.Reading("child_in_danger"),
    }
    second = {
        ("spb_our_city_dev", "2"): ua.Reading("none", "? hole"),
        ("spb_our_city_dev", "3"): ua.Reading("none"),
        ("spb_our_city_dev", "10"): ua.Reading("none"),
        ("kursk_pos_2022", "1"): ua.Reading("life_health"),
    }
    text = ua.report(ua.agreement(first, second))
    assert "rows whose labels differ: 3 (2 on urgent vs none, marked *)" in text
    assert (
        "of them held-out, only counted: 2 (first urgent, second none: 1; "
        "first none, second urgent: 0; another kind of urgency: 1)"
    ) in text
    assert "*spb_our_city_dev 2: first life_health, second none | first: - | second: ? hole" in text
    assert "spb_our_city_dev 3:" not in text and "kursk_pos_2022 1:" not in text
    assert "? leak" not in text


def test_second_reading_covers_waves_10_to_13_16_and_17_exactly() -> None:
    if not (shared_data() / "spb_our_city_dev" / "appeals.csv.gz").exists():
        pytest.skip("../shared/data is absent: the draw needs the texts")
    from otklik.understanding import urgency_annotations as uan

    strata = uan.stratify(uan.read_appeals())
    drawn = {
        (d, i)
        for d, i, _, wave in uan.draw_sample(strata, through_wave=17)
        if 10 <= wave <= 13 or wave in (16, 17)
    }
    assert set(ua.read_second_reading()) == drawn
