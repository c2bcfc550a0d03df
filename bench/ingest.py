"""Ingest benchmark: end-to-end messages/s of the pipeline on PostgreSQL, against the raw COPY floor.

    .venv/bin/python bench/ingest.py                 # 10,000 messages, in-process, 1 and 2 Celery workers
    .venv/bin/python bench/ingest.py --n 100000 --skip-celery
    .venv/bin/python bench/ingest.py --n 5000 --history 30000 --batch-size 250 --workers 1,2
    .venv/bin/python bench/ingest.py --scan-only     # the monitoring scan only (no database)
    .venv/bin/python bench/ingest.py --skip-celery --registry ../shared/data/spb_our_city_dev/appeals.csv.gz

It creates (drops first) the scratch database ``--db`` on the PostgreSQL server of ``--server``,
migrates it, loads the demo region (Saratov: districts, towns, agencies, routing rules, deadline
policies), generates ``--n`` residents' messages with the demo generator, and measures:

1. the pipeline in-process (``run_batch`` over batches of ``--batch-size``) — messages/s and
   relevant messages/s;
2. the same messages through 1, then 2 Celery workers (``--workers``; ``OTKLIK_PIPELINE=celery`` path:
   ``enqueue_batches``) on the broker ``--broker``, from the first enqueue until every message is
   stored — and whether each made exactly the in-process run's cases, joins and dead letters;
3. the raw floor: a bare ``COPY`` of the same rows (the message columns) into a scratch table;
4. the monitoring scan: posts/s of one core for a set of boolean queries over the same texts.

``--history H`` first runs ``H`` earlier messages of the same generator through the pipeline (the
stored cases, messages and similarity keys every later batch looks up, as in a region that has run
for a while), ANALYZEs the tables as autovacuum would, and keeps that database as a template: every
measured run (in-process, each worker count) starts from an identical copy of it. The workers' own
seconds per stage (their ``batch … stages {…}`` log lines) are summed per run: what each stage costs
on a worker, how long a batch waited for its turn to decide, and the serial part (lock to commit)
that bounds what any number of workers can do.

``--registry FILE`` loads an address registry first (``otklik import-addresses FILE``: every building
address of the file, e.g. the 2,978 of the Saint Petersburg appeals, into the demo region), so the
place stage looks every street word and house number up in it as a city's pipeline does.

Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "(нет | отключили | отключение) & (вода | отопление | свет | газ) & !реклама",
    '"горячей воды нет" | "горячая вода" NEAR/3 отключили',
    '"яма дорога"~3 | яма NEAR/3 асфальт',
    "мусор & (контейнер | площадка | вывоз | вывозить)",
    "(фонарь | освещение) & (не | нет | темно)",
    "собака & (стая | бездомный | укусить | напасть)",
    "автобус & (маршрут | остановка | опаздывать | отменить)",
    "(поликлиника | больница | врач) & (запись | очередь | отказ)",
    "(снег | гололед | наледь) & (не | нет | никто)",
    "отключ* & (электричество | электроэнергия)",
]


def log(text: str) -> None:
    print(text, flush=True)


def setup_database(server: str, name: str, template: str | None = None) -> str:
    """(Re)create database ``name`` on ``server``, empty or as a copy of ``template``."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return server.rsplit("/", 1)[0] + "/" + name


def fresh_copy(server: str, name: str, template: str) -> None:
    """The measured database again as it was after the history: a copy of ``template``."""
    from django.db import connections

    connections.close_all()
    setup_database(server, name, template)
    forget_process_caches()


def forget_process_caches() -> None:
    """This process starts a run as a fresh worker would: no fingerprints of stored messages kept."""
    from otklik.intake import dedup
    from otklik.intake.pipeline import similar

    similar._FINGERPRINTS.clear()
    if hasattr(dedup, "_RECENT"):  # (not in a checkout before it)
        dedup._RECENT.clear()


def analyze() -> None:
    """What autovacuum would have done after a bulk load (the dev server runs without it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def machine_load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def django_setup(url: str, broker: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CELERY_BROKER_URL"] = broker
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()


def load_region() -> None:
    from django.core.management import call_command

    from otklik.demo.agencies import setup_agencies
    from otklik.demo.categories import CategoryMatcher
    from otklik.demo.places import ensure_district_centers
    from otklik.demo.run import ensure_sources, load_reference_data
    from otklik.directory.regions import load_shipped_region

    call_command("migrate", verbosity=0)
    load_reference_data()
    region = load_shipped_region("saratov").region
    ensure_district_centers(region)
    setup_agencies(region, CategoryMatcher())
    ensure_sources()


def generate(n: int, seed: int, history: int = 0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``history`` earlier messages and the ``n`` measured ones after them: one generated stream
    (posted in order), split in time."""
    items = _generate(n + history, seed)
    return items[:history], items[history:]


