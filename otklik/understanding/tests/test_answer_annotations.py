"""The hand-annotated official answers (``docs/annotation/answers.md``): the file follows the draw."""

from __future__ import annotations

from collections import Counter

import pytest

from otklik.understanding import answer_annotations as aa
from otklik.understanding.annotations import read_annotations, shared_data

needs_data = pytest.mark.skipif(
    not (shared_data() / aa.SPB).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)


def test_the_file_has_known_labels_and_at_least_500_rows() -> None:
    rows = read_annotations(aa.SPB_FILE, aa.LABELS)
    assert len(rows) >= 500
    counts = Counter(r.label for r in rows)
    assert set(counts) <= set(aa.LABELS)
    assert counts[aa.AnswerLabel.DONE] and counts[aa.AnswerLabel.FORMAL]
    assert all(not r.note or r.note[0] != " " for r in rows)


@needs_data
def test_every_annotated_row_is_one_the_documented_draw_picked_with_its_stratum() -> None:
    drawn = dict(aa.draw_sample(aa.read_spb().values()))
    lf_drawn = dict(aa.draw_sample(aa.read_spb(universal_newlines=True).values()))
    rows = read_annotations(aa.SPB_FILE, aa.LABELS)
    assert {r.id: r.stratum for r in rows if r.stratum != aa.LF_DRAW}.items() <= drawn.items()
    lf_rows = {r.id for r in rows if r.stratum == aa.LF_DRAW}
    assert lf_rows and lf_rows <= set(lf_drawn)


@needs_data
def test_the_canonical_draw_is_read_in_full() -> None:
    drawn = set(dict(aa.draw_sample(aa.read_spb().values())))
    annotated = {r.id for r in read_annotations(aa.SPB_FILE, aa.LABELS)}
    assert len(drawn) == 629  # 100 reasons asked for, 59 left after the first two strata
    assert not drawn - annotated


@needs_data
def test_annotated_answers_join_their_texts_and_both_parts_have_non_answers() -> None:
    answers = [a for a in aa.annotated_answers() if a.dataset == aa.SPB]
    assert all(a.answer.strip() for a in answers)
    held = [a for a in answers if a.held_out]
    assert 0.2 < len(held) / len(answers) < 0.4
    assert any(a.non_answer for a in held) and any(a.non_answer and not a.held_out for a in answers)
