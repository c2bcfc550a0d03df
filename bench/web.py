"""Web bench: the production server on PostgreSQL while operators click and messages arrive.

Two measurements, each printing its figures (copy them to docs/benchmarks.md with `uptime`):

    # gunicorn against granian (`.venv/bin/pip install granian` first): closed loop, N clients
    # without pauses on the queue, the card and the public map, with the server's CPU per request
    # (the choice in docs/decisions/0005-web-server.md)
    .venv/bin/python bench/web.py compare --clients 20 --seconds 30

    # 50 operators clicking every ~5 s (queue, filters, card, moderation, answer) on gunicorn while
    # 500 messages/s arrive through the Celery pipeline for 5 minutes
    .venv/bin/python bench/web.py operators --operators 50 --think 5 --seconds 300 --rate 500 --workers 2

Both run against ``DATABASE_URL`` (PostgreSQL with the demo region: `otklik migrate && otklik demo`)
and start every process themselves (web server, Celery workers, a private Redis on a free port), with
``DEBUG=false`` and the collected static files, as docs/deploy/ installs them. Nothing but 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPERATORS = [("moderator", "moderator-demo"), ("supervisor", "supervisor-demo")]
EXECUTORS = [("engels", "engels-demo"), ("vodokanal", "vodokanal-demo"), ("mintrans", "mintrans-demo")]
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Recorder:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        # (page, when it started on time.monotonic(), seconds, the X-Request-ID sent)
        self.samples: list[tuple[str, float, float, str]] = []

    def add(
        self, page: str, seconds: float, ok: bool, detail: str = "", started: float = 0.0, rid: str = ""
    ) -> None:
        self.times[page].append(seconds)
        self.samples.append((page, started, seconds, rid))
        if not ok:
            self.errors[page] += 1
            if len(self.error_samples) < 10:
                self.error_samples.append(f"{page}: {detail}")

    def table(self, elapsed: float) -> str:
        rows = [f"{'page':<22}{'n':>7}{'err':>5}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}"]
        for page in sorted(self.times):
            t = self.times[page]
            rows.append(
                f"{page:<22}{len(t):>7}{self.errors[page]:>5}{len(t) / elapsed:>8.1f}"
                f"{pct(t, 0.5) * 1000:>9.0f}{pct(t, 0.95) * 1000:>9.0f}{max(t) * 1000:>9.0f}"
            )
        return "\n".join(rows)


async def login(client: httpx.AsyncClient, username: str, password: str) -> None:
    await client.get("/accounts/login/")
    token = client.cookies.get("csrftoken", "")
    response = await client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": str(client.base_url) + "/accounts/login/"},
    )
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")


async def timed(
    rec: Recorder, client: httpx.AsyncClient, page: str, method: str, url: str, **kw: Any
) -> httpx.Response | None:
    rid = uuid.uuid4().hex  # joins the server's own timing of the request (OTKLIK_WEB_TIMING_LOG)
    at = time.monotonic()
    started = time.perf_counter()
    try:
        response = await client.request(method, url, headers={"X-Request-ID": rid}, **kw)
    except httpx.HTTPError as exc:
        rec.add(page, time.perf_counter() - started, False, repr(exc), at, rid)
        return None
    ok = response.status_code < 400
    rec.add(page, time.perf_counter() - started, ok, f"{response.status_code} {url}", at, rid)
    return response


# --- the stack ---------------------------------------------------------------------------------------


MONITOR_TOKEN = "bench-" + uuid.uuid4().hex


def production_env(workdir: Path, broker: str, pipeline: str) -> dict[str, str]:
    return {
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "CELERY_BROKER_URL": broker,
        # the shared cache in Redis, as docs/deploy/otklik.env sets it (the broker's server, db 1)
        "OTKLIK_CACHE_URL": broker.rsplit("/", 1)[0] + "/1",
        "OTKLIK_PIPELINE": pipeline,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-" + uuid.uuid4().hex),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OTKLIK_STATIC_ROOT": str(workdir / "static"),
        "OTKLIK_VAR_DIR": str(workdir),
        "OTKLIK_LOG_FORMAT": "json",
        "CELERY_VISIBILITY_TIMEOUT": "30",
        # /readyz tells its checks (the pipeline's lag, the broker's queues) only to monitoring: the
        # bench's watcher shows this token, as a monitoring system would
        "OTKLIK_METRICS_TOKEN": MONITOR_TOKEN,
    }


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "otklik.cli", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group: a server's
    cost per request that does not depend on what else the machine is doing."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …, utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- compare ---------------------------------------------------------------------------------------


async def closed_loop(base: str, clients: int, seconds: float, case_ids: list[int]) -> tuple[Recorder, float]:
    rec = Recorder()
    stop_at = time.monotonic() + seconds

    async def client_loop(i: int) -> None:
        async with httpx.AsyncClient(
            base_url=base, timeout=60, headers={"Accept-Encoding": "gzip"}
        ) as client:
            await login(client, *OPERATORS[i % len(OPERATORS)])
            n = 0
            while time.monotonic() < stop_at:
                kind = n % 3
                if kind == 0:
                    await timed(rec, client, "queue", "GET", "/cases/")
                elif kind == 1:
                    await timed(rec, client, "card", "GET", f"/cases/{random.choice(case_ids)}/")
                else:
                    await timed(rec, client, "public map", "GET", "/public/map/")
                n += 1

    started = time.monotonic()
    await asyncio.gather(*(client_loop(i) for i in range(clients)))
    return rec, time.monotonic() - started


def run_compare(args: argparse.Namespace) -> None:
    from otklik.testing.stack import Stack

    case_ids = sample_case_ids()
    print(
        f"# compare: {args.clients} clients without pauses, {args.seconds:.0f} s each; "
        f"load before {load_average()}"
    )
    for server in args.servers.split(","):
        with tempfile.TemporaryDirectory(prefix="otklik-bench-") as tmp:
            workdir = Path(tmp)
            stack = Stack(workdir=workdir, env={})
            try:
                broker = stack.start_redis()
                stack.env.update(production_env(workdir, broker, "inprocess"))
                collectstatic(stack.env)
                stack.start_web(server, workers=args.web_workers, threads=args.threads)
                stack.wait_ready()
                asyncio.run(closed_loop(stack.base_url, 2, 3, case_ids))  # warm every worker
                cpu_before = group_cpu_seconds(stack.procs["web"].pid)
                rec, elapsed = asyncio.run(closed_loop(stack.base_url, args.clients, args.seconds, case_ids))
                cpu = group_cpu_seconds(stack.procs["web"].pid) - cpu_before
                total = sum(len(t) for t in rec.times.values())
                every = [x for t in rec.times.values() for x in t]
                print(
                    f"\n## {server} ({args.web_workers} processes × {args.threads} threads): "
                    f"{total / elapsed:.1f} req/s, p95 {pct(every, 0.95) * 1000:.0f} ms, "
                    f"CPU {cpu / max(total, 1) * 1000:.1f} ms per request, "
                    f"errors {sum(rec.errors.values())}; load after {load_average()}"
                )
                print(rec.table(elapsed))
            finally:
                stack.stop()


def sample_case_ids(n: int = 500) -> list[int]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    django.setup()
    from otklik.cases.models import Case

    ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:n])
    if not ids:
        raise SystemExit("no cases: load the demo first (otklik migrate && otklik demo)")
    return ids


# --- operators + ingest ------------------------------------------------------------------------------


def server_table(rec: Recorder, timing_log: Path, started: float, skip: float) -> str:
    """Where each page's time went, from the server's own timing of the same requests (otklik/gunicorn.py's
    ``post_request``, joined by X-Request-ID): ``handler`` is the wall time in the worker thread, ``CPU``
    that thread's CPU time, ``outside`` the client's time less the handler's — the wait for a worker
    thread (and the load generator's own lateness on a busy machine). Then the pages' p95 without the
    first ``skip`` seconds (the operators' start), and the requests each worker process served."""
    import json

    server: dict[str, dict[str, Any]] = {}
    if timing_log.exists():
        for line in timing_log.read_text().splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            server[row["id"]] = row
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    pids: dict[int, int] = defaultdict(int)
    for page, at, seconds, rid in rec.samples:
        row = server.get(rid)
        if at - started >= skip:
            per[page]["late"].append(seconds * 1000)
        if row is None:
            continue
        pids[row["pid"]] += 1
        per[page]["handler"].append(row["wall_ms"])
        per[page]["cpu"].append(row["cpu_ms"])
        per[page]["outside"].append(max(0.0, seconds * 1000 - row["wall_ms"]))
    lines = [
        f"{'page':<22}{'joined':>7}{'handler p50/p95':>17}{'CPU mean/p95':>14}{'outside p50/p95':>17}"
        f"{f'p95 after {skip:.0f} s':>15}"
    ]
    for page in sorted(per):
        f = per[page]
        lines.append(
            f"{page:<22}{len(f['handler']):>7}"
            f"{pct(f['handler'], 0.5):>8.0f}/{pct(f['handler'], 0.95):<8.0f}"
            f"{(statistics.fmean(f['cpu']) if f['cpu'] else float('nan')):>7.1f}/{pct(f['cpu'], 0.95):<6.1f}"
            f"{pct(f['outside'], 0.5):>8.0f}/{pct(f['outside'], 0.95):<8.0f}"
            f"{pct(f['late'], 0.95):>15.0f}"
        )
    lines.append("requests per web process: " + ", ".join(str(n) for _pid, n in sorted(pids.items())))
    return "\n".join(lines)


def operator_login(i: int) -> tuple[bool, str, str]:
    """Operator ``i``'s account: one in five is an agency's executor."""
    executor = i % 5 == 4
    username, password = (EXECUTORS if executor else OPERATORS)[i % (3 if executor else 2)]
    return executor, username, password


async def operator(
    i: int,
    client: httpx.AsyncClient,
    rec: Recorder,
    stop_at: float,
    think: float,
    signed_in: bool,
) -> None:
    """Operator ``i`` clicking until ``stop_at``. ``signed_in``: the client was signed in before the
    clock (an operator's shift starts once; 50 password checks in the first seconds were in the pages'
    figures before 2026-12-07 — ``--login-in-clock`` does that again)."""
    executor, username, password = operator_login(i)
    try:
        await asyncio.sleep(random.uniform(0, think))  # not all at the same second
        if not signed_in:
            await login(client, username, password)
        mine: list[int] = []
        while time.monotonic() < stop_at:
            roll = random.random()
            if roll < 0.35 or not mine:
                response = await timed(rec, client, "queue", "GET", "/cases/")
                if response is not None and response.status_code == 200:
                    mine = [int(x) for x in CASE_LINK.findall(response.text)] or mine
            elif roll < 0.55:
                params = random.choice(
                    [
                        {"status": "moderation"},
                        {"overdue": "1"},
                        {"channel": "vk"},
                        {"q": "вода"},
                        {"status": "assigned", "page": "2"},
                    ]
                )
                await timed(rec, client, "queue filtered", "GET", "/cases/", params=params)
            elif roll < 0.80:
                await timed(rec, client, "card", "GET", f"/cases/{random.choice(mine)}/")
            elif executor:
                token = client.cookies.get("csrftoken", "")
                await timed(
                    rec,
                    client,
                    "answer",
                    "POST",
                    f"/cases/{random.choice(mine)}/answer/",
                    data={
                        "kind": "interim",
                        "text": "Заявка принята в работу, выезд бригады сегодня.",
                        "csrfmiddlewaretoken": token,
                    },
                )
            else:
                token = client.cookies.get("csrftoken", "")
                await timed(
                    rec,
                    client,
                    "moderation",
                    "POST",
                    "/cases/confirm/",
                    data={"case": random.sample(mine, min(2, len(mine))), "csrfmiddlewaretoken": token},
                )
            await asyncio.sleep(random.uniform(think * 0.8, think * 1.2))
    finally:
        await client.aclose()


def message_pool(size: int) -> list[dict[str, Any]]:
    """The messages the feeder sends, generated before the clock: by default one per message of the
    run (the generator's own repeats only, about one text in ten), so that the pipeline understands a
    fresh stream; ``--pool N`` cycles N messages instead (the stream the runs before 2026-12-06 23:00
    UTC sent: after the first N, every message repeats a stored text)."""
    from django.utils import timezone

    from otklik.demo.messages import generate_messages
    from otklik.directory.models import Territory

    region = Territory.objects.filter(parent__isnull=True).order_by("pk").first()
    if region is None:
        raise SystemExit("no region: load the demo first (otklik migrate && otklik demo)")
    now = timezone.now()
    return [
        m.item
        for m in generate_messages(
            seed=4242, count=size, start=now - timedelta(days=2), end=now, region=region
        )
    ]


def feeder(
    rate: int,
    seconds: float,
    broker: str,
    stats: dict[str, Any],
    stop: threading.Event,
    pool: list[dict[str, Any]],
) -> None:
    """``rate`` messages a second to the Celery pipeline, as connectors would hand them over.

    Sent on a schedule, not a second's worth per loop: every tick sends what is due by the clock
    (``rate`` × the seconds since the start), so a slow tick (the machine loaded, the broker slow) is
    caught up by the next instead of lost — the runs before 2026-12-07 04:00 UTC slept a whole second
    after each second's 500 and lost a second at every ANALYZE inside the loop (142,500 sent in 300 s:
    285 seconds' worth, "466/s"). ANALYZE runs in its own thread. ``stats`` gets what was sent, over
    which seconds, the latest a tick started after its time, and this thread's CPU."""
    from otklik.intake.tasks import enqueue_batches

    run = uuid.uuid4().hex[:8]
    cpu = time.thread_time()
    started = time.monotonic()
    done = threading.Event()
    analyzer = threading.Thread(target=analyzer_loop, args=(done,), daemon=True)
    analyzer.start()
    sent = 0
    total = int(rate * seconds)
    late = 0.0
    tick = started
    while not stop.is_set() and sent < total:
        now = time.monotonic()
        late = max(late, now - tick)
        due = min(total, int(rate * (now - started)) + rate // TICKS)  # this tick's share ahead
        if due > sent:
            items = []
            for i in range(sent, due):
                item = dict(pool[i % len(pool)])
                item["external_id"] = f"bench-{run}-{i}"
                items.append(item)
            enqueue_batches(items, batch_size=250, broker_url=broker)
            sent = due
            stats["sent"] = sent
        tick += 1.0 / TICKS
        time.sleep(max(0.0, tick - time.monotonic()))
    stats["send_seconds"] = time.monotonic() - started
    stats["late_ms"] = late * 1000
    stats["feeder_cpu"] = time.thread_time() - cpu
    stats["prefix"] = f"bench-{run}-"
    done.set()
    analyzer.join(timeout=60)


TICKS = 2  # the feeder's sends a second: each a batch of 250 at 500/s, as the runs before sent them


def analyzer_loop(done: threading.Event) -> None:
    """:func:`analyze_hot_tables` every ``ANALYZE_EVERY`` seconds beside the feeder, until ``done``."""
    from django.db import connection

    try:
        while not done.wait(ANALYZE_EVERY):
            analyze_hot_tables()
    finally:
        connection.close()


# What autovacuum does in production (docs/deploy keeps it on, PostgreSQL's default). The development
# machines run PostgreSQL with autovacuum off: without fresh statistics the messages this bench adds
# lie past the posted_at histogram and the dedup stage's lookup turns into a nested loop over every
# open case (11 s a batch at 38,000 messages, 6 ms after ANALYZE, 2026-12-06); without its vacuum
# the visibility map of the insert-only tables stays empty, and the similar keys' index scan fetches
# every row from the heap as well (150-168 ms a batch at 24,000 messages, 40-72 ms after one VACUUM;
# docs/benchmarks.md, "look-up before the turn", 2026-12-07). Autovacuum vacuums a table once its
# inserts pass 20 % of it (autovacuum_vacuum_insert_scale_factor); the bench's tables grow by more
# than that between two passes, so a pass every ``ANALYZE_EVERY`` seconds is what it would do.
ANALYZE_EVERY = 30.0
HOT_TABLES = ("intake_message", "intake_similaritykey", "cases_case", "cases_caseevent")


def analyze_hot_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in HOT_TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


# The deciding half of a batch, one batch at a time (pipeline.order): from the lock to the commit.
TASK_DONE = re.compile(r"Task (\S+)\[[^\]]*\] succeeded in ([0-9.]+)s")
PIPELINE_TASK = "otklik.intake.tasks.run_batch_task"
SERIAL = ("lock", "dedup", "similar", "route", "decide", "persist", "dead_letters", "commit")


def worker_stages(logs: list[Path], parts: int = 3) -> str:
    """The workers' milliseconds per batch and stage (their ``batch … stages {json}`` log lines, JSON
    or plain), in ``parts`` slices of the batches in the order they were logged: a stage whose cost
    grows with the stored cases shows as a growing row; ``wait`` is the wait for the turn."""
    import json

    batches: list[dict[str, Any]] = []
    other: dict[str, int] = {}
    other_seconds: dict[str, float] = {}
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
                message, stamp = str(record.get("message", "")), str(record.get("time", ""))
            except (ValueError, AttributeError):
                message, stamp = line, line[:30]  # (a plain line starts with its time)
            _, found, stages = message.partition("; stages ")
            if found:
                batches.append({"@": stamp, **json.loads(stages)})
            elif done := TASK_DONE.search(message):  # the workers' other tasks (notifications…)
                other[done[1]] = other.get(done[1], 0) + 1
                other_seconds[done[1]] = other_seconds.get(done[1], 0.0) + float(done[2])
    if not batches:
        return "worker stages: no batch logged"
    batches.sort(key=lambda b: str(b["@"]))
    size = max(1, -(-len(batches) // parts))
    slices = [batches[i : i + size] for i in range(0, len(batches), size)]
    names = list(dict.fromkeys(n for b in batches for n in b if n != "@"))
    lines = [f"worker stages, ms per batch ({len(batches)} batches in {len(slices)} slices, in order):"]
    for name in [*names, "serial"]:
        cells = []
        for part in slices:
            if name == "serial":
                total = sum(float(b.get(n, 0.0)) for b in part for n in SERIAL)
            else:
                total = sum(float(b.get(name, 0.0)) for b in part)
            cells.append(f"{1000 * total / len(part):7.0f}")
        lines.append(f"  {name:<13}" + " ".join(cells))
    for task, count in sorted(other.items(), key=lambda kv: -other_seconds[kv[0]]):
        if task != PIPELINE_TASK:
            lines.append(f"  other task {task}: {count} runs, {other_seconds[task]:.1f} s")
    return "\n".join(lines)


def run_operator_configs(args: argparse.Namespace) -> None:
    """``--configs``: the same operators run once per web server configuration, one after the other in
    one script run (the neighbours' load drifts less within it than between separate runs), then a
    table of them side by side."""
    if not args.configs:
        run_operators(args)
        return
    rows = []
    for spec in args.configs.split(","):
        kind, _, size = spec.rpartition(":")
        workers, _, threads = size.partition("x")
        run = argparse.Namespace(
            **{
                **vars(args),
                "worker_class": kind or "gthread",
                "web_workers": int(workers),
                "threads": int(threads or 1),
            }
        )
        print(f"\n## {spec}")
        rows.append((spec, run_operators(run)))
    print(f"\n## side by side (load now {load_average()})")
    pages = sorted({page for _spec, figures in rows for page in figures["p95"]})
    print(
        f"{'config':<16}"
        + "".join(f"{page + ' p50/p95':>24}" for page in pages)
        + f"{'CPU/page':>10}  load after"
    )
    for spec, figures in rows:
        print(
            f"{spec:<16}"
            + "".join(f"{figures['p50'][page]:>14.0f}/{figures['p95'][page]:<9.0f}" for page in pages)
            + f"{figures['cpu_ms']:>10.1f}  {figures['load']}"
        )


def run_operators(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from otklik.testing.stack import Stack

    case_ids = sample_case_ids()
    from otklik.intake.models import Message

    with tempfile.TemporaryDirectory(prefix="otklik-bench-") as tmp:
        workdir = Path(tmp)
        stack = Stack(workdir=workdir, env={})
        try:
            broker = stack.start_redis()
            stack.env.update(production_env(workdir, broker, "celery"))
            timing_log = workdir / "web-timing.jsonl"
            stack.env["OTKLIK_WEB_TIMING_LOG"] = str(timing_log)  # otklik/gunicorn.py's post_request
            stack.env["OTKLIK_WEB_WORKER_CLASS"] = args.worker_class
            collectstatic(stack.env)
            stack.start_web("gunicorn", workers=args.web_workers, threads=args.threads)
            for w in range(args.workers):
                stack.start_worker(f"worker{w}", concurrency=1, nice=args.worker_nice)
            stack.wait_ready()
            # as `compare` does: every web process builds its process caches (the places, the similar
            # cases' index…) before the clock starts, as a deployed server has long done
            asyncio.run(closed_loop(stack.base_url, 6, 5, case_ids))
            print(
                f"# operators: {args.operators} clicking every ~{args.think:.0f} s for {args.seconds:.0f} s, "
                f"{args.rate} msg/s to {args.workers} Celery worker(s); load before {load_average()}"
            )
            rec = Recorder()
            stats: dict[str, Any] = {"sent": 0}
            stop = threading.Event()
            os.environ["CELERY_BROKER_URL"] = broker
            with connection.cursor() as cursor:  # a database autovacuum has kept, as in production
                cursor.execute("VACUUM (ANALYZE)")
            before = Message.objects.count()
            pool = message_pool(args.pool or max(1, int(args.rate * args.seconds)))
            feed = threading.Thread(
                target=feeder, args=(args.rate, args.seconds, broker, stats, stop, pool), daemon=True
            )
            lag: list[float] = []
            backlog: list[int] = []  # tasks waiting in the broker's intake queue
            unanswered: list[float] = []
            clock: dict[str, float] = {}

            async def main() -> None:
                headers = {"Accept-Encoding": "gzip"}
                clients = [
                    httpx.AsyncClient(base_url=stack.base_url, timeout=60, headers=headers)
                    for _ in range(args.operators)
                ]
                if not args.login_in_clock:
                    signing = time.monotonic()
                    await asyncio.gather(
                        *(login(client, *operator_login(i)[1:]) for i, client in enumerate(clients))
                    )
                    took = time.monotonic() - signing
                    print(f"# {args.operators} operators signed in before the clock in {took:.1f} s")
                clock["web_cpu"] = group_cpu_seconds(stack.procs["web"].pid)
                clock["started"] = time.monotonic()
                if args.rate:
                    feed.start()
                stop_at = time.monotonic() + args.seconds

                async def watch() -> None:
                    monitor = {"Authorization": f"Bearer {MONITOR_TOKEN}"}
                    async with httpx.AsyncClient(
                        base_url=stack.base_url, timeout=30, headers=monitor
                    ) as client:
                        while time.monotonic() < stop_at:
                            try:
                                body = (await client.get("/readyz")).json()
                            except (httpx.HTTPError, ValueError):
                                # a server too busy to answer in 30 s: said in the figures, not a crash
                                # that stops the stack under the feeder
                                unanswered.append(time.monotonic())
                            else:
                                if "checks" not in body:
                                    raise SystemExit("/readyz gave no checks: the monitoring token refused")
                                check = body["checks"]["lag"]
                                lag.append(check.get("seconds", 0.0))
                                queues = check.get("queues", {})
                                backlog.append(sum(q.get("depth", 0) for q in queues.values()))
                            await asyncio.sleep(5)

                await asyncio.gather(
                    watch(),
                    *(
                        operator(i, client, rec, stop_at, args.think, not args.login_in_clock)
                        for i, client in enumerate(clients)
                    ),
                )

            asyncio.run(main())
            started = clock["started"]
            elapsed = time.monotonic() - started
            web_cpu = group_cpu_seconds(stack.procs["web"].pid) - clock["web_cpu"]
            stop.set()
            feed.join(timeout=30) if args.rate else None
            stored_at_end = Message.objects.count() - before
            drain_started = time.monotonic()
            while (
                Message.objects.count() - before < stats["sent"]
                and time.monotonic() - drain_started < args.drain
            ):
                time.sleep(1)
            drained = Message.objects.count() - before
            print(rec.table(elapsed))
            print(f"errors: {sum(rec.errors.values())} {rec.error_samples[:5]}")
            served = len(rec.samples)
            print(
                f"web server CPU: {web_cpu / max(served, 1) * 1000:.1f} ms per page "
                f"({web_cpu:.1f} s over {served} pages, /readyz included)"
            )
            print(server_table(rec, timing_log, started, skip=args.think * 2))
            send_seconds = stats.get("send_seconds", elapsed)
            print(
                f"sender: {stats['sent']} messages in {send_seconds:.1f} s "
                f"({stats['sent'] / max(send_seconds, 1e-9):.0f}/s of {args.rate} asked), a tick late by "
                f"{stats.get('late_ms', 0):.0f} ms at most; the sender's CPU "
                f"{stats.get('feeder_cpu', 0):.1f} s"
            )
            print(
                f"ingest: sent {stats['sent']} ({stats['sent'] / elapsed:.0f}/s), "
                f"stored by the end {stored_at_end}, "
                f"{drained} of them stored {time.monotonic() - drain_started:.0f} s after; "
                f"pipeline lag max {max(lag or [0]):.0f} s, last {lag[-1] if lag else 0:.0f} s "
                f"(tasks waiting in the broker: max {max(backlog or [0])}, "
                f"last {backlog[-1] if backlog else 0}); "
                f"/readyz unanswered within 30 s {len(unanswered)} times"
            )
            print(f"load after: {load_average()}")
            print(worker_stages([workdir / f"worker{w}.log" for w in range(args.workers)]))
            return {
                "p50": {page: pct(t, 0.5) * 1000 for page, t in rec.times.items()},
                "p95": {page: pct(t, 0.95) * 1000 for page, t in rec.times.items()},
                "cpu_ms": web_cpu / max(served, 1) * 1000,
                "load": load_average(),
            }
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    compare = sub.add_parser("compare")
    compare.add_argument("--servers", default="gunicorn,granian")
    compare.add_argument("--clients", type=int, default=20)
    compare.add_argument("--seconds", type=float, default=30)
    ops = sub.add_parser("operators")
    ops.add_argument("--operators", type=int, default=50)
    ops.add_argument("--think", type=float, default=5.0)
    ops.add_argument("--seconds", type=float, default=300)
    ops.add_argument("--rate", type=int, default=500)
    ops.add_argument("--workers", type=int, default=2)
    ops.add_argument(
        "--pool",
        type=int,
        default=0,
        help="cycle this many generated messages (0, the default: a fresh message for each one sent)",
    )
    ops.add_argument(
        "--drain",
        type=float,
        default=600,
        help="seconds to wait after the clock for the pipeline to store every message sent (the pages' "
        "figures are taken before; a short run on a loaded machine may not wait the backlog out)",
    )
    ops.add_argument(
        "--login-in-clock",
        action="store_true",
        help="each operator signs in after the clock starts, in its first think time (the runs before "
        "2026-12-07: 50 password hashes in the first seconds, in the pages' figures)",
    )
    ops.add_argument(
        "--worker-nice",
        type=int,
        default=10,
        help="the workers' CPU priority as docs/deploy's unit sets it (Nice=10, CPUWeight=10); 0: the web's",
    )
    ops.add_argument(
        "--configs",
        default="",
        help="web server configurations to run in turn, CLASS:PROCESSESxTHREADS separated by commas "
        "(gthread:3x4,gthread:6x2,sync:6x1); empty: --web-workers × --threads as otklik/gunicorn.py",
    )
    for p in (compare, ops):
        p.add_argument("--web-workers", type=int, default=3)
        p.add_argument("--threads", type=int, default=4)
        p.add_argument("--worker-class", default="gthread", help="gunicorn's worker class (operators)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to PostgreSQL with the demo loaded")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    {"compare": run_compare, "operators": run_operator_configs}[args.command](args)


if __name__ == "__main__":
    main()