def _generate(n: int, seed: int) -> list[dict[str, Any]]:
    from otklik.demo.messages import generate as demo_generate
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory

    region = Territory.objects.get(kind=TerritoryKind.REGION, parent=None)
    end = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Saratov"))
    weeks = max(2, n // 5000)  # a few thousand messages a week, as in a region of 2.4M people
    return demo_generate(seed=seed, count=n, start=end - timedelta(weeks=weeks), end=end, region=region)


def clear_pipeline_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE intake_similaritykey, intake_message, intake_deadletter, cases_caseevent, "
            "cases_answer, cases_rating, cases_case, intake_queuedbatch RESTART IDENTITY CASCADE"
        )


def outcome() -> dict[str, int]:
    """What the pipeline made, to compare the runs: cases, messages joined to another's case, dead
    letters, and a digest of which messages share a case."""
    import hashlib

    from otklik.cases.models import Case
    from otklik.intake.models import DeadLetter, Message

    groups: dict[int, list[str]] = {}
    for external_id, case_id in Message.objects.exclude(case=None).values_list("external_id", "case_id"):
        groups.setdefault(case_id, []).append(external_id)
    digest = hashlib.sha1("|".join(sorted(",".join(sorted(g)) for g in groups.values())).encode()).hexdigest()
    return {
        "cases": Case.objects.count(),
        "joined": sum(len(g) - 1 for g in groups.values()),
        "dead_letters": DeadLetter.objects.count(),
        "grouping": int(digest[:8], 16),
    }


def relevant_count() -> int:
    from otklik.intake.models import Message

    return Message.objects.filter(is_relevant=True).count()


def run_inprocess(
    items: list[dict[str, Any]],
    batch_size: int,
    now: datetime,
    timings: dict[str, float],
    analyze_every: int = 0,
) -> tuple[float, float, Any]:
    """Wall-clock and this process's CPU seconds of the in-process run, and its counters;
    ``analyze_every`` messages, the tables are analyzed as autovacuum would as they grow."""
    from otklik.intake.pipeline import BatchResult, run_batch, warm_up

    log(f"warm-up (once per process, not timed below): {warm_up():.2f} s")
    total = BatchResult()
    started, cpu = time.perf_counter(), time.process_time()
    analyzed = 0
    for start in range(0, len(items), batch_size):
        total.add(run_batch(items[start : start + batch_size], now=now, timings=timings))
        if analyze_every and start + batch_size - analyzed >= analyze_every:
            analyze()
            analyzed = start + batch_size
    return time.perf_counter() - started, time.process_time() - cpu, total


def stage_table(timings: dict[str, float], seconds: float) -> str:
    """Seconds and share of the wall clock per stage (setup, the stages, dead letters, commit)."""
    rows = [f"  {name:<13} {value:6.2f} s  {100 * value / seconds:5.1f} %" for name, value in timings.items()]
    return "\n".join(rows)


def wait_for_workers(names: list[str], timeout: float = 120) -> None:
    """Until every worker answers a ping: connected, its caches built (the clock starts after)."""
    from otklik.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(destination=names, timeout=1.0)) == len(names):
            return
    raise SystemExit(f"workers {names} did not answer within {timeout:.0f} s")


def worker_stages(logs: list[Path]) -> tuple[dict[str, float], int]:
    """The workers' seconds per stage summed over their ``batch … stages {json}`` lines, and the
    number of batches."""
    total: dict[str, float] = {}
    batches = 0
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            _, found, stages = line.partition("; stages ")
            if not found:
                continue
            batches += 1
            for name, seconds in json.loads(stages).items():
                total[name] = total.get(name, 0.0) + seconds
    return total, batches


