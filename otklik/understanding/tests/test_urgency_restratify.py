"""Wave 11's strata: the texts no wave 1-10 drew, by round 8's frozen score (urgency.md).

Only counts are asserted: no test prints or reads a drawn row of wave 11 (it is read blind).
"""

from __future__ import annotations

from collections import Counter

import pytest

from otklik.understanding import urgency_annotations as ua
from otklik.understanding import urgency_restratify as ur
from otklik.understanding.annotations import held_out, shared_data

needs_data = pytest.mark.skipif(
    not (shared_data() / ua.SPB).exists() or not (shared_data() / ua.KURSK).exists(),
    reason=f"the real appeals live in {shared_data()} (not shipped with the project)",
)
# Unread distinct texts per (data set, stratum): all, held-out (docs/annotation/urgency.md).
DOCUMENTED = {
    (ua.SPB, ua.R8_FLAGGED): (148, 38),
    (ua.SPB, ua.R8_NEAR): (556, 155),
    (ua.SPB, ua.R8_REST): (11_327, 3_175),
    (ua.KURSK, ua.R8_FLAGGED): (82, 17),
    (ua.KURSK, ua.R8_NEAR): (118, 17),
    (ua.KURSK, ua.R8_REST): (1_691, 383),
}


def test_the_r8_file_lists_ids_and_the_two_named_strata_only() -> None:
    listed = ua.read_r8_draw()
    assert set(listed.values()) == {ua.R8_FLAGGED, ua.R8_NEAR}
    assert {d for d, _ in listed} == {ua.SPB, ua.KURSK} and all(i.isdigit() for _, i in listed)
    assert len(listed) == sum(n for (_, s), (n, _) in DOCUMENTED.items() if s != ua.R8_REST)


def test_a_wave_of_r8_strata_draws_the_unread_texts_under_the_new_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = [ua.Unit(ua.SPB, str(i), "", (str(i),)) for i in range(10)]
    strata = {(ua.SPB, "cue_strong"): read}
    waves = ((1, {(ua.SPB, "cue_strong"): 4}, False),)
    monkeypatch.setattr(ua, "WAVES", waves)
    monkeypatch.setattr(ua, "R8_AFTER_WAVE", 1)
    drawn = {i for _, i, _, _ in ua.draw_sample(strata, through_wave=1)}
    unread = ua.unread_after(strata, 1)
    assert {u.id for u in unread} == {str(i) for i in range(10)} - drawn
    flagged = sorted(unread, key=lambda u: int(u.id))[0]
    full = {**strata, (ua.SPB, ua.R8_FLAGGED): [flagged], (ua.SPB, ua.R8_REST): unread[1:]}
    monkeypatch.setattr(
        ua, "WAVES", (*waves, (2, {(ua.SPB, ua.R8_FLAGGED): 1, (ua.SPB, ua.R8_REST): 2}, False))
    )
    second = [row for row in ua.draw_sample(full, through_wave=2) if row[3] == 2]
    assert Counter(s for _, _, s, _ in second) == {ua.R8_FLAGGED: 1, ua.R8_REST: 2}
    assert not {i for _, i, _, _ in second} & drawn


@needs_data
def test_the_r8_strata_are_the_unread_texts_and_wave_11_draws_its_sizes_from_them() -> None:
    strata = ua.stratify(ua.read_appeals())
    counts = {key: (len(strata[key]), sum(held_out(key[0], u.id) for u in strata[key])) for key in DOCUMENTED}
    assert counts == DOCUMENTED
    unread = {(u.dataset, u.id) for u in ua.unread_after(strata, ua.R8_AFTER_WAVE)}
    assert {(u.dataset, u.id) for key in DOCUMENTED for u in strata[key]} == unread
    assert set(ua.read_r8_draw()) <= unread
    # Wave 11 (counted only, never listed): its sizes, the new names, nothing read before, and the
    # held-out preference where a stratum has enough held-out texts.
    seed, sizes, _ = ua.WAVES[10]
    assert seed == 20261216  # FRESH_WAVE stays 10 until its rows are labelled; then 11
    wave11 = [row for row in ua.draw_sample(strata, through_wave=11) if row[3] == 11]
    assert Counter((d, s) for d, _, s, _ in wave11) == sizes
    assert {(d, i) for d, i, _, _ in wave11} <= unread
    held = Counter((d, s) for d, i, s, _ in wave11 if held_out(d, i))
    for key, n in sizes.items():
        if DOCUMENTED[key][1] >= n:
            assert held[key] == n, key


@needs_data
def test_the_r8_file_is_what_round_8_computes() -> None:
    if ur.round8_fingerprint() != ur.ROUND8_FINGERPRINT:
        pytest.skip(
            "the shipped detector is no longer round 8's (the urgency package or model changed since "
            "the file was written and checked at a702fb9); the strata stay frozen"
        )
    appeals = ua.read_appeals()
    strata = ua.stratify(appeals, r8={})
    computed = ur.score_strata(appeals, strata)
    listed = {key: s for key, s in computed.items() if s != ua.R8_REST}
    assert listed == ua.read_r8_draw()
