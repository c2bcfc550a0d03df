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

Before the passes, the model's run-time score (``UrgencyModel.score``) is checked on every text of both
data sets (the model asked about every text, not only where judge asks it) against
``probability(vectorize(...))``, the features' dot product: the largest difference, the texts where the
two are the same to the bit, the texts where ``judge``'s verdict would be the same; and the SHA-256 of the
22,429 scores (float64, in file order) is printed — the same digest from two checkouts (``OTKLIK_SRC``) is
the same probability to the bit on every text (round 14's, 358883db…, docs/benchmarks.md).
"""

from __future__ import annotations

import os
import sys
import time
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
    ways = [("rules", urgency.assess)]
    if hasattr(urgency, "judge"):  # an older checkout (OTKLIK_SRC) has the rules alone
        ways.append(("rules + model", urgency.judge))
    _check_score(analyzed)
    for run in range(3):
        cpu: dict[str, float] = {}
        for name, assess in ways:
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
    _dense_cost(analyzed)


def _check_score(analyzed: list) -> None:
    """The run-time score against the features' dot product on every text, and the scores' digest
    (skipped for a checkout without the learned model)."""
    import hashlib
    from functools import partial

    import numpy as np

    try:
        from otklik.understanding.urgency import learned
    except ImportError:  # an older checkout (OTKLIK_SRC): rules alone
        return
    model = learned.load_model()
    if model is None or not hasattr(model, "score"):  # no model, or one older than its run-time score
        return
    started = time.perf_counter()
    scores, same, verdicts, largest = [], 0, 0, 0.0
    for text in analyzed:
        reading = urgency.read_rules(text, 1)
        p = model.score(text, reading.hits)
        reference = model.probability(learned.vectorize(text, reading.hits, model.blocks))
        scores.append(p)
        same += p == reference
        largest = max(largest, abs(p - reference))
        verdict = partial(
            learned.combine,
            reading.urgency.is_urgent,
            with_rules=model.with_rules,
            alone=model.alone,
            guarded=bool(reading.guards),
            with_guard=model.with_guard,
        )
        verdicts += verdict(p) == verdict(reference)
    digest = hashlib.sha256(np.array(scores, dtype=np.float64).tobytes()).hexdigest()
    print(
        f"score against probability(vectorize(...)) on all {len(analyzed)} texts "
        f"({time.perf_counter() - started:.0f} s): largest difference {largest:.2g}, "
        f"the same to the bit on {same}, the same verdict on {verdicts}"
    )
    print(f"  SHA-256 of the {len(scores)} scores: {digest}")


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
