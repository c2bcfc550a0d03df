"""The situational center on election day at a big region's scale, on PostgreSQL.

    .venv/bin/python bench/elections.py --stations 2811
    .venv/bin/python bench/elections.py --morning --stations 2811 --commissions 45 --observers 5600

One set-up for both (untimed, in its own database ``--db``, created when missing; the ``test``
database is never touched): migrate, load the shipped Saratov region, make ``--stations`` polling
stations in ``--commissions`` territorial commissions over the region's districts, with coordinates,
and ``--observers`` observers (users bound to stations, about two a station, each with a phone).

**The day** (default): the observers' reports of an election day up to 18:30 (every station opened,
turnout every two hours, a violation at one station in twenty, each an incident); p50/p95 of
``dashboard.build`` (all the figures: per commission, per hour, per station for the map), of the
whole dashboard page and of its periodic in-place refresh (HTMX) as a supervisor, beside the floor:
a bare ``SELECT`` of the report rows the dashboard reads.

**The morning** (``--morning``): an election today without reports; then, in one process, every
request through the whole Django stack (middleware, sessions, DRF, the upload check), each observer
and each staff member with their own session:

1. **openings** — every station POSTs its opening to ``/api/elections/reports/``, spread evenly over
   ``--window`` minutes (15: "every station within 15 minutes", 3.1 a second), open loop: a request
   leaves at its time whether or not the earlier ones are answered (``--workers`` threads send; the
   lag behind the schedule is printed, so a saturated server shows);
2. **turnout** — a turnout round, every station again over ``--window`` minutes, with ``--violations``
   (200) violations with a photo (a 1600×1200 JPEG, re-encoded by the upload check) among them;

while ``--staff`` (20) center staff each refresh the dashboard (the HTMX refresh of ``/elections/``)
every ``--pause`` seconds (the page itself refreshes every 60). Printed per phase: requests, errors
(anything but 2xx), the schedule's lag, and p50/p95 of the observers' POSTs ("reports") and of the
staff's refreshes ("dashboard"). ``--cache redis://…`` shares the dashboard through Redis as in
production (else the process's memory; elections/live.py).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data

FLOOR = """
    SELECT station_id, kind, turnout, created_at FROM elections_report
    WHERE election_id = %s AND created_at <= %s ORDER BY created_at, id
"""


def set_up(
    stations: int, commissions: int, observers: int, name: str, seed: int = 7
) -> tuple[Any, list[Any]]:
    """An election today over ``stations`` stations in ``commissions`` commissions with ``observers``
    observers, everything of an earlier run dropped."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory
    from otklik.directory.regions import load_shipped_region
    from otklik.elections.models import (
        Commission,
        Election,
        Incident,
        Observer,
        ObserverCall,
        PollingStation,
        Report,
        VoterCall,
    )

    call_command("migrate", verbosity=0)
    if not Territory.objects.exists():
        load_shipped_region("saratov")
    rng = random.Random(seed)
    with transaction.atomic():
        for model in (Incident, Report, ObserverCall, VoterCall, Observer):
            model.objects.all().delete()
        User.objects.filter(username__startswith="bench-obs-").delete()
        PollingStation.objects.all().delete()
        Commission.objects.all().delete()
        Election.objects.all().delete()
        election = Election.objects.create(name=name, day=timezone.localdate())
        kinds = (TerritoryKind.DISTRICT, TerritoryKind.OKRUG)
        districts = list(Territory.objects.filter(kind__in=kinds).exclude(bbox=None))
        made = [
            Commission.objects.create(name=f"ТИК № {n + 1}", territory=districts[n % len(districts)])
            for n in range(commissions)
        ]
        rows = []
        for n in range(stations):
            commission = made[n % len(made)]
            min_lon, min_lat, max_lon, max_lat = commission.territory.bbox  # type: ignore[union-attr]
            rows.append(
                PollingStation(
                    number=n + 1,
                    commission=commission,
                    registered_voters=rng.randrange(600, 2400),
                    address=f"Школа № {rng.randrange(1, 60)}",
                    lat=rng.uniform(min_lat, max_lat),
                    lon=rng.uniform(min_lon, max_lon),
                )
            )
        placed = PollingStation.objects.bulk_create(rows, batch_size=2000)
        users = User.objects.bulk_create(
            [User(username=f"bench-obs-{n}", role=Role.OBSERVER, password="!") for n in range(observers)],
            batch_size=2000,
        )
        Observer.objects.bulk_create(
            [
                Observer(user=user, station=placed[n % len(placed)], phone=f"+7900{n:07d}")
                for n, user in enumerate(users)
            ],
            batch_size=2000,
        )
    return election, placed


