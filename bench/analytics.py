"""Analytics at scale: every endpoint from the rollups vs the same question asked of the raw tables.

    .venv/bin/python bench/analytics.py --cases 2000000 --messages 10000000

It works in its own PostgreSQL database (``otklik_bench_analytics`` on 127.0.0.1, created when missing; the
``test`` database is never touched): migrates it, loads the shipped Saratov region and the default
categories, generates cases, messages, history events and ratings *inside PostgreSQL* with
``INSERT … SELECT generate_series`` (nothing crosses the wire row by row; faster than COPY from
Python), rebuilds the rollups, times an incremental refresh after 1,000 cases change and the periodic
job (that refresh plus rendering the default summaries ahead), then prints p50/p95 per endpoint (the
full Django view through the test client, logged in as an analyst) beside the raw-table query
answering the same question. Periods: the default 30 days and the last 365 days (whole months from
the monthly rollups, the edges from the daily ones). The summary exports are timed as served (from
the cache the periodic job fills) and on a cache miss (the cache emptied before every request).

Generated texts are short phrases of this script; no real appeal text is used.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DB = "otklik_bench_analytics"  # its own: bench/ingest.py drops and recreates otklik_bench
SERVER = "postgres://postgres@127.0.0.1:5432"
PHRASES = [
    "Нет горячей воды на улице",
    "Яма на дороге у остановки",
    "Не вывозят мусор с площадки",
    "Не горят фонари во дворе",
    "Протекает крыша над подъездом",
    "Не ходит автобус по расписанию",
    "Холодные батареи в квартирах",
    "Бродячие собаки у школы",
    "Не чистят снег во дворе",
    "Отключили электричество без предупреждения",
]
STATUSES_OLD = ["closed"] * 80 + ["published"] * 5 + ["rejected"] * 3 + ["in_progress"] * 4 + ["answered"] * 3
STATUSES_OLD += ["merged"] * 2 + ["escalated"] * 1 + ["reopened"] * 2
STATUSES_NEW = ["moderation", "assigned", "in_progress", "in_progress", "answered", "closed"]


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not exists:
            conn.execute(f"CREATE DATABASE {DB}")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    os.environ["OTKLIK_ANALYTICS_MAX_AGE_SECONDS"] = str(10**9)  # the bench refreshes explicitly
    import django

    django.setup()


def sql(query: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def pg_array(values: list[Any]) -> str:
    return "ARRAY[" + ",".join(str(v) for v in values) + "]"


def text_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(cases: int, messages: int, years: float) -> dict[str, float]:
    from django.core.management import call_command

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.directory.defaults_categories import load_default_categories
    from otklik.directory.models import Agency, Category, Territory
    from otklik.directory.regions import load_shipped_region
    from otklik.intake.models import Source

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    if not Territory.objects.exists():
        load_shipped_region()
    load_default_categories()
    for i in range(1, 61):
        Agency.objects.get_or_create(
            name=f"Ведомство для замера {i:02d}", defaults={"short_name": f"Ведомство {i:02d}"}
        )
    if not User.objects.filter(username="bench-analyst").exists():
        User.objects.create_user("bench-analyst", password="bench-pass", role=Role.ANALYST)
    source, _ = Source.objects.get_or_create(code="bench", defaults={"name": "bench", "channel": "vk"})
    timings["directory"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    from django.apps import apps

    analytics_tables = [m._meta.db_table for m in apps.get_app_config("analytics").get_models()]
    sql(
        f"TRUNCATE {', '.join(analytics_tables)}, cases_rating, cases_caseevent, cases_answer, "
        "intake_message, cases_case RESTART IDENTITY CASCADE"
    )
    # Plain (non-unique) indexes are dropped for the bulk insert and built once afterwards.
    index_defs = sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
        "('cases_case', 'intake_message', 'cases_caseevent') AND indexdef NOT LIKE 'CREATE UNIQUE%%'"
    )
    for name, _definition in index_defs:
        sql(f'DROP INDEX IF EXISTS "{name}"')
    munis = list(
        Territory.objects.filter(kind__in=["district", "okrug"], lat__isnull=False)
        .order_by("-population", "pk")
        .values_list("pk", "lat", "lon")
    )
    subs = list(Category.objects.filter(parent__isnull=False).order_by("pk").values_list("pk", flat=True))
    agencies = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
    # 1 + floor(Exp(mu)) messages per case: E[floor(Exp(mu))] = 1 / (e^(1/mu) - 1) = messages/cases - 1.
    extra = max(1e-9, messages / cases - 1)
    mean_extra = 1 / math.log(1 + 1 / extra)
    channels = ["vk", "vk", "vk", "telegram", "ok", "phone", "email", "web_form", "official"]
    sql(
        """
        INSERT INTO cases_case (
            id, number, status, title, text, channel, understanding, is_urgent, address,
            message_count, author_count, created_at, updated_at, is_overdue, reopen_count,
            category_id, territory_id, agency_id, lat, lon, assigned_at, deadline_at,
            first_answer_at, answered_at, answer_working_minutes, closed_at
        )
        SELECT g, 'B' || g, st, ph, ph || ', дом ' || (1 + (g %% 90)), ch, '{}'::jsonb, false, '',
               mc, mc, created, least(created + interval '3 days', now() - interval '1 hour'),
               (st IN ('in_progress', 'escalated', 'reopened') AND age > 1),
               CASE WHEN st = 'reopened' OR r5 < 0.04 THEN 1 ELSE 0 END,
               cat, terr, ag, lat, lon, created + interval '30 minutes',
               created + interval '1 day',
               CASE WHEN answered THEN created + interval '30 minutes' + fm * interval '1 minute' END,
               CASE WHEN answered THEN created + interval '30 minutes' + am * interval '1 minute' END,
               CASE WHEN answered THEN am END,
               CASE WHEN st = 'closed' THEN created + interval '3 days' END
        FROM (
            SELECT g, age, created, st, ph, ch, mc, cat, ag, r5, mi,
                   (st IN ('answered', 'published', 'closed')) AS answered,
                   (%(mids)s)[mi] AS terr, (%(mlat)s)[mi] + (random() - 0.5) * 0.3 AS lat,
                   (%(mlon)s)[mi] + (random() - 0.5) * 0.5 AS lon,
                   floor(-ln(1 - random()) * 240)::int AS fm,
                   floor(-ln(1 - random()) * 900)::int + 15 AS am
            FROM (
                SELECT g, age, now() - age * interval '1 day' AS created,
                       CASE WHEN age < 2 THEN (%(new)s)[1 + floor(random() * %(n_new)s)::int]
                            ELSE (%(old)s)[1 + floor(random() * %(n_old)s)::int] END AS st,
                       (%(phrases)s)[1 + floor(random() * %(n_ph)s)::int] AS ph,
                       (%(channels)s)[1 + floor(random() * %(n_ch)s)::int] AS ch,
                       1 + floor(-ln(1 - random()) * %(extra)s)::int AS mc,
                       (%(subs)s)[1 + floor(random() * %(n_subs)s)::int] AS cat,
                       (%(agencies)s)[1 + floor(random() * %(n_ag)s)::int] AS ag,
                       random() AS r5,
                       1 + floor(power(random(), 2) * %(n_m)s)::int AS mi
                FROM (SELECT g, random() * %(days)s AS age FROM generate_series(1, %(n)s) g) s
            ) a
        ) b
        """.replace("%(new)s", text_array(STATUSES_NEW))
        .replace("%(old)s", text_array(STATUSES_OLD))
        .replace("%(phrases)s", text_array(PHRASES))
        .replace("%(channels)s", text_array(channels))
        .replace("%(subs)s", pg_array(subs))
        .replace("%(agencies)s", pg_array(agencies))
        .replace("%(mids)s", pg_array([m[0] for m in munis]))
        .replace("%(mlat)s", pg_array([m[1] for m in munis]))
        .replace("%(mlon)s", pg_array([m[2] for m in munis])),
        {
            "n_new": len(STATUSES_NEW),
            "n_old": len(STATUSES_OLD),
            "n_ph": len(PHRASES),
            "n_ch": len(channels),
            "extra": mean_extra,
            "n_subs": len(subs),
            "n_ag": len(agencies),
            "n_m": len(munis),
            "n": cases,
            "days": 365.25 * years,
        },
    )
    sql("SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))")
    timings["cases"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sql(
        """
        INSERT INTO intake_message (source_id, external_id, channel, case_id, author_name, author_id,
            author_contact, text, url, lat, lon, posted_at, received_at, is_relevant, text_hash, raw)
        SELECT %s, c.id || '-' || k, c.channel, c.id, '', 'a' || (c.id * 7 + k) %% 1000003, '',
               c.title, '', c.lat, c.lon, c.created_at + k * interval '1 minute',
               c.created_at + k * interval '1 minute', true, '', '{}'::jsonb
        FROM cases_case c, generate_series(1, c.message_count) k
        """,
        [source.pk],
    )
    timings["messages"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    sql(
        """
        INSERT INTO cases_caseevent
            (case_id, kind, from_status, to_status, before, after, comment, created_at)
        SELECT id, 'created', '', status, '{}'::jsonb, '{}'::jsonb, '', created_at FROM cases_case
        """
    )
    sql(
        """
        INSERT INTO cases_rating (case_id, score, comment, created_at)
        SELECT id, 1 + floor(random() * 5)::int, '', created_at + interval '4 days'
        FROM cases_case WHERE status = 'closed' AND random() < 0.3
        """
    )
    timings["events_ratings"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _name, definition in index_defs:
        sql(definition)
    sql("ANALYZE")
    timings["indexes"] = time.perf_counter() - t0
    return timings


def measure(fn: Callable[[], Any], runs: int, setup: Callable[[], Any] | None = None) -> tuple[float, float]:
    """p50 and p95 in ms of ``runs`` calls after a warm-up; ``setup`` runs untimed before each call."""
    fn()  # warm up
    times = []
    for _ in range(runs):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def raw_questions(days: int) -> dict[str, Callable[[], Any]]:
    """The same questions asked of cases_case directly (what the pages would cost without rollups)."""
    from otklik.directory.models import Territory

    saratov = Territory.objects.filter(kind="okrug", lat__isnull=False).order_by("-population").first()
    period = f"created_at >= now() - interval '{days} days'"
    municipality = "CASE WHEN t.kind IN ('district', 'okrug') THEN t.id ELSE t.parent_id END"

    def heatmap() -> Any:
        return sql(
            f"""SELECT {municipality}, count(*), sum(c.message_count),
                       count(*) FILTER (WHERE c.status NOT IN ('closed','rejected','merged','published')),
                       count(*) FILTER (WHERE c.is_overdue AND c.status IN
                                        ('assigned','in_progress','reopened','escalated'))
                FROM cases_case c LEFT JOIN directory_territory t ON t.id = c.territory_id
                WHERE c.{period} GROUP BY 1"""
        )

    def hexes() -> Any:
        import h3

        counts: dict[str, int] = {}
        rows = sql(
            f"SELECT lat, lon, message_count FROM cases_case WHERE {period} AND lat BETWEEN %s AND %s "
            "AND lon BETWEEN %s AND %s",
            [saratov.lat - 0.15, saratov.lat + 0.15, saratov.lon - 0.25, saratov.lon + 0.25],
        )
        for lat, lon, n in rows:
            cell = h3.latlng_to_cell(lat, lon, 8)
            counts[cell] = counts.get(cell, 0) + n
        return counts

    def dynamics() -> Any:
        return sql(
            f"""SELECT (c.created_at AT TIME ZONE 'Europe/Saratov')::date, coalesce(cat.parent_id, cat.id),
                       sum(c.message_count)
                FROM cases_case c LEFT JOIN directory_category cat ON cat.id = c.category_id
                WHERE c.{period} GROUP BY 1, 2"""
        )

    def ranking() -> Any:
        return sql(
            f"""SELECT agency_id, count(*), count(answered_at),
                       count(*) FILTER (WHERE answered_at <= deadline_at),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY answer_working_minutes),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY answer_working_minutes),
                       count(*) FILTER (WHERE reopen_count > 0)
                FROM cases_case WHERE {period} AND agency_id IS NOT NULL GROUP BY agency_id"""
        ) + sql(
            "SELECT agency_id, count(*) FROM cases_case WHERE is_overdue AND status IN "
            "('assigned','in_progress','reopened','escalated') GROUP BY agency_id"
        )

    def summary() -> Any:
        return sql(
            f"""SELECT category_id, count(*), sum(message_count) FROM cases_case WHERE {period}
                GROUP BY 1 ORDER BY 2 DESC LIMIT 10"""
        ) + sql(
            f"""SELECT category_id, count(*) FROM cases_case
                WHERE created_at >= now() - interval '{2 * days} days' AND NOT {period} GROUP BY 1"""
        )

    return {
        "heatmap/data.json": heatmap,
        "heatmap/hex.json res 8": hexes,
        "dynamics": dynamics,
        "agencies": ranking,
        "summary": summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=2_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--years", type=float, default=4, help="history the cases are spread over")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--raw-runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the generated data and the rollups")
    parser.add_argument("--rebuild", action="store_true", help="keep the generated data, rebuild the rollups")
    args = parser.parse_args()

    ensure_database()
    setup_django()
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from otklik.analytics.models import AreaDay, AreaMonth, CaseFact, HexWeek, RenderedExport, TerritoryDay
    from otklik.analytics.rollups import rebuild_rollups, refresh_rollups
    from otklik.analytics.tasks import run_periodic_jobs
    from otklik.cases.models import Case
    from otklik.directory.models import Agency, Territory

    if args.rebuild:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        result = rebuild_rollups()
        print(f"full rollup build: {result.cases:,} cases in {time.perf_counter() - t0:.0f} s")
    elif not args.reuse:
        timings = generate(args.cases, args.messages, args.years)
        n_cases = Case.objects.count()
        n_msgs = sql("SELECT count(*) FROM intake_message")[0][0]
        print(
            f"generated {n_cases:,} cases, {n_msgs:,} messages: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
        )
        t0 = time.perf_counter()
        result = rebuild_rollups()
        print(f"full rollup build: {result.cases:,} cases in {time.perf_counter() - t0:.0f} s")
    print(
        f"rollup rows: facts {CaseFact.objects.count():,}, area {AreaDay.objects.count():,} "
        f"(monthly {AreaMonth.objects.count():,}), hex (weekly) {HexWeek.objects.count():,}, "
        f"by territory {TerritoryDay.objects.count():,}"
    )

    # The index on cases_case.updated_at that the incremental refresh's sweep needs (asked of the
    # cases app; created here so the figure shows the refresh as it will run with it).
    sql("CREATE INDEX IF NOT EXISTS bench_case_updated_at ON cases_case (updated_at)")
    # An incremental refresh after 1,000 cases change (answered, with their history event).
    ids = [
        i
        for (i,) in sql("SELECT id FROM cases_case WHERE status = 'in_progress' ORDER BY random() LIMIT 1000")
    ]
    sql(
        "UPDATE cases_case SET status = 'answered', answered_at = now(), first_answer_at = now(), "
        "answer_working_minutes = 300, updated_at = now() WHERE id = ANY(%s)",
        [ids],
    )
    sql(
        "INSERT INTO cases_caseevent "
        "(case_id, kind, from_status, to_status, before, after, comment, created_at) "
        "SELECT unnest(%s::bigint[]), 'answer_written', 'in_progress', 'answered', '{}', '{}', '', now()",
        [ids],
    )
    t0 = time.perf_counter()
    inc = refresh_rollups()
    took = time.perf_counter() - t0
    print(f"incremental refresh after {len(ids)} changed cases: {inc.cases:,} recounted in {took:.2f} s")
    t0 = time.perf_counter()
    refresh_rollups()
    print(f"incremental refresh with nothing changed: {time.perf_counter() - t0:.2f} s")
    # The periodic job: the refresh, then the default summaries (PDF, XLSX) rendered into the cache.
    sql(
        "UPDATE cases_case SET status = 'closed', updated_at = now() WHERE id = ANY(%s)",
        [ids[:100]],
    )
    for _ in range(2):
        t0 = time.perf_counter()
        job = run_periodic_jobs()
        print(
            f"periodic job: {job['rollup_cases']:,} recounted, {job['exports_rendered']} export(s) "
            f"rendered in {time.perf_counter() - t0:.2f} s"
        )

    client = Client()
    assert client.login(username="bench-analyst", password="bench-pass")
    today = timezone.localdate()
    month = {"date_from": (today - timezone.timedelta(days=29)).isoformat(), "date_to": today.isoformat()}
    year = {"date_from": (today - timezone.timedelta(days=364)).isoformat(), "date_to": today.isoformat()}
    saratov = Territory.objects.filter(kind="okrug", lat__isnull=False).order_by("-population").first()
    bbox = f"{saratov.lon - 0.25},{saratov.lat - 0.15},{saratov.lon + 0.25},{saratov.lat + 0.15}"
    agency = Agency.objects.order_by("pk").first()
    endpoints: list[tuple[str, str, dict[str, Any]]] = [
        ("heatmap page", reverse("analytics:heatmap"), month),
        ("heatmap/data.json", reverse("analytics:heatmap-data"), month),
        ("heatmap/data.json, 365 days", reverse("analytics:heatmap-data"), year),
        ("heatmap/hex.json res 6, region", reverse("analytics:heatmap-hex"), {**month, "res": 6}),
        ("heatmap/hex.json res 8", reverse("analytics:heatmap-hex"), {**month, "res": 8, "bbox": bbox}),
        ("dynamics", reverse("analytics:dynamics"), month),
        (
            "dynamics by territory, weeks, 365 days",
            reverse("analytics:dynamics"),
            {**year, "by": "territory", "step": "week"},
        ),
        ("agencies", reverse("analytics:agencies"), month),
        ("agencies, 365 days", reverse("analytics:agencies"), year),
        ("agency page", reverse("analytics:agency", args=[agency.pk]), month),
        ("summary", reverse("analytics:summary"), month),
        ("summary, one district", reverse("analytics:summary"), {**month, "territory": saratov.pk}),
        ("summary, 365 days", reverse("analytics:summary"), year),
        ("summary.xlsx", reverse("analytics:summary-xlsx"), month),
        ("summary.pdf", reverse("analytics:summary-pdf"), month),
        ("summary.xlsx, cache miss", reverse("analytics:summary-xlsx"), month),
        ("summary.pdf, cache miss", reverse("analytics:summary-pdf"), month),
        (
            "summary.pdf, one district, 365 days",
            reverse("analytics:summary-pdf"),
            {**year, "territory": saratov.pk},
        ),
    ]
    raw = raw_questions(30)
    raw_year = raw_questions(365)
    raw.update(
        {
            "dynamics by territory, weeks, 365 days": raw_year["dynamics"],
            "agencies, 365 days": raw_year["agencies"],
        }
    )

    def empty_cache() -> None:
        RenderedExport.objects.all().delete()

    print()
    print("| endpoint | p50 ms | p95 ms | raw tables: same question p50 / p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, url, params in endpoints:

        def call(url: str = url, params: dict[str, Any] = params) -> None:
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)

        miss = "cache miss" in name
        runs = args.runs if not (miss and "pdf" in name) else max(5, args.runs // 3)
        p50, p95 = measure(call, runs, empty_cache if miss else None)
        raw_cell = ""
        if name in raw:
            r50, r95 = measure(raw[name], args.raw_runs)
            raw_cell = f"{r50:.0f} / {r95:.0f}"
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {raw_cell} |", flush=True)


if __name__ == "__main__":
    main()
