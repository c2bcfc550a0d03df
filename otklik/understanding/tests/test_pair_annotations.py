"""The hand-annotated pairs (docs/annotation/pairs.md): the file, its strata, the pairs it names.

The texts are read from ../shared/data (skipped when it is not beside the project). The whole draw
of the strata is repeated by ``otklik evaluate-duplicates --check-draw`` (about a minute and a
half); a join wave needs the replay of its round (``--replay``, a quarter of an hour).
"""

from __future__ import annotations

from collections import Counter

import pytest

from otklik.understanding import pair_annotations as pa
from otklik.understanding.annotations import read_annotations, shared_data

needs_data = pytest.mark.skipif(
    not (shared_data() / "spb_our_city_dev").exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)


def test_the_pairs_file_has_the_documented_strata_and_labels() -> None:
    rows = read_annotations(pa.FILE, pa.LABELS)
    assert Counter(r.stratum for r in rows) == dict(pa.STRATA) | {name: n for name, n, _ in pa.JOIN_WAVES}
    assert all(r.id.count("|") == 1 and int(r.id.split("|")[0]) < int(r.id.split("|")[1]) for r in rows)
    assert all(len(r.note) < 120 for r in rows)  # notes, never texts
    labels = Counter(r.label for r in rows)
    assert labels[pa.PairLabel.DUPLICATE] >= 30 and labels[pa.PairLabel.DIFFERENT] >= 100


@needs_data
def test_every_stratified_pair_is_in_the_window_and_in_its_stratum() -> None:
    pairs = [p for p in pa.annotated_pairs() if not p.stratum.startswith("pipeline_join")]
    assert len(pairs) == sum(n for _, n in pa.STRATA)
    stems = {a.id: pa._stems(a.text) for p in pairs for a in (p.first, p.second)}
    for p in pairs:
        assert (p.second.created - p.first.created).total_seconds() <= pa.WINDOW_HOURS * 3600
        assert pa.stratum_of(p.first, p.second, stems) == p.stratum, p.key
    held_out = [p for p in pairs if p.held_out]
    assert 0.2 < len(held_out) / len(pairs) < 0.4 and any(p.duplicate for p in held_out)


def test_a_join_wave_is_drawn_from_the_joins_less_the_pairs_read_before() -> None:
    joins = [(str(1000000 + i), str(1000001 + i)) for i in range(0, 600, 2)]
    annotated = [f"{a}|{b}" for a, b in joins[:10]]
    wave = pa.draw_join_wave(joins, annotated, "pipeline_join_1")
    assert len(wave) == 120 and not set(wave) & set(annotated)
    assert wave == pa.draw_join_wave(list(reversed(joins)), annotated, "pipeline_join_1")  # order-free
