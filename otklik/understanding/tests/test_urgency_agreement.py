"""Agreement between two readers of urgency: kappa, the tables and the ceiling on tiny hand-made rows."""

from __future__ import annotations

import math

import pytest

from otklik.understanding import urgency_agreement as ua
from otklik.understanding.annotations import shared_data


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


def test_second_reading_file_is_well_formed() -> None:
    second = ua.read_second_reading()
    assert len(second) == 256
    assert {d for d, _ in second} == {"spb_our_city_dev", "kursk_pos_2022"}


def test_second_reading_covers_wave_10_exactly() -> None:
    if not (shared_data() / "spb_our_city_dev" / "appeals.csv.gz").exists():
        pytest.skip("../shared/data is absent: the draw needs the texts")
    from otklik.understanding import urgency_annotations as uan

    strata = uan.stratify(uan.read_appeals())
    wave_10 = {(d, i) for d, i, _, wave in uan.draw_sample(strata, through_wave=10) if wave == 10}
    assert set(ua.read_second_reading()) == wave_10