def election_day(election: Any, stations: list[Any], seed: int = 7) -> datetime:
    """The reports of the day up to 18:30; that moment."""
    from django.utils import timezone

    from otklik.elections.models import Incident, Report, ReportKind

    rng = random.Random(seed)
    today = election.day
    day = datetime(today.year, today.month, today.day, tzinfo=timezone.get_current_timezone())
    reports: list[Report] = []
    for station in stations:
        reports.append(
            Report(
                election=election,
                station=station,
                kind=ReportKind.OPENED,
                created_at=day + timedelta(hours=8),
            )
        )
        share = 0.0
        for hour in range(10, 19, 2):
            share += rng.uniform(0.04, 0.1)
            reports.append(
                Report(
                    election=election,
                    station=station,
                    kind=ReportKind.TURNOUT,
                    turnout=int(station.registered_voters * share),
                    created_at=day + timedelta(hours=hour, minutes=rng.randrange(0, 20)),
                )
            )
        if rng.random() < 0.05:
            reports.append(
                Report(
                    election=election,
                    station=station,
                    kind=ReportKind.VIOLATION,
                    text="Агитация у входа на участок",
                    created_at=day + timedelta(hours=rng.randrange(9, 18)),
                )
            )
    made = Report.objects.bulk_create(reports, batch_size=5000)
    Incident.objects.bulk_create([Incident(report=r) for r in made if r.kind == ReportKind.VIOLATION])
    return day + timedelta(hours=18, minutes=30)


def the_day(args: argparse.Namespace) -> None:
    from django.test import Client
    from django.test.utils import override_settings

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.elections import dashboard
    from otklik.elections.models import Incident, Report

    election, stations = set_up(args.stations, args.commissions, args.observers, "Бенчмарк: выборы")
    now = election_day(election, stations)
    reports = Report.objects.filter(election=election).count()
    print(f"{args.stations:,} stations, {reports:,} reports, {Incident.objects.count():,} incidents")
    floor = data.measure(lambda: data.sql(FLOOR, [election.pk, now]), args.runs)
    board = data.measure(lambda: dashboard.build(election, now=now), args.runs)

    chief, _ = User.objects.get_or_create(username="bench-chief", defaults={"role": Role.SUPERVISOR})
    client = Client()
    client.force_login(chief)
    sizes: dict[str, int] = {}

    def page(name: str, **headers: str) -> Callable[[], None]:
        def call() -> None:
            response = client.get("/elections/", **headers)
            assert response.status_code == 200
            sizes[name] = len(response.content)

        return call

    # The dashboard reads "now" from the clock: the generated day ends at 18:30, so the pages show it all.
    with override_settings(ALLOWED_HOSTS=["*"], OTKLIK_ELECTIONS_BOARD_SECONDS=0):
        full = data.measure(page("page"), args.runs)
        refresh = data.measure(page("refresh", HTTP_HX_REQUEST="true"), args.runs)
    with override_settings(ALLOWED_HOSTS=["*"]):
        shared = data.measure(page("shared", HTTP_HX_REQUEST="true"), args.runs)
    print(f"{'':46} {'p50 ms':>8} {'p95 ms':>8} {'× floor':>8}")
    print(f"{'floor: bare SELECT of the reports':46} {floor[0]:8.1f} {floor[1]:8.1f} {1:8.1f}")
    for name, (p50, p95) in {
        "dashboard.build (figures + map points)": board,
        f"GET /elections/, built ({sizes['page'] / 1024:.0f} KB)": full,
        f"HTMX refresh, built ({sizes['refresh'] / 1024:.0f} KB)": refresh,
        "HTMX refresh, the shared snapshot": shared,
    }.items():
        print(f"{name:46} {p50:8.1f} {p95:8.1f} {p50 / floor[0]:8.1f}")


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: list[float] = []
        self.cpu: list[float] = []  # the process's CPU per request (the thread's; load-independent)
        self.errors = 0
        self.lag = 0.0  # the most a request left after its time (s)

    def add(self, ms: float, ok: bool, cpu: float = 0.0) -> None:
        with self.lock:
            self.ms.append(ms)
            self.cpu.append(cpu)
            self.errors += 0 if ok else 1

    def since(self, start: int) -> tuple[int, float, float]:
        values = sorted(self.ms[start:])
        if not values:
            return 0, 0.0, 0.0
        return (
            len(values),
            statistics.median(values),
            values[min(len(values) - 1, round(0.95 * (len(values) - 1)))],
        )


