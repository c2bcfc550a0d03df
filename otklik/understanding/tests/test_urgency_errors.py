"""The urgency error table (``bench/urgency_errors.py``): development rows listed, held-out ones counted."""

from otklik.understanding.annotations import held_out
from otklik.understanding.urgency_annotations import SPB, AnnotatedAppeal
from otklik.understanding.urgency_errors import format_errors, wave_errors

DEV_MISS, DEV_ALARM, HELD_MISS, HELD_ALARM = "1", "2", "3", "4"
SECRET = "ТАЙНЫЙ"


def _row(i: str, text: str, label: str, wave: int = 10) -> AnnotatedAppeal:
    return AnnotatedAppeal(SPB, i, text, 12, label, "cue_strong", f"note {i} {text[:12]}", wave)


def _rows() -> list[AnnotatedAppeal]:
    assert not held_out(SPB, DEV_MISS) and not held_out(SPB, DEV_ALARM)
    assert held_out(SPB, HELD_MISS) and held_out(SPB, HELD_ALARM)
    return [
        _row(DEV_MISS, "Во дворе стоит скамейка, покрашена плохо.", "life_health"),
        _row(DEV_ALARM, "В подъезде открытый люк в подвал, дети падают!", "none"),
        _row(HELD_MISS, f"{SECRET} текст: покрашено плохо, скамейка.", "life_health"),
        _row(HELD_ALARM, f"{SECRET} текст: открытый люк во дворе, дети рядом.", "none"),
        _row("5", "Открытый люк во дворе.", "none", wave=9),  # another wave: not looked at
    ]


def _by_hits(analyzed, hits):
    return 0.6 if hits else 0.1


def test_development_errors_are_listed_with_their_cause():
    result = wave_errors(_rows(), 10, _by_hits, with_rules=0.46, alone=0.92)
    listed = {e.id: e for e in result.errors}
    assert set(listed) == {DEV_MISS, DEV_ALARM}
    assert listed[DEV_MISS].cause == "no cue"
    assert listed[DEV_ALARM].rules and listed[DEV_ALARM].cause == "rules, not vetoed"


def test_held_out_rows_are_counted_never_listed_or_printed():
    rows = _rows()
    for score in (_by_hits, lambda analyzed, hits: 0.99, None):
        result = wave_errors(rows, 10, score, with_rules=0.46, alone=0.92)
        assert all(not held_out(e.dataset, e.id) for e in result.errors)
        assert result.held_out_rows == 2
        assert result.held_out_false_alarms == 1 and sum(result.held_out_causes.values()) == 1 + (
            result.held_out_misses
        )
        printed = "\n".join(format_errors(result, text=500))
        assert SECRET not in printed
        assert f" {HELD_MISS} [" not in printed and f" {HELD_ALARM} [" not in printed
        assert "held-out rows 2 (counted only)" in printed
        held = result.held_out_false_alarms + result.held_out_misses
        assert sum(result.by_stratum.values()) == len(result.errors) + held  # both parts, counts only
        assert "by stratum, both parts (counts only): cue_strong" in printed


def test_the_veto_is_named():
    rows = [_row(DEV_MISS, "Открытый люк во дворе, можно упасть.", "life_health")]
    result = wave_errors(rows, 10, lambda analyzed, hits: 0.3, with_rules=0.46, alone=0.92)
    assert [e.cause for e in result.errors] == ["veto"]
