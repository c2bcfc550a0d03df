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

needs_data = pytest.mark.skipif(
    not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)


def test_annotation_files_use_the_guides_labels_and_strata() -> None:
    for dataset, path in ua.FILES.items():
        rows = ua.read_annotations(path, ua.LABELS)
        assert len(rows) > 300, dataset
        assert {r.stratum for r in rows} <= set(ua.STRATA)
        assert all(not r.note or len(r.note) < 120 for r in rows)  # notes, never texts
    assert len(ua.read_old_rules()) > 500


@needs_data
def test_the_files_are_the_documented_draw_and_the_rules_hold_on_the_development_part() -> None:
    appeals = ua.read_appeals()
    rows = ua.annotated_appeals(appeals=appeals)
    strata = ua.stratify(appeals)
    assert set(ua.draw_sample(strata)) == {(r.dataset, r.id, r.stratum, r.wave) for r in rows}
    assert len(rows) >= 600 and sum(r.urgent for r in rows) >= 200

    report = evaluate(rows, strata, parts=("development",))
    dev = report.parts["development"].rows
    assert dev.precision >= 0.9 and dev.recall >= 0.8, (dev.precision, dev.recall)
