"""The pipeline's own CPU per stage, in-process, from a stored history (issue 13 item 6).

    .venv/bin/python bench/ingest.py --db h_hist --n 5000 --history 20000 --skip-celery   # once, then:
    psql … -c 'CREATE DATABASE h_hist_kept TEMPLATE h_hist'
    .venv/bin/python bench/pipeline_cpu.py --template h_hist_kept --n 2500
    .venv/bin/python bench/pipeline_cpu.py --template h_hist_kept --n 2500 --repeat   # sent again
    .venv/bin/python bench/pipeline_cpu.py --template h_hist_kept --queries --profile-turn turn.prof

Every run starts from a fresh copy (``--db``) of ``--template`` (a database ``bench/ingest.py
--history`` left: its history stored), generates the same stream as ``bench/ingest.py`` (``--seed``,
20,000 history + 5,000 messages by default) and runs its first ``--n`` new messages — or, with
``--repeat``, the last ``--n`` history messages again with new ids, as ``bench/web.py operators``
feeds its texts again — through ``run_batch``. It prints this process's CPU seconds (``process_time``)
per stage, not wall clock: on a loaded machine the CPU a stage costs, not its wait for a core.
``--queries`` adds the statements per batch with their wall time (COPYs are not counted);
``--profile-turn FILE`` a cProfile of the deciding stages only (dedup to persist); ``--profile FILE``
of the whole run (the warm-up included).
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import time
import types
from collections import Counter
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ingest

DECIDING = ("dedup", "similar", "route", "decide", "persist")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", required=True, help="a database with the history stored")
    parser.add_argument("--db", default="otklik_bench_cpu", help="scratch copy (dropped and created)")
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--n", type=int, default=2500)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--history", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", action="store_true", help="the last N history messages, new ids")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--profile-turn", metavar="FILE")
    parser.add_argument("--profile", metavar="FILE", help="a cProfile of the whole run (every stage)")
    args = parser.parse_args()

    url = ingest.setup_database(args.server, args.db, args.template)
    ingest.django_setup(url, "redis://127.0.0.1:6379/0")
    from django.db import connection

    from otklik.intake.pipeline import runner

    history, items = ingest.generate(5000, args.seed, args.history)
    items = items[: args.n]
    if args.repeat:
        items = [dict(m, external_id=f"again-{m['external_id']}") for m in history[-args.n :]]
    now = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Europe/Saratov"))
    runner.time = types.SimpleNamespace(perf_counter=time.process_time)  # type: ignore[assignment]
    turn = cProfile.Profile() if args.profile_turn else None
    if turn is not None:
        stage = runner._stage

        def profiled(name: str, work: Any, batch: Any) -> None:
            if name not in DECIDING:
                return stage(name, work, batch)
            turn.enable()
            try:
                return stage(name, work, batch)
            finally:
                turn.disable()

        runner._stage = profiled  # type: ignore[assignment]
    count: Counter[str] = Counter()
    spent: Counter[str] = Counter()

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            count[sql[:90]] += 1
            spent[sql[:90]] += time.perf_counter() - started

    timings: dict[str, float] = {}
    whole = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(timed) if args.queries else nullcontext():
        if whole is not None:
            whole.enable()
        seconds, cpu, result = ingest.run_inprocess(items, args.batch_size, now, timings)
        if whole is not None:
            whole.disable()
            whole.dump_stats(args.profile)
    print(f"{len(items):,} in {seconds:.1f} s, {cpu:.2f} s CPU ({1000 * cpu / len(items):.2f} ms a message)")
    print(result.summary())
    print("CPU per stage (share of the wall clock):\n" + ingest.stage_table(timings, seconds))
    print(f"deciding stages: {sum(timings.get(n, 0.0) for n in DECIDING):.2f} s CPU")
    print(f"outcome: {ingest.outcome()}")
    if args.queries:
        batches = len(items) / args.batch_size
        for sql, n in sorted(count.items(), key=lambda kv: -spent[kv[0]])[:25]:
            print(f"{n / batches:6.1f} a batch {spent[sql]:7.3f} s  {sql}")
        print(f"statements a batch: {sum(count.values()) / batches:.1f}")
    if turn is not None:
        turn.dump_stats(args.profile_turn)
    print(f"load: {ingest.machine_load()}")


if __name__ == "__main__":
    main()
