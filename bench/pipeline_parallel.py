"""The parallel part of a pipeline batch — normalise, relevance, category and urgency, place, the
look-up ahead of the turn — CPU per stage in a worker's steady state, and a digest of its output
(issue 13 item 6).

    .venv/bin/python bench/pipeline_parallel.py --template h_hist_kept        # PostgreSQL
    .venv/bin/python bench/pipeline_parallel.py --sqlite var/bench_parallel.sqlite3
    .venv/bin/python bench/pipeline_parallel.py --template h_hist_kept --profile par.prof

On PostgreSQL it runs on a fresh copy (``--db``) of ``--template`` (a database ``bench/ingest.py
--history`` left, see bench/pipeline_cpu.py); with ``--sqlite FILE`` on that SQLite file, migrated
and given the demo region once. It generates the stream of ``bench/ingest.py`` (``--seed``,
``--history`` earlier messages and 5,000 new ones), runs the last ``--warm`` history messages through
the parallel stages first — a worker that has run for a while: its word analyser, lemma and
fingerprint caches filled by other texts — then the first ``--n`` new ones, in batches of
``--batch-size``, ``--rounds`` times (each round after the first on texts the fingerprint cache
does not hold: it is emptied between rounds). Nothing is written: the stages read only.

It prints this process's CPU (``process_time``) per stage and message, the median over the rounds
(urgency's judge apart, in brackets: a part of the categorize stage),
and a SHA-1 digest of what the stages left on every item (tokens, normalised text, relevance,
classification, urgency, place, monitoring matches, fingerprint, look-up keys, title): two code
versions that print the same digest made the same values. To compare two versions in one run,
alternate them (each from its own tree), e.g.::

    for i in 1 2 3; do for tree in /tmp/base /work/wt/me; do
        (cd $tree && python bench/pipeline_parallel.py …); done; done
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest

PARTS = ("normalize", "repeats", "relevance", "categorize", "place", "ahead")
KEPT = (
    "external_id", "text_hash", "normalized", "word_count", "tokens", "words", "relevance",
    "classification", "urgency", "place", "monitoring", "fingerprint", "lookup_keys", "title",
    "expected_repeat", "done",
)  # fmt: skip


def canonical(value: Any) -> Any:
    """A value in a form whose repr does not depend on the process (sets sorted, models by key)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            [(f.name, canonical(getattr(value, f.name))) for f in dataclasses.fields(value)],
        )
    if isinstance(value, set | frozenset):
        return sorted(repr(canonical(v)) for v in value)
    if isinstance(value, dict):
        return sorted((repr(canonical(k)), canonical(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if hasattr(value, "_meta") and hasattr(value, "pk"):
        return (value._meta.label, value.pk)
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def parallel_part(
    items: list[dict[str, Any]], now: datetime, batch_size: int, spent: dict[str, float]
) -> list[Any]:
    """The stages a worker runs before its batch's turn (pipeline.runner._run_ordered), batch by batch;
    the CPU of each added to ``spent``; the items as they left the last one."""
    from otklik.intake.pipeline import runner, understand

    if not isinstance(understand.urgency, _TimedUrgency):
        understand.urgency = _TimedUrgency(understand.urgency)  # type: ignore[assignment]
    out = []
    for start in range(0, len(items), batch_size):
        chunk = items[start : start + batch_size]
        with runner._collector_paused(len(chunk)):  # (as run_batch does)
            batch = runner._new_batch(chunk, now, None, False)
            runner._setup(batch)
            batch.deferred = []
            _timed(spent, "normalize", runner.stage_normalize, batch)
            repeats = _timed(spent, "repeats", runner._repeats, batch)
            for name, stage in (
                ("relevance", runner.stage_relevance),
                ("categorize", runner.stage_categorize),
                ("place", runner.stage_place),
            ):
                _timed(spent, name, stage, batch)
            _timed(spent, "ahead", runner._ahead, batch, None, repeats)
            out.extend(batch.items)
    spent["urgency"] = spent.get("urgency", 0.0) + understand.urgency.seconds
    understand.urgency.seconds = 0.0
    return out


class _TimedUrgency:
    """``urgency`` as the categorize stage calls it, its judge's CPU added up (its share of the stage)."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.seconds = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.module, name)

    def judge(self, *args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return self.module.judge(*args, **kwargs)
        finally:
            self.seconds += time.process_time() - started


def _timed(spent: dict[str, float], name: str, work: Callable[..., Any], *args: Any) -> Any:
    started = time.process_time()
    try:
        return work(*args)
    finally:
        spent[name] = spent.get(name, 0.0) + time.process_time() - started


def digest(items: list[Any]) -> str:
    sha = hashlib.sha1()
    for item in items:
        sha.update(repr([(name, canonical(getattr(item, name))) for name in KEPT]).encode())
    return sha.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", help="a PostgreSQL database with the history stored")
    parser.add_argument("--db", default="otklik_bench_parallel", help="scratch copy (dropped and created)")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", metavar="FILE", help="run on this SQLite file instead (made once)")
    parser.add_argument("--n", type=int, default=2500)
    parser.add_argument("--warm", type=int, default=5000, help="history messages run first, not measured")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="a cProfile of the measured rounds")
    args = parser.parse_args()

    if args.sqlite:
        fresh = not Path(args.sqlite).exists()
        ingest.django_setup(f"sqlite:///{Path(args.sqlite).resolve()}", "redis://127.0.0.1:6379/0")
        if fresh:
            ingest.load_region()
    elif args.template:
        ingest.django_setup(
            ingest.setup_database(args.server, args.db, args.template), "redis://127.0.0.1:6379/0"
        )
    else:
        parser.error("give --template (PostgreSQL) or --sqlite FILE")
    from django.db import connection

    from otklik.intake import dedup
    from otklik.intake.pipeline import warm_up

    history, items = ingest.generate(5000, args.seed, args.history)
    items = items[: args.n]
    now = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Europe/Saratov"))
    warm_up()
    parallel_part(history[-args.warm :] if args.warm else [], now, args.batch_size, {})
    rounds: list[dict[str, float]] = []
    digests = set()
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.rounds):
        dedup._RECENT.clear()  # (the same texts again: not from the fingerprint cache)
        spent: dict[str, float] = {}
        if profiler is not None:
            profiler.enable()
        done = parallel_part(items, now, args.batch_size, spent)
        if profiler is not None:
            profiler.disable()
        rounds.append(spent)
        digests.add(digest(done))
    if profiler is not None:
        profiler.dump_stats(args.profile)
    print(
        f"{connection.vendor}, {len(items):,} messages in batches of {args.batch_size}, {args.rounds} rounds"
    )
    print("ms of CPU a message, median of the rounds (min–max):")
    total = [sum(v for k, v in r.items() if k != "urgency") for r in rounds]
    for name in (*PARTS[:4], "urgency", *PARTS[4:]):
        values = [1000 * r.get(name, 0.0) / len(items) for r in rounds]
        label = "(urgency)" if name == "urgency" else name  # (a part of categorize)
        print(f"  {label:<11} {statistics.median(values):6.3f}  ({min(values):.3f}–{max(values):.3f})")
    values = [1000 * t / len(items) for t in total]
    print(f"  {'all':<11} {statistics.median(values):6.3f}  ({min(values):.3f}–{max(values):.3f})")
    print(f"digest: {' '.join(sorted(digests))}")
    print(f"load: {ingest.machine_load()}")


if __name__ == "__main__":
    main()