def run_celery(
    items: list[dict[str, Any]],
    batch_size: int,
    now: datetime,
    url: str,
    broker: str,
    workers: int,
    logs: list[Path],
) -> float:
    from otklik.intake.models import Message
    from otklik.intake.tasks import enqueue_batches

    queue = f"bench-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": broker,
        "OTKLIK_PIPELINE": "celery",
        "PYTHONPATH": str(ROOT),
    }
    procs = [
        subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "-A",
                "otklik",
                "worker",
                "-Q",
                queue,
                "-c",
                "1",
                "-n",
                f"bench{i}-{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "warning",
            ],
            env={**env, "OTKLIK_LOG_LEVEL": "INFO"},  # each batch's seconds per stage (intake.tasks)
            cwd=ROOT,
            start_new_session=True,
            stderr=logs[i].open("w"),
        )
        for i in range(workers)
    ]
    try:
        wait_for_workers([f"bench{i}-{queue}@{socket.gethostname()}" for i in range(workers)])
        stored_before = Message.objects.count()
        started = time.perf_counter()
        enqueue_batches(items, batch_size=batch_size, now=now, queue=queue, broker_url=broker)
        expected = stored_before + len({(i["source"], i["external_id"]) for i in items})
        deadline = time.monotonic() + 3600
        while Message.objects.count() < expected and time.monotonic() < deadline:
            time.sleep(0.2)
        return time.perf_counter() - started
    finally:
        for proc in procs:
            os.kill(proc.pid, signal.SIGTERM)  # warm shutdown: the worker stops its own pool
        for proc in procs:
            proc.wait(timeout=60)


COPY_COLUMNS = (
    "source_id",
    "external_id",
    "channel",
    "author_name",
    "author_id",
    "text",
    "url",
    "lat",
    "lon",
    "posted_at",
    "received_at",
    "is_relevant",
    "text_hash",
    "raw",
)


def raw_copy(items: list[dict[str, Any]], url: str) -> float:
    """The floor: the same rows COPYed into a scratch table shaped like intake_message, no logic."""
    import psycopg

    from otklik.intake.models import Source

    sources = dict(Source.objects.values_list("code", "pk"))
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw_message")
        conn.execute(
            "CREATE TABLE bench_raw_message (id bigserial PRIMARY KEY, source_id bigint, "
            "external_id varchar(200), channel varchar(20), author_name varchar(200), "
            "author_id varchar(200), "
            "text text, url varchar(500), lat double precision, lon double precision, "
            "posted_at timestamptz, received_at timestamptz, is_relevant boolean, text_hash varchar(40), "
            "raw jsonb, UNIQUE (source_id, external_id))"
        )
        conn.commit()
        started = time.perf_counter()
        statement = f"COPY bench_raw_message ({', '.join(COPY_COLUMNS)}) FROM STDIN"
        with conn.cursor() as cursor, cursor.copy(statement) as copy:
            for item in items:
                copy.write_row(
                    (
                        sources.get(item["source"]),
                        item["external_id"],
                        item.get("channel") or "",
                        item.get("author_name") or "",
                        item.get("author_id") or "",
                        item["text"],
                        item.get("url") or "",
                        item.get("lat"),
                        item.get("lon"),
                        item["posted_at"],
                        datetime.now(ZoneInfo("UTC")),
                        True,
                        "",
                        json.dumps(item, ensure_ascii=False),
                    )
                )
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE bench_raw_message")
        conn.commit()
    return elapsed