def _photo() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (1600, 1200), (120, 130, 140))
    for x in range(0, 1600, 40):
        image.paste((x % 255, 80, 160), (x, 0, x + 20, 1200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def the_morning(args: argparse.Namespace) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import override_settings

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.elections.models import Incident, Observer, Report, ReportKind

    started = time.perf_counter()
    election, stations = set_up(args.stations, args.commissions, args.observers, "Бенчмарк: утро выборов")
    first_observer: dict[int, Any] = {}
    for observer in Observer.objects.select_related("user").order_by("pk"):
        first_observer.setdefault(observer.station_id, observer.user)
    staff_users = [
        User.objects.get_or_create(username=f"bench-staff-{n}", defaults={"role": Role.SUPERVISOR})[0]
        for n in range(args.staff)
    ]
    order = [s.pk for s in stations]
    random.Random(5).shuffle(order)
    photo = _photo()
    with override_settings(ALLOWED_HOSTS=["*"]):
        clients = {pk: _client(first_observer[pk]) for pk in order}
        staff_clients = [_client(u) for u in staff_users]
        print(
            f"{len(stations):,} stations in {args.commissions} commissions, {Observer.objects.count():,} "
            f"observers; set-up {time.perf_counter() - started:.0f} s; {os.getloadavg()[0]:.1f} load"
        )
        dashboard = Timings()
        stop = threading.Event()

        def staff_loop(client: Any, offset: float) -> None:
            stop.wait(offset)  # the staff's refreshes spread over the pause, not in step
            while not stop.is_set():
                t0, c0 = time.perf_counter(), time.thread_time()
                response = client.get("/elections/", HTTP_HX_REQUEST="true")
                cpu = (time.thread_time() - c0) * 1000
                dashboard.add((time.perf_counter() - t0) * 1000, response.status_code == 200, cpu)
                stop.wait(args.pause)
            connection.close()

        staff = [
            threading.Thread(target=staff_loop, args=(c, n * args.pause / len(staff_clients)), daemon=True)
            for n, c in enumerate(staff_clients)
        ]
        for thread in staff:
            thread.start()

        def phase(name: str, jobs: list[Callable[[], int]], minutes: float) -> None:
            """Send ``jobs`` evenly over ``minutes`` (open loop) and print what it took."""
            before = len(dashboard.ms)
            timings = Timings()
            step = minutes * 60 / len(jobs)
            start = time.perf_counter()
            queue = list(reversed(list(enumerate(jobs))))
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:
                        if not queue:
                            break
                        n, job = queue.pop()
                    due = start + n * step
                    wait = due - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                    t0, c0 = time.perf_counter(), time.thread_time()
                    timings.lag = max(timings.lag, t0 - due)
                    try:
                        code = job()
                    except Exception:  # a crash is an error, counted, never hidden
                        code = 500
                    cpu = (time.thread_time() - c0) * 1000
                    timings.add((time.perf_counter() - t0) * 1000, 200 <= code < 300, cpu)
                connection.close()

            threads = [threading.Thread(target=worker) for _ in range(args.workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - start
            n, p50, p95 = timings.since(0)
            seen, d50, d95 = dashboard.since(before)
            cpu = statistics.median(timings.cpu) if timings.cpu else 0.0
            dcpu = statistics.median(dashboard.cpu[before:]) if dashboard.cpu[before:] else 0.0
            print(
                f"{name:9} {n:5,} POSTs in {wall:6.1f} s ({n / wall:4.1f}/s), {timings.errors} errors, "
                f"lag ≤ {timings.lag:5.2f} s; reports p50 {p50:6.1f} p95 {p95:6.1f} ms (CPU {cpu:.1f}) | "
                f"{seen:5,} dashboard refreshes p50 {d50:6.1f} p95 {d95:6.1f} ms (CPU {dcpu:.1f}) | "
                f"load {os.getloadavg()[0]:.1f}"
            )

        def post(pk: int, body: dict[str, Any]) -> Callable[[], int]:
            return lambda: clients[pk].post("/api/elections/reports/", body).status_code

        def violation(pk: int) -> Callable[[], int]:
            def call() -> int:
                upload = SimpleUploadedFile("photo.jpg", photo, content_type="image/jpeg")
                body = {
                    "kind": ReportKind.VIOLATION,
                    "text": "Вброс бюллетеней, фото приложено",
                    "photo": upload,
                }
                return clients[pk].post("/api/elections/reports/", body).status_code

            return call

        rng = random.Random(9)
        phase("openings", [post(pk, {"kind": ReportKind.OPENED}) for pk in order], args.window)
        rounds: list[Callable[[], int]] = [
            post(pk, {"kind": ReportKind.TURNOUT, "turnout": rng.randrange(50, 300)}) for pk in order
        ]
        every = max(1, len(rounds) // max(1, args.violations))
        for n, pk in enumerate(order[: args.violations]):
            rounds.insert(n * (every + 1), violation(pk))
        phase("turnout", rounds, args.turnout_window or args.window)
        stop.set()
        for thread in staff:
            thread.join()
    n, errors = len(dashboard.ms), dashboard.errors
    _, p50, p95 = dashboard.since(0)
    print(
        f"dashboard refreshes in all: {n:,}, {errors} errors, p50 {p50:.1f} p95 {p95:.1f} ms; "
        f"{Report.objects.filter(election=election).count():,} reports, "
        f"{Incident.objects.count()} incidents; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default="otklik_bench_elections", help="its own PostgreSQL database")
    parser.add_argument("--stations", type=int, default=2811)
    parser.add_argument("--commissions", type=int, default=45)
    parser.add_argument("--observers", type=int, default=5600)
    parser.add_argument("--runs", type=int, default=20, help="the day: timed runs of each")
    parser.add_argument("--morning", action="store_true", help="election morning through the web app")
    parser.add_argument("--window", type=float, default=15.0, help="minutes over which a round is sent")
    parser.add_argument("--turnout-window", type=float, default=0.0, help="minutes of the turnout round")
    parser.add_argument("--staff", type=int, default=20, help="center staff refreshing the dashboard")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between a staff member's refreshes")
    parser.add_argument("--workers", type=int, default=16, help="threads sending the observers' reports")
    parser.add_argument("--violations", type=int, default=200)
    parser.add_argument("--cache", default="", help="the shared cache, e.g. redis://127.0.0.1:6379/7")
    args = parser.parse_args()

    if args.cache:
        os.environ["OTKLIK_CACHE_URL"] = args.cache
    data.DB = args.db
    data.ensure_database()
    data.setup_django()
    if args.cache:
        from django.core.cache import cache

        cache.clear()
    (the_morning if args.morning else the_day)(args)


if __name__ == "__main__":
    main()
