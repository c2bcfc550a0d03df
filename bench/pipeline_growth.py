"""Where a fresh batch's time goes as cases pile up (issue 13 item 6): the pipeline in-process on the
stream ``bench/web.py operators`` sends — a fresh generated message each, posted within the last two
days — per stage: wall clock, this process's CPU and the time in SQL statements, reported per slice
of the run, so a stage whose cost grows with the stored cases shows as a growing column.

    DATABASE_URL=$PG_URL .venv/bin/python bench/pipeline_growth.py --n 20000 --every 5000
    DATABASE_URL=$PG_URL .venv/bin/python bench/pipeline_growth.py --n 20000 --queries 10

It runs on ``DATABASE_URL`` (migrated, with the demo loaded: ``otklik migrate && otklik demo``) and
adds ``--n`` messages to it (external ids ``growth-<run>-<i>``; ``--clear`` empties the pipeline's
tables first). The tables are ANALYZEd every ``--analyze-every`` messages, as ``bench/web.py``'s
feeder does every 30 s. Each cell also gives, after ";", the CPU the PostgreSQL server's process of
this connection spent (``/proc/PID/schedstat``, the server on this machine). ``--queries K``
prints, for the last slice, the K statements that took the longest in total (per batch), with
their count per batch, and the bulk writes (COPY) per table.

``--processes N`` runs the batches as N Celery workers would take them in turn: each batch gets its
place in the order (``pipeline.order.register``) and each simulated process its own caches (the
fingerprints it made or read, ``similar._FINGERPRINTS`` and ``dedup._RECENT``, the messages and cases
its look-ups read, ``similar._KNOWN``, and the last batch it took): a batch's look-up then meets the
stored messages another process wrote, as on the workers (the ``ahead`` row of their stage report),
still in one process, one batch at a time.

``--reread`` chooses what the turn reads again of the candidates the look-up before it found:
``bounded`` (the pipeline's way) only what changed since the look-up (the marks of
``otklik.intake.changes``), ``full`` every candidate's message and case (the way before them; the
look-up then reads only the messages another process wrote), ``alternate`` both in one run, two
batches each in turn (each simulated process meets both): the rows of the stage report then carry
``[bounded]`` / ``[full]`` and are per batch of that way. ``--now`` fixes the moment the messages are
posted up to, so that runs on copies of one database get the same messages (the same cases, joins
and dead letters whatever the way).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=5000, help="messages per reported slice")
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--analyze-every", type=int, default=15_000)
    parser.add_argument("--seed", type=int, default=4242)
    parser.add_argument("--clear", action="store_true", help="empty the pipeline's tables first")
    parser.add_argument("--queries", type=int, default=0)
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the last slice into FILE")
    parser.add_argument(
        "--processes", type=int, default=1, help="simulate N workers' own caches, batches in turn"
    )
    parser.add_argument("--reread", choices=["bounded", "full", "alternate"], default="bounded")
    parser.add_argument("--now", help="ISO moment the messages are posted up to (default: now)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to PostgreSQL with the demo loaded")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()
    import ingest
    from django.db import connection
    from django.utils import timezone

    from otklik.cases import bulk
    from otklik.cases.choices import OPEN
    from otklik.cases.models import Case
    from otklik.demo.messages import generate_messages
    from otklik.directory.models import Territory
    from otklik.intake import dedup
    from otklik.intake.models import Message
    from otklik.intake.pipeline import BatchResult, order, run_batch, runner, similar, warm_up

    if args.clear:
        ingest.clear_pipeline_tables()
    region = Territory.objects.filter(parent__isnull=True).order_by("pk").first()
    if region is None:
        raise SystemExit("no region: load the demo first (otklik migrate && otklik demo)")
    now = datetime.fromisoformat(args.now) if args.now else timezone.now()
    run = uuid.uuid4().hex[:8]
    items = []
    for i, m in enumerate(
        generate_messages(seed=args.seed, count=args.n, start=now - timedelta(days=2), end=now, region=region)
    ):
        items.append(dict(m.item, external_id=f"growth-{run}-{i}"))

    # per lap name: wall, CPU, SQL seconds and statements (the runner's own laps, read by a clock
    # that also takes this process's CPU and the SQL time since the last lap)
    sql = {"seconds": 0.0, "count": 0}
    slices: list[dict[str, list[float]]] = []
    current: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0, 0.0])

    def server_cpu() -> float:
        """The seconds the database server's process of this connection has run (PostgreSQL on this
        machine: /proc/PID/schedstat; 0 where it cannot be read) — on two cores its CPU counts too."""
        raw = connection.connection
        pid = getattr(getattr(raw, "info", None), "backend_pid", None) if raw is not None else None
        try:
            with open(f"/proc/{pid}/schedstat") as stat:
                return int(stat.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return 0.0

    statements: Counter[str] = Counter()
    statement_seconds: Counter[str] = Counter()

    class Clock(runner._Clock):
        def __init__(self, timings: dict[str, float] | None) -> None:
            super().__init__(timings)
            self.cpu = time.process_time()
            self.sql = (sql["seconds"], sql["count"])
            self.server = server_cpu()

        def lap(self, name: str) -> None:
            wall = time.perf_counter() - self.last
            super().lap(name)
            cpu = time.process_time()
            row = current[name + way["suffix"]]
            row[0] += wall
            row[1] += cpu - self.cpu
            row[2] += sql["seconds"] - self.sql[0]
            row[3] += sql["count"] - self.sql[1]
            server = server_cpu()
            row[4] += server - self.server
            self.server = server
            self.cpu, self.sql = cpu, (sql["seconds"], sql["count"])

    runner._Clock = Clock  # type: ignore[misc]

    # the way the turn reads the candidates again: "full" is the look-up without what it read of
    # their messages and cases (then the turn reads them all, as before the changed-since marks)
    prefetch_keys = similar._prefetch_keys
    way = {"suffix": ""}

    def reread(number: int) -> None:
        mode = args.reread
        if mode == "alternate":
            mode = ("bounded", "full")[number // 2 % 2]
            way["suffix"] = f" [{mode}]"
        similar._prefetch_keys = (  # type: ignore[assignment]
            prefetch_keys if mode == "bounded" else partial(prefetch_keys, state=False)
        )

    # the COPYs (bulk writes) per table: not statements the wrapper below sees
    copies: Counter[str] = Counter()
    copied: Counter[str] = Counter()
    copy = bulk._copy

    def timed_copy(table: str, fields: Any, rows: Any) -> int:
        started = time.perf_counter()
        try:
            n = copy(table, fields, rows)
        finally:
            copies[table] += time.perf_counter() - started
        copied[table] += n
        return n

    bulk._copy = timed_copy  # type: ignore[assignment]

    def timed(execute: Any, statement: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            spent = time.perf_counter() - started
            sql["seconds"] += spent
            sql["count"] += 1
            statements[statement[:110]] += 1
            statement_seconds[statement[:110]] += spent

    # the notification tasks the batches queue after commit, and the messages in them (before the
    # batch's messages were put in one task, each message was a task of its own)
    from otklik.cases import notifications

    tasks: Counter[str] = Counter()
    after_commit = notifications.task_after_commit

    def counted(task: Any, *task_args: Any, **task_kwargs: Any) -> None:
        tasks[task.name.rpartition(".")[2]] += 1
        tasks["messages"] += len(task_args[0]) if task is notifications.send_notifications else 1
        after_commit(task, *task_args, **task_kwargs)

    notifications.task_after_commit = counted  # type: ignore[assignment]

    print(f"# load before: {ingest.machine_load()}; warm-up {warm_up():.1f} s", flush=True)
    total = BatchResult()
    analyzed = 0
    # each simulated process's own caches: (similar._FINGERPRINTS, dedup._RECENT, runner._last_sequence,
    # similar._KNOWN: the messages and cases its look-ups read)
    known = getattr(similar, "_Known", dict)  # (a tree before it: any object, not used)
    caches: list[list[Any]] = [[{}, {}, None, known()] for _ in range(args.processes)]

    def batch_of(number: int, chunk: list[dict[str, Any]]) -> BatchResult:
        reread(number)
        if args.processes == 1:
            return run_batch(chunk, timings={})
        own = caches[number % args.processes]
        similar._FINGERPRINTS, dedup._RECENT, runner._last_sequence, similar._KNOWN = own  # type: ignore[attr-defined]
        sequence = order.register()
        order.start(sequence)
        try:
            return run_batch(chunk, timings={}, sequence=sequence, mode="celery")
        finally:
            own[2] = runner._last_sequence

    profile = cProfile.Profile() if args.profile else None
    with connection.execute_wrapper(timed):
        for start in range(0, len(items), args.batch_size):
            if start and start % args.every == 0:
                slices.append(dict(current))
                current.clear()
                if args.queries:
                    statements.clear()
                    statement_seconds.clear()
                    copies.clear()
                    copied.clear()
            last = start >= (len(items) - 1) // args.every * args.every
            if profile is not None and last:
                profile.enable()
            total.add(batch_of(start // args.batch_size, items[start : start + args.batch_size]))
            if profile is not None and last:
                profile.disable()
            if start + args.batch_size - analyzed >= args.analyze_every:
                ingest.analyze()
                analyzed = start + args.batch_size
        slices.append(dict(current))
    batches_per_slice = args.every / args.batch_size
    names = list(dict.fromkeys(name for s in slices for name in s))
    print(f"reread: {args.reread}; messages posted up to {now.isoformat()}")
    # which of the run's messages went to which case: equal digests on copies of one database are
    # the same cases and joins, message by message (the run's own prefix left out)
    grouping: dict[int, list[int]] = defaultdict(list)
    for external_id, case_id in Message.objects.filter(external_id__startswith=f"growth-{run}-").values_list(
        "external_id", "case_id"
    ):
        grouping[case_id or 0].append(int(external_id.rpartition("-")[2]))
    digest = hashlib.sha1(repr(sorted((k, sorted(v)) for k, v in grouping.items())).encode()).hexdigest()
    print(f"cases of the run's messages: {len(grouping) - (0 in grouping):,}, grouping digest {digest[:16]}")
    print(f"{total.summary()}; open cases now {Case.objects.filter(status__in=OPEN).count():,}")
    batches = -(-len(items) // args.batch_size)
    print(
        f"notification tasks: {sum(n for name, n in tasks.items() if name != 'messages'):,} in {batches} "
        f"batches ({dict((k, v) for k, v in tasks.items() if k != 'messages')}), "
        f"{tasks['messages']:,} messages in them"
    )
    print(
        "ms per batch of "
        + str(args.batch_size)
        + " (wall / CPU / SQL, statements; the SQL server's CPU) per slice of "
        + f"{args.every:,} messages"
    )
    for name in names:
        cells = []
        for s in slices:
            wall, cpu, in_sql, count, on_server = s.get(name, [0.0, 0.0, 0.0, 0.0, 0.0])
            k = batches_per_slice / (2 if name.endswith("]") else 1)
            ms = [1000 * value / k for value in (wall, cpu, in_sql, on_server)]
            cells.append(f"{ms[0]:6.0f}/{ms[1]:5.0f}/{ms[2]:5.0f} {count / k:4.0f}; {ms[3]:4.0f}")
        print(f"  {name:<22}" + " | ".join(cells))
    suffixes = [" [bounded]", " [full]"] if args.reread == "alternate" else [""]
    turn = ("lock", "dedup", "similar", "route", "decide", "persist", "dead_letters", "commit")
    for suffix in suffixes:
        k = batches_per_slice / len(suffixes)
        walls = [sum(v[0] for n, v in s.items() if n.endswith(suffix)) / k for s in slices]
        serial = [sum(s.get(n + suffix, [0.0])[0] for n in turn) / k for s in slices]
        print(f"  {'total wall' + suffix:<22}" + " | ".join(f"{1000 * w:6.0f} ms" for w in walls))
        print(f"  {'the serial turn' + suffix:<22}" + " | ".join(f"{1000 * w:6.0f} ms" for w in serial))
        print(f"  {'msgs/s' + suffix:<22}" + " | ".join(f"{args.batch_size / w:6.0f}" for w in walls))
    if args.queries:
        print("slowest statements of the last slice (ms per batch, count per batch):")
        for statement, seconds in statement_seconds.most_common(args.queries):
            n = statements[statement]
            print(f"  {1000 * seconds / batches_per_slice:7.1f} ms {n / batches_per_slice:5.1f}  {statement}")
        for table, seconds in copies.most_common():
            ms, rows = 1000 * seconds / batches_per_slice, copied[table] / batches_per_slice
            print(f"  {ms:7.1f} ms {rows:6.0f} rows  COPY {table}")
    if profile is not None:
        profile.dump_stats(args.profile)
    print(f"# load after: {ingest.machine_load()}")


if __name__ == "__main__":
    main()