def scan_rate(texts: list[str], rounds: int = 3) -> tuple[float, int, int]:
    from otklik.intake.monitoring import Scanner, compile_query

    scanner = Scanner([compile_query(q, key=i) for i, q in enumerate(QUERIES)])
    matched = sum(1 for t in texts if scanner.matching(t))
    started = time.process_time()
    for _ in range(rounds):
        for text in texts:
            scanner.matching(text)
    return rounds * len(texts) / (time.process_time() - started), matched, scanner.form_count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10_000, help="messages (10,000 by default, up to 1,000,000)")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="otklik_bench", help="scratch database (dropped and created)")
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--workers", default="1,2", help="Celery worker counts to measure, e.g. 1,2")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-celery", action="store_true")
    parser.add_argument("--scan-only", action="store_true", help="only the monitoring scan (no database)")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the in-process run into FILE")
    parser.add_argument("--registry", metavar="FILE", help="load an address registry from FILE first")
    parser.add_argument("--history", type=int, default=0, help="earlier messages stored before the runs")
    parser.add_argument("--logs", metavar="DIR", help="the workers' logs (default /tmp/<db>-workers)")
    args = parser.parse_args()

    log(f"load: {machine_load()}")
    url = setup_database(args.server, args.db)
    django_setup(url, args.broker)
    t0 = time.perf_counter()
    load_region()
    log(f"database {args.db}: migrated, demo region loaded in {time.perf_counter() - t0:.1f} s")
    if args.registry:
        from otklik.directory.tables import find_region
        from otklik.understanding.places.loading import import_addresses

        t0 = time.perf_counter()
        report = import_addresses(args.registry, find_region(None))
        log(f"address registry: {report.lines()[0]}; {report.notes[0]} ({time.perf_counter() - t0:.1f} s)")
    t0 = time.perf_counter()
    history, items = generate(args.n, args.seed, args.history)
    log(f"generated {len(history):,} + {len(items):,} messages in {time.perf_counter() - t0:.1f} s")
    texts = [i["text"] for i in items]

    rate, matched, forms = scan_rate(texts)
    log(
        f"monitoring scan: {rate:,.0f} posts/s on one core "
        f"({len(QUERIES)} queries, {forms:,} word forms; {matched:,} of {len(texts):,} posts match)"
    )
    if args.scan_only:
        return

    now = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Europe/Saratov"))
    if history:
        t0 = time.perf_counter()
        _, _, made = run_inprocess(history, args.batch_size, now, {}, analyze_every=2500)
        analyze()
        log(f"history: {made.summary()} ({time.perf_counter() - t0:.0f} s), then ANALYZE")
    template = f"{args.db}_template"
    from django.db import connections

    connections.close_all()
    setup_database(args.server, template, args.db)  # every run starts from this copy

    floor = raw_copy(items, url)
    log(f"raw floor (COPY of the same rows): {len(items) / floor:,.0f} rows/s ({floor:.2f} s)")
    fresh_copy(args.server, args.db, template)
    relevant_before = relevant_count()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    timings: dict[str, float] = {}
    log(f"load: {machine_load()}")
    seconds, cpu, result = run_inprocess(items, args.batch_size, now, timings)
    if args.profile:
        profiler.disable()
        profiler.dump_stats(args.profile)
    relevant = relevant_count() - relevant_before
    log(
        f"in-process: {len(items) / seconds:,.0f} messages/s, {relevant / seconds:,.0f} relevant messages/s "
        f"({len(items):,} in {seconds:.1f} s, {cpu:.1f} s CPU in this process; {result.summary()}); "
        f"ratio to the floor 1 : {seconds / floor:,.1f}"
    )
    log("per stage (wall clock):\n" + stage_table(timings, seconds))

    one_process = outcome()
    log(f"in-process made: {one_process}")
    logs_dir = Path(args.logs or f"/tmp/{args.db}-workers")
    logs_dir.mkdir(parents=True, exist_ok=True)
    for workers in [] if args.skip_celery else [int(w) for w in str(args.workers).split(",")]:
        fresh_copy(args.server, args.db, template)
        logs = [logs_dir / f"{workers}-{i}.log" for i in range(workers)]
        log(f"load: {machine_load()}")
        celery_seconds = run_celery(items, args.batch_size, now, url, args.broker, workers, logs)
        relevant = relevant_count() - relevant_before
        made = outcome()
        log(
            f"celery, {workers} worker(s) ({args.broker.split(':', 1)[0]}): "
            f"{len(items) / celery_seconds:,.0f} messages/s, {relevant / celery_seconds:,.0f} relevant/s "
            f"({celery_seconds:.1f} s); ratio to the floor 1 : {celery_seconds / floor:,.1f}; "
            f"{'the same cases as in-process' if made == one_process else f'DIFFERENT: {made}'}"
        )
        stages, batches = worker_stages(logs)
        serial = sum(stages.get(name, 0.0) for name in DECIDING)
        log(
            f"  on the workers, {batches} batches, seconds summed over the workers "
            f"(serial part, lock to commit: {serial:.1f} s = {serial / max(batches, 1):.3f} s a batch):\n"
            + stage_table(stages, celery_seconds * workers)
        )
    log(f"load: {machine_load()}")
    import psycopg

    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


# What a batch does holding the deciding lock (pipeline.order): one batch at a time, whatever the
# number of workers.
DECIDING = ("dedup", "similar", "route", "decide", "persist", "dead_letters", "commit")

if __name__ == "__main__":
    main()
