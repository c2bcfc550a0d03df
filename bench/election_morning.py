"""Election morning at the source documents' size, through the web app: ``bench/elections.py
--morning`` runs it. Imported by bench/elections.py (which sets up Django on its PostgreSQL database).

The set-up (untimed): ``--stations`` polling stations (2,811) in ``--commissions`` territorial
commissions (45) over the region's districts, ``--observers`` observers (5,600, about two a station,
each a user bound to a station), an election today with no reports yet.

The run, in one process, every request through the Django stack (middleware, sessions, DRF) on
PostgreSQL, each observer and each staff member with their own session:

1. **openings** — every station POSTs its opening to ``/api/elections/reports/`` (``--workers``
   threads, as fast as they go; the target is all of them within 15 minutes, 3.1 a second);
2. **turnout** — every station POSTs a turnout figure (one two-hour round);
3. **violations** — 200 stations POST a violation with a photo (a 1600×1200 JPEG, re-encoded by the
   upload check), each becoming an incident;

while ``--staff`` (20) center staff each refresh the dashboard (the HTMX refresh of ``/elections/``)
in a loop, with ``--pause`` seconds between refreshes, and a lawyer reads the incidents' table.
Printed per phase: requests, errors (anything but 2xx), wall time and rate, and p50/p95 of the
observers' POSTs ("reports") and of the staff's dashboard refreshes.
"""

from __future__ import annotations

import io
import random
import statistics
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any


def generate(stations: int, commissions: int, observers: int, seed: int = 11) -> Any:
    from django.db import transaction
    from django.utils import timezone

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory
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

    rng = random.Random(seed)
    with transaction.atomic():
        Incident.objects.all().delete()
        Report.objects.all().delete()
        ObserverCall.objects.all().delete()
        VoterCall.objects.all().delete()
        Observer.objects.all().delete()
        User.objects.filter(username__startswith="bench-obs-").delete()
        PollingStation.objects.all().delete()
        Commission.objects.all().delete()
        Election.objects.all().delete()
        election = Election.objects.create(name="Бенчмарк: утро выборов", day=timezone.localdate())
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


def _photo() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (1600, 1200), (120, 130, 140))
    for x in range(0, 1600, 40):
        image.paste((x % 255, 80, 160), (x, 0, x + 20, 1200))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: list[float] = []
        self.errors = 0

    def add(self, ms: float, ok: bool) -> None:
        with self.lock:
            self.ms.append(ms)
            self.errors += 0 if ok else 1

    def summary(self) -> tuple[int, int, float, float]:
        values = sorted(self.ms)
        if not values:
            return 0, self.errors, 0.0, 0.0
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        return len(values), self.errors, statistics.median(values), p95


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def run(args: Any) -> None:
    from django.db import connection
    from django.test.utils import override_settings

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.elections.models import Incident, Observer, Report, ReportKind

    started = time.perf_counter()
    election, stations = generate(args.stations, args.commissions, args.observers)
    first_observer: dict[int, Any] = {}
    for observer in Observer.objects.select_related("user").order_by("pk"):
        first_observer.setdefault(observer.station_id, observer.user)
    print(
        f"{len(stations):,} stations in {args.commissions} commissions, "
        f"{Observer.objects.count():,} observers; "
        f"set-up {time.perf_counter() - started:.0f} s"
    )
    staff_users = [
        User.objects.get_or_create(username=f"bench-staff-{n}", defaults={"role": Role.SUPERVISOR})[0]
        for n in range(args.staff)
    ]
    photo = _photo()
    order = [s.pk for s in stations]
    random.Random(5).shuffle(order)

    with override_settings(ALLOWED_HOSTS=["*"]):
        clients = {pk: _client(first_observer[pk]) for pk in order}
        staff_clients = [_client(u) for u in staff_users]
        dashboard = Timings()
        stop = threading.Event()

        def staff_loop(client: Any) -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                response = client.get("/elections/", HTTP_HX_REQUEST="true")
                dashboard.add((time.perf_counter() - t0) * 1000, response.status_code == 200)
                stop.wait(args.pause)
            connection.close()

        staff = [threading.Thread(target=staff_loop, args=(c,), daemon=True) for c in staff_clients]
        for thread in staff:
            thread.start()

        def phase(name: str, jobs: list[Callable[[], int]]) -> None:
            before = len(dashboard.ms)
            timings = Timings()
            queue = list(reversed(jobs))
            lock = threading.Lock()

            def worker() -> None:
                while True:
                    with lock:
                        if not queue:
                            break
                        job = queue.pop()
                    t0 = time.perf_counter()
                    try:
                        code = job()
                    except Exception:  # a crash is an error, counted, never hidden
                        code = 500
                    timings.add((time.perf_counter() - t0) * 1000, 200 <= code < 300)
                connection.close()

            t0 = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(args.workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - t0
            n, errors, p50, p95 = timings.summary()
            seen = sorted(dashboard.ms[before:])
            d95 = seen[min(len(seen) - 1, round(0.95 * (len(seen) - 1)))] if seen else 0.0
            d50 = statistics.median(seen) if seen else 0.0
            print(
                f"{name:11} {n:6,} POSTs {errors:3} errors {wall:7.1f} s ({n / wall:6.1f}/s) "
                f"reports p50 {p50:6.1f} p95 {p95:6.1f} ms | {len(seen):5,} dashboard refreshes "
                f"p50 {d50:6.1f} p95 {d95:6.1f} ms"
            )

        def post(pk: int, data: dict[str, Any]) -> Callable[[], int]:
            return lambda: clients[pk].post("/api/elections/reports/", data).status_code

        def post_photo(pk: int) -> Callable[[], int]:
            def call() -> int:
                from django.core.files.uploadedfile import SimpleUploadedFile

                upload = SimpleUploadedFile("photo.jpg", photo, content_type="image/jpeg")
                text = "Вброс бюллетеней, фото приложено"
                data = {"kind": ReportKind.VIOLATION, "text": text, "photo": upload}
                return clients[pk].post("/api/elections/reports/", data).status_code

            return call

        rng = random.Random(9)
        phase("openings", [post(pk, {"kind": ReportKind.OPENED}) for pk in order])
        phase(
            "turnout",
            [post(pk, {"kind": ReportKind.TURNOUT, "turnout": rng.randrange(50, 300)}) for pk in order],
        )
        phase("violations", [post_photo(pk) for pk in order[: args.violations]])
        stop.set()
        for thread in staff:
            thread.join()
    n, errors, p50, p95 = dashboard.summary()
    print(
        f"dashboard refreshes in all: {n:,}, {errors} errors, p50 {p50:.1f} p95 {p95:.1f} ms; "
        f"{Report.objects.filter(election=election).count():,} reports, "
        f"{Incident.objects.count()} incidents; "
        f"{datetime.now():%Y-%m-%d %H:%M}"
    )
