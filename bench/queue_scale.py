"""Operator pages at any history size: the queue, the card and the public map on millions of cases.

    DATABASE_URL=postgres://… .venv/bin/python bench/queue_scale.py --cases 2000000 --requests 40

Fills ``DATABASE_URL`` (PostgreSQL, a private database: it is migrated and written to) up to
``--cases`` cases in one ``INSERT … SELECT generate_series`` — four years of history, most closed, the
newest ``--open`` at work in the working statuses — with a small region (districts, categories,
agencies, a moderator), then asks the pages in this process through Django's test client as one
user: ``/cases/`` (the "all" tab and the moderation tab), a case's card and the public map
(``/public/map/``, its 90-day counters; the counters alone too, from the daily public counters and from
every case of the window), and prints p50/p95 wall time and this process's CPU per
request (rendering and Python; the database works in its own processes), each beside a floor: the
raw SQL that any such page needs at least (the queue's 50 newest rows by index; the card's case by
primary key; the map's 90-day rows read by index). Copy the figures to docs/benchmarks.md with
``uptime``. Re-running reuses the cases already there.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

WORKING = ("new", "moderation", "assigned", "in_progress", "escalated", "answered", "approved", "reopened")
CLOSED = ("closed", "closed", "closed", "published", "rejected")
CHANNELS = ("vk", "telegram", "web_form", "phone", "social", "email")
YEARS = 4


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def region() -> dict[str, Any]:
    """A small region made once: 10 districts, 20 public categories, 8 agencies, a moderator."""
    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Agency, Category, Territory

    top, _ = Territory.objects.get_or_create(name="Бенч-область", kind=TerritoryKind.REGION)
    districts = [
        Territory.objects.get_or_create(name=f"Бенч-район {n}", parent=top, kind=TerritoryKind.DISTRICT)[0]
        for n in range(10)
    ]
    parents = [
        Category.objects.get_or_create(code=f"bench-{n}", defaults={"name": f"Раздел {n}"})[0]
        for n in range(4)
    ]
    categories = [
        Category.objects.get_or_create(
            code=f"bench-{p.pk}-{n}", defaults={"name": f"Тема {p.pk}-{n}", "parent": p}
        )[0]
        for p in parents
        for n in range(5)
    ]
    agencies = [Agency.objects.get_or_create(name=f"Бенч-ведомство {n}")[0] for n in range(8)]
    user = User.objects.filter(username="bench-moderator").first() or User.objects.create_user(
        "bench-moderator", password="bench-pass-123", role=Role.MODERATOR
    )
    return {
        "districts": [d.pk for d in districts],
        "categories": [c.pk for c in categories],
        "agencies": [a.pk for a in agencies],
        "user": user,
    }


def fill(total: int, working: int, ids: dict[str, Any]) -> float:
    """Insert cases up to ``total`` in SQL (generate_series), the newest ``working`` at work."""
    from django.db import connection

    from otklik.cases.models import Case

    have = Case.objects.count()
    if have >= total:
        return 0.0
    step = YEARS * 365 * 86400 / total  # seconds between two cases
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_case (number, status, title, text, channel, understanding, is_urgent, address,
                lat, lon, message_count, author_count, created_at, updated_at, assigned_at, deadline_at,
                closed_at, is_overdue, reopen_count, extended_days, agency_id, category_id, territory_id,
                suggested_category_id, suggested_territory_id, suggested_agency_id, category_confidence)
            SELECT 'B-' || g,
                CASE WHEN g > %(total)s - %(working)s THEN (%(work)s::text[])[1 + g %% %(nwork)s]
                     ELSE (%(closed)s::text[])[1 + g %% %(nclosed)s] END,
                'Обращение ' || g, 'Не вывозят мусор во дворе, яма на дороге у дома ' || g,
                (%(channels)s::text[])[1 + g %% %(nchannels)s], '{}'::jsonb, g %% 53 = 0, '',
                51.0 + (g %% 1000) / 1000.0, 45.0 + (g %% 997) / 500.0, 1 + g %% 3, 1,
                t, t, t + interval '1 hour', t + interval '5 days',
                CASE WHEN g > %(total)s - %(working)s THEN NULL ELSE t + interval '3 days' END,
                false, 0, 0,
                (%(agencies)s::bigint[])[1 + g %% %(nagencies)s],
                (%(categories)s::bigint[])[1 + g %% %(ncategories)s],
                (%(districts)s::bigint[])[1 + g %% %(ndistricts)s],
                (%(categories)s::bigint[])[1 + g %% %(ncategories)s],
                (%(districts)s::bigint[])[1 + g %% %(ndistricts)s],
                (%(agencies)s::bigint[])[1 + g %% %(nagencies)s],
                (g %% 100) / 100.0
            FROM generate_series(%(first)s, %(total)s) AS g,
                LATERAL (SELECT now() - (%(total)s - g) * make_interval(secs => %(step)s) AS t) AS moment
            """,
            {
                "first": have + 1,
                "total": total,
                "working": working,
                "work": list(WORKING),
                "nwork": len(WORKING),
                "closed": list(CLOSED),
                "nclosed": len(CLOSED),
                "channels": list(CHANNELS),
                "nchannels": len(CHANNELS),
                "agencies": ids["agencies"],
                "nagencies": len(ids["agencies"]),
                "categories": ids["categories"],
                "ncategories": len(ids["categories"]),
                "districts": ids["districts"],
                "ndistricts": len(ids["districts"]),
                "step": step,
            },
        )
        cursor.execute("ANALYZE cases_case")
    return time.perf_counter() - start


