"""The replay behind the join waves (docs/annotation/pairs.md) shared between processes by time slices."""

from __future__ import annotations

from datetime import datetime, timedelta

from otklik.intake import duplicate_evaluation as ev
from otklik.understanding.pair_annotations import Appeal


def _appeal(day: float) -> Appeal:
    start = datetime(2021, 1, 1)
    return Appeal(str(3000000 + int(day * 10)), "текст", start + timedelta(days=day), 59.9, 30.3, "", "", "")


def test_the_slices_share_the_appeals_and_each_replays_the_six_days_before_it() -> None:
    appeals = [_appeal(d / 2) for d in range(40)]  # one appeal every 12 hours for 20 days
    slices = [ev.replay_slice(reversed(appeals), k, 3) for k in range(3)]  # any order in
    owns = [own for _, own in slices]
    assert set().union(*owns) == {a.id for a in appeals}
    assert sum(len(own) for own in owns) == len(appeals)  # no appeal reported twice
    replayed, own = slices[1]
    assert replayed == sorted(replayed, key=lambda a: a.created)  # in time order
    first = min(a.created for a in replayed if a.id in own)
    warm = [a for a in replayed if a.id not in own]
    assert warm and all(first - ev.WARM_UP <= a.created < first for a in warm)
    assert len(warm) == 12  # six days of two appeals a day
    assert slices[0][0] == [a for a in appeals if a.id in slices[0][1]]  # the first slice has no warm-up
    assert ev.replay_slice(appeals[:2], 2, 3) == ([], set())
