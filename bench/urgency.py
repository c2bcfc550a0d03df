"""Urgency rules' speed on the real appeals of both data sets (texts read from ../shared/data, never copied).

    .venv/bin/python bench/urgency.py

Analyzes the 22,429 appeals of ``spb_our_city_dev`` and ``kursk_pos_2022`` once (tokens and lemmas, as
the pipeline's analyze step does), then times :func:`otklik.understanding.urgency.assess` (rules and
tone) and :func:`otklik.understanding.urgency.judge` (rules, tone and the learned model: the pipeline's
verdict) over them, alternating, three passes each, one core, no database. Prints texts/s of each pass
and the flagged share; then, when the shipped model has the dense block (round 12: the mean navec
vector), the model's score of the texts the rules flag (the only ones it is asked about) with its blocks
and with the dense block off, µs a text (the word vectors loaded before timing: ≈ 1 s once a process).
``OTKLIK_SRC=/path/to/another/checkout`` times that checkout's rules on the same machine (run from it).

Round 14 (cost): where the checkout has :func:`~otklik.understanding.urgency.learned.round13_score`, the
passes time ``judge`` with round 13's run-time score too ("rules + model r13", the same process), print the
model's share of a text (judge's µs less the rules' µs) of each and their ratios, and first check that
the two scores give the same probability to the bit and ``judge`` the same verdict on every text of both
data sets (the model asked about every text: not only where judge asks it).
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

sys.path.insert(0, os.environ.get("OTKLIK_SRC", str(Path(__file__).resolve().parent.parent)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

import django

django.setup()

from otklik.understanding import urgency  # noqa: E402
from otklik.understanding.text import analyze  # noqa: E402
from otklik.understanding.urgency_annotations import read_appeals  # noqa: E402


def main() -> None:
    appeals = [a for rows in read_appeals().values() for a in rows]
    started = time.perf_counter()
    analyzed = [analyze(a.text) for a in appeals]
    print(f"analyzed {len(analyzed)} appeals in {time.perf_counter() - started:.1f} s")
    ways = [("rules", urgency.assess, nullcontext)]
    if hasattr(urgency, "judge"):  # an older checkout (OTKLIK_SRC) has the rules alone
        ways.append(("rules + model", urgency.judge, nullcontext))
    round13 = _round13_score(analyzed)
    if round13 is not None:  # judge with round 13's score in place of the model's (the whole pass)
        ways.append(("rules + model r13", urgency.judge, round13))
    for run in range(3):
        cpu: dict[str, float] = {}
        for name, assess, context in ways:
            with context():
                started, cpu_started = time.perf_counter(), time.process_time()
                flagged = sum(assess(text, month=1).is_urgent for text in analyzed)
                elapsed = time.perf_counter() - started
            cpu[name] = (time.process_time() - cpu_started) / len(analyzed) * 1e6
            share = flagged / len(analyzed)
            speed = len(analyzed) / elapsed
            print(
                f"pass {run + 1} {name}: {speed:,.0f} texts/s, {cpu[name]:,.1f} µs CPU a text, "
                f"{flagged} flagged ({share:.1%})"
            )
        if round13 is not None:
            floor, judged, judged13 = cpu["rules"], cpu["rules + model"], cpu["rules + model r13"]
            print(
                f"pass {run + 1} the model's share of a text: {judged - floor:,.1f} µs now, "
                f"{judged13 - floor:,.1f} µs round 13 (ratio {(judged - floor) / (judged13 - floor):.2f}); "
                f"judge / rules alone {judged / floor:.2f} now, {judged13 / floor:.2f} round 13"
            )
    _dense_cost(analyzed)


def _round13_score(analyzed: list):  # type: ignore[no-untyped-def]
    """A context putting round 13's run-time score in the model's place, after checking that both scores
    agree to the bit and give the same verdict on every text (None for a checkout without it)."""
    from functools import partial
    from unittest import mock

    from otklik.understanding.urgency import learned

    if not hasattr(learned, "round13_score"):
        return None
    model = learned.load_model()
    assert model is not None
    started = time.perf_counter()
    same = verdicts = 0
    for text in analyzed:
        reading = urgency.read_rules(text, 1)
        p, p13 = model.score(text, reading.hits), learned.round13_score(model, text, reading.hits)
        same += p == p13
        verdict = partial(
            learned.combine,
            reading.urgency.is_urgent,
            with_rules=model.with_rules,
            alone=model.alone,
            guarded=bool(reading.guards),
            with_guard=model.with_guard,
        )
        verdicts += verdict(p) == verdict(p13)
    elapsed = time.perf_counter() - started
    print(f"both scores on all {len(analyzed)} texts ({elapsed:.0f} s): the same p to the bit on {same},")
    print(f"  the same verdict on {verdicts}")
    return partial(mock.patch.object, learned.UrgencyModel, "score", learned.round13_score)


def _dense_cost(analyzed: list) -> None:
    from dataclasses import replace

    from otklik.understanding.urgency import read_rules
    from otklik.understanding.urgency.learned import load_model

    try:
        from otklik.understanding.urgency.learned import DENSE as dense
    except ImportError:  # an older checkout (OTKLIK_SRC): no dense block
        return
    model = load_model()
    if model is None or not model.blocks.get(dense):
        return
    readings = [(a, read_rules(a, 1)) for a in analyzed]
    flagged = [(a, r.hits) for a, r in readings if r.urgency.is_urgent]
    without = replace(model, blocks={**model.blocks, dense: 0.0})
    model.score(*flagged[0])  # the word vectors loaded once, before timing
    for run in range(3):
        for name, m in (("with the dense block", model), ("dense block off", without)):
            started = time.perf_counter()
            for a, hits in flagged:
                m.score(a, hits)
            elapsed = time.perf_counter() - started
            print(
                f"pass {run + 1} model score, {name}: "
                f"{elapsed / len(flagged) * 1e6:,.0f} µs a text ({len(flagged)} flagged texts)"
            )


if __name__ == "__main__":
    main()