def measure(client: Any, url: str, n: int) -> tuple[list[float], list[float]]:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    walls, cpus = [], []
    for _ in range(n):
        w, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpus.append(time.process_time() - c)
        walls.append(time.perf_counter() - w)
        assert response.status_code == 200, url
    return walls, cpus


def counters_vs_cases(n: int) -> None:
    """The public map's counters alone: from the daily public counters (built here once, as the first
    rollup refresh does) against counting every case of the window, and a refresh's cost per case."""
    from datetime import timedelta

    from django.utils import timezone

    from otklik.analytics import public_counts
    from otklik.cases.models import Case
    from otklik.public import counters, open311

    tz = timezone.get_current_timezone()
    if not public_counts.built():
        start = time.perf_counter()
        public_counts.build(tz)
        print(f"public counters built in {time.perf_counter() - start:.1f} s")
    for days in (30, 90, 365):
        params = {"start_date": (timezone.now() - timedelta(days=days)).isoformat()}
        assert counters.window(params) == counters.counted(open311.matching_requests(params)), days
        for name, count in (
            ("counters", lambda p=params: counters.window(p)),
            ("every case", lambda p=params: counters.counted(open311.matching_requests(p))),
        ):
            walls = []
            for _ in range(n):
                w = time.perf_counter()
                count()
                walls.append(time.perf_counter() - w)
            print(
                f"map counters, {days} days, {name:10} p50 {pct(walls, 0.5) * 1000:7.1f} ms, "
                f"p95 {pct(walls, 0.95) * 1000:7.1f} ms"
            )
    ids = list(Case.objects.order_by("-pk").values_list("pk", flat=True)[:1000])
    w = time.perf_counter()
    public_counts.recount(ids, tz)
    print(f"public counters: recount of 1,000 cases {(time.perf_counter() - w) * 1000:.0f} ms")


def floor(sql: str, params: list[Any], n: int) -> float:
    from django.db import connection

    times = []
    with connection.cursor() as cursor:
        for _ in range(n + 3):
            start = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            times.append(time.perf_counter() - start)
    return statistics.median(times[3:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--open", type=int, default=20_000, help="the newest cases still at work")
    parser.add_argument("--requests", type=int, default=40, help="measured requests per page")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point at a private PostgreSQL database")
    settings.DEBUG = False  # no query log
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    ids = region()
    took = fill(args.cases, args.open, ids)
    from otklik.cases.models import Case

    total = Case.objects.count()
    made = f"made in {took:.0f} s" if took else "already there"
    print(f"cases: {total:,} ({made}), at work: {args.open:,}")
    card = Case.objects.filter(status="assigned").order_by("-created_at").values_list("pk", flat=True).first()
    client = Client()
    client.force_login(ids["user"])
    n = args.requests
    pages = [
        ("queue, all tab", "/cases/"),
        ("queue, moderation tab", "/cases/?tab=moderation"),
        ("queue, a category", f"/cases/?category={ids['categories'][0]}"),
        ("case card", f"/cases/{card}/"),
        ("public map (90 days)", "/public/map/"),
    ]
    floors = {
        "queue, all tab": floor("SELECT * FROM cases_case ORDER BY created_at DESC, id DESC LIMIT 50", [], n),
        "queue, moderation tab": floor(
            "SELECT * FROM cases_case WHERE status IN ('new', 'moderation', 'redirected') "
            "ORDER BY created_at DESC, id DESC LIMIT 50",
            [],
            n,
        ),
        "queue, a category": floor(
            "SELECT * FROM cases_case WHERE category_id = %s ORDER BY created_at DESC, id DESC LIMIT 50",
            [ids["categories"][0]],
            n,
        ),
        "case card": floor("SELECT * FROM cases_case WHERE id = %s", [card], n),
        "public map (90 days)": floor(
            "SELECT status, lat, lon FROM cases_case WHERE created_at >= now() - interval '90 days'", [], n
        ),
    }
    print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8} {'floor ms':>9} {'p95/floor':>10}")
    for name, url in pages:
        walls, cpus = measure(client, url, n)
        p95 = pct(walls, 0.95) * 1000
        base = floors[name] * 1000
        print(
            f"{name:24} {pct(walls, 0.5) * 1000:8.1f} {p95:8.1f} {statistics.mean(cpus) * 1000:8.1f} "
            f"{base:9.2f} {p95 / base:10.0f}"
        )
    counters_vs_cases(n)
    print("load:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
