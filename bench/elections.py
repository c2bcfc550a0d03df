"""The situational center on election day at a big region's scale: the dashboard's figures and map of
every polling station against a bare read of the same reports.

    .venv/bin/python bench/elections.py --stations 2800
    .venv/bin/python bench/elections.py --morning --stations 2811 --commissions 45 --observers 5600

The second is election morning through the web app (:mod:`election_morning`: openings, a turnout
round and 200 violations with photos POSTed by the observers while 20 staff refresh the dashboard).

It works in its own PostgreSQL database (``otklik_bench_elections`` on 127.0.0.1, created when
missing; the ``test`` database is never touched): migrates it, loads the shipped Saratov region,
makes ``--stations`` polling stations in 80 territorial commissions over the region's districts, with
coordinates, and the observers' reports of an election day up to 18:30 (opened, turnout every two
hours, a violation at one station in twenty, each an incident). Then it prints p50/p95 of

* ``dashboard.build`` (all the figures: per commission, per hour, per station for the map);
* the dashboard page (the full Django view through the test client, as a supervisor) and its
  periodic in-place refresh (the HTMX request), with their sizes;

beside the floor: a bare ``SELECT`` of the same report rows the dashboard reads, and the ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data

data.DB = "otklik_bench_elections"

FLOOR = """
    SELECT station_id, kind, turnout, created_at FROM elections_report
    WHERE election_id = %s AND created_at <= %s ORDER BY created_at, id
"""


def generate(stations: int, seed: int = 7) -> tuple[object, datetime]:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory
    from otklik.directory.regions import load_shipped_region
    from otklik.elections.models import (
        Commission,
        Election,
        Incident,
        PollingStation,
        Report,
        ReportKind,
    )

    call_command("migrate", verbosity=0)
    if not Territory.objects.exists():
        load_shipped_region("saratov")
    rng = random.Random(seed)
    with transaction.atomic():
        Incident.objects.all().delete()
        Report.objects.all().delete()
        PollingStation.objects.all().delete()
        Commission.objects.all().delete()
        Election.objects.all().delete()
        today = timezone.localdate()
        election = Election.objects.create(name="Бенчмарк: выборы", day=today)
        districts = list(
            Territory.objects.filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG)).exclude(
                bbox=None
            )
        )
        commissions = [
            Commission.objects.create(name=f"ТИК № {n + 1}", territory=districts[n % len(districts)])
            for n in range(80)
        ]
        rows = []
        for n in range(stations):
            commission = commissions[n % len(commissions)]
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
        tz = timezone.get_current_timezone()
        day = datetime(today.year, today.month, today.day, tzinfo=tz)
        now = day + timedelta(hours=18, minutes=30)
        reports: list[Report] = []
        for station in placed:
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
    return election, now


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stations", type=int, default=2800)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", default="otklik_bench_elections", help="its own PostgreSQL database")
    parser.add_argument("--morning", action="store_true", help="election morning through the web app")
    parser.add_argument("--commissions", type=int, default=45)
    parser.add_argument("--observers", type=int, default=5600)
    parser.add_argument("--staff", type=int, default=20, help="center staff refreshing the dashboard")
    parser.add_argument("--pause", type=float, default=2.0, help="seconds between a staff member's refreshes")
    parser.add_argument("--workers", type=int, default=8, help="threads sending the observers' reports")
    parser.add_argument("--violations", type=int, default=200)
    args = parser.parse_args()

    data.DB = args.db
    data.ensure_database()
    data.setup_django()
    if args.morning:
        from django.core.management import call_command

        from otklik.directory.models import Territory
        from otklik.directory.regions import load_shipped_region

        call_command("migrate", verbosity=0)
        if not Territory.objects.exists():
            load_shipped_region("saratov")
        import election_morning

        election_morning.run(args)
        return
    from django.test import Client
    from django.test.utils import override_settings

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.elections import dashboard
    from otklik.elections.models import Incident, Report

    election, now = generate(args.stations)
    reports = Report.objects.filter(election=election).count()
    print(f"{args.stations:,} stations, {reports:,} reports, {Incident.objects.count():,} incidents")
    floor = data.measure(lambda: data.sql(FLOOR, [election.pk, now]), args.runs)  # type: ignore[attr-defined]
    board = data.measure(lambda: dashboard.build(election, now=now), args.runs)  # type: ignore[arg-type]

    chief, _ = User.objects.get_or_create(username="bench-chief", defaults={"role": Role.SUPERVISOR})
    client = Client()
    client.force_login(chief)
    sizes: dict[str, int] = {}

    def page(name: str, **headers: str):  # type: ignore[no-untyped-def]
        def call() -> None:
            response = client.get("/elections/", **headers)
            assert response.status_code == 200
            sizes[name] = len(response.content)

        return call

    # The dashboard reads "now" from the clock: the generated day ends at 18:30, so the pages show it all.
    with override_settings(ALLOWED_HOSTS=["*"]):
        full = data.measure(page("page"), args.runs)
        refresh = data.measure(page("refresh", HTTP_HX_REQUEST="true"), args.runs)
    print(f"{'':42} {'p50 ms':>8} {'p95 ms':>8} {'× floor':>8}")
    print(f"{'floor: bare SELECT of the reports':42} {floor[0]:8.1f} {floor[1]:8.1f} {1:8.1f}")
    for name, (p50, p95) in {
        "dashboard.build (figures + map points)": board,
        f"GET /elections/ ({sizes['page'] / 1024:.0f} KB)": full,
        f"HTMX refresh ({sizes['refresh'] / 1024:.0f} KB)": refresh,
    }.items():
        print(f"{name:42} {p50:8.1f} {p95:8.1f} {p50 / floor[0]:8.1f}")


if __name__ == "__main__":
    main()
