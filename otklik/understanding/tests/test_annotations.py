"""The annotation files' split and format (docs/annotation/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from otklik.understanding.annotations import (
    Annotation,
    AnnotationError,
    held_out,
    pair_key,
    read_annotations,
    write_annotations,
)


def test_held_out_is_fixed_by_the_id_and_about_thirty_percent():
    assert held_out("spb_our_city_dev", "3041846") == held_out("spb_our_city_dev", "3041846")
    share = sum(held_out("spb_our_city_dev", str(i)) for i in range(10_000)) / 10_000
    assert 0.27 < share < 0.33
    # The data set is part of the key: the same number in two data sets is two rows.
    assert any(held_out("a", str(i)) != held_out("b", str(i)) for i in range(100))


def test_pair_key_does_not_depend_on_order():
    assert pair_key("20", "3") == pair_key("3", "20") == "20|3"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_annotations_checks_labels_ids_and_duplicates(tmp_path):
    good = _write(tmp_path / "a.csv", "id,label,stratum,note\n1,done,random,\n2,formal,cue,? recital\n")
    rows = read_annotations(good, {"done", "formal"}, known_ids={"1", "2"})
    assert [(r.id, r.label, r.stratum) for r in rows] == [("1", "done", "random"), ("2", "formal", "cue")]
    assert rows[1].borderline and not rows[0].borderline
    with pytest.raises(AnnotationError, match="unknown label"):
        read_annotations(_write(tmp_path / "b.csv", "id,label\n1,dne\n"), {"done"})
    with pytest.raises(AnnotationError, match="twice"):
        read_annotations(_write(tmp_path / "c.csv", "id,label\n1,done\n1,done\n"), {"done"})
    with pytest.raises(AnnotationError, match="not in the data set"):
        read_annotations(good, {"done", "formal"}, known_ids={"1"})
    with pytest.raises(AnnotationError, match="missing column"):
        read_annotations(_write(tmp_path / "d.csv", "id,verdict\n1,done\n"), {"done"})


def test_write_annotations_sorts_by_numeric_id(tmp_path):
    path = tmp_path / "out.csv"
    write_annotations(path, [Annotation("10", "done", "random"), Annotation("9", "formal", "cue", "? 6")])
    assert path.read_text(encoding="utf-8").splitlines() == [
        "id,label,stratum,note",
        "9,formal,cue,? 6",
        "10,done,random,",
    ]
