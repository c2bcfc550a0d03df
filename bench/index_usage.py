"""Which query needs which index of the tables the pipeline writes (issue 13 item 6), on PostgreSQL.

    DATABASE_URL=$PG_URL .venv/bin/python bench/index_usage.py [--tables cases_case,intake_message]

The statements on those tables are captured while the operators' pages are served (the queue and its
filters and tabs for a moderator, a supervisor and an executor; the card; analytics; the public map
and problem page; Open311's list) and every periodic job runs (in a transaction rolled back; not the
connectors' fetching nor the Telegram bot, which would reach out, nor the models' retraining). Then,
for each index, in a transaction rolled back: the index dropped and every statement EXPLAINed again.
Reported per index: the statements whose planned cost rises without it (a need), with their cost
before and after and where they came from; an index no statement needs is reported as such. The plans
are the planner's at this database's size: run it with tens of thousands of cases
(``bench/pipeline_growth.py`` adds them).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TABLES = ("cases_case", "intake_message")
SKIPPED_JOBS = {"fetch-sources", "telegram-bot", "retrain-models"}  # reach out; minutes of training


class _Rollback(Exception):
    pass


print = functools.partial(print, flush=True)  # progress shows in a log file as it goes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--rise", type=float, default=1.2, help="a cost this many times higher is a need")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to PostgreSQL with the demo loaded")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()
    import ingest
    from django.conf import settings
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    tables = args.tables.split(",")
    print(f"# load before: {ingest.machine_load()}")
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"# {table}: {cursor.fetchone()[0]:,} rows")
    statements = capture(tables)
    print(f"# {len(statements)} distinct statements on {', '.join(tables)}")
    base = {sql: cost(sql) for sql in statements}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY 1, 2", [tables]
        )
        indexes = cursor.fetchall()
    for table, index in indexes:
        needs = []
        try:
            with django.db.transaction.atomic():
                with connection.cursor() as cursor:
                    if index.endswith("_pkey") or "unique" in index:
                        print(f"\n{table}.{index}: a key or a unique constraint (kept)")
                        raise _Rollback
                    cursor.execute(f'DROP INDEX "{index}"')
                for sql, before in base.items():
                    after = cost(sql)
                    if after > before * args.rise:
                        needs.append((after / before, before, after, sql))
                raise _Rollback
        except _Rollback:
            pass
        if index.endswith("_pkey") or "unique" in index:
            continue
        if not needs:
            print(f"\n{table}.{index}: no captured statement needs it")
            continue
        print(f"\n{table}.{index}: {len(needs)} statement(s) cost more without it")
        for ratio, before, after, sql in sorted(needs, reverse=True)[:6]:
            origin = ", ".join(sorted(statements[sql]))[:90]
            print(f"  ×{ratio:8.1f} ({before:9.0f} → {after:11.0f})  [{origin}]  {shorten(sql)}")
    print(f"\n# load after: {ingest.machine_load()}")


def shorten(sql: str) -> str:
    sql = re.sub(r'SELECT .*? FROM "cases_case"', 'SELECT … FROM "cases_case"', sql, count=1)
    sql = re.sub(r"\s+", " ", sql)
    return sql[:260]


def cost(sql: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan: Any = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Total Cost"])


def capture(tables: list[str]) -> dict[str, set[str]]:
    """The SELECT statements that touch ``tables`` (by their text), and where each was seen."""
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from otklik import periodic
    from otklik.cases.models import Case

    seen: dict[str, set[str]] = defaultdict(set)

    def keep(origin: str, queries: list[dict[str, str]]) -> None:
        for query in queries:
            sql = query["sql"]
            if sql.lstrip().upper().startswith(("SELECT", "WITH")) and any(f'"{t}"' in sql for t in tables):
                seen[sql].add(origin)

    case = Case.objects.order_by("-pk").first()
    public = Case.objects.filter(status="closed", addressed_to__isnull=True).order_by("-pk").first()
    assert case is not None
    queue = [
        "/cases/",
        "/cases/?status=moderation",
        "/cases/?overdue=1",
        "/cases/?channel=vk",
        "/cases/?q=вода",
        "/cases/?status=assigned&page=2",
        *(f"/cases/?tab={tab}" for tab in ("moderation", "assigned", "in_progress", "approval", "overdue")),
        *(f"/cases/?tab=assigned&sort={sort}" for sort in ("deadline", "messages", "urgent", "uncertain")),
    ]
    pages = {
        "moderator": [*queue, f"/cases/{case.pk}/", "/cases/confirm/"],
        "supervisor": [
            *queue,
            "/analytics/",
            "/analytics/dynamics/",
            "/analytics/agencies/",
            "/analytics/summary/",
        ],
        "engels": [*queue, f"/cases/{case.pk}/"],
        "vodokanal": queue,
        None: [
            "/public/map/",
            f"/public/problems/{public.number}/" if public else "/public/map/",
            "/open311/v2/requests.json",
            "/open311/v2/requests.json?status=open",
            "/open311/v2/requests.json?status=closed",
        ],
    }
    for user, urls in pages.items():
        client = Client()
        if user is not None:
            assert client.login(username=user, password=f"{user}-demo"), user
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            keep(
                f"{user or 'public'} {url.split('?')[0]}" + ("?" + url.split("?")[1] if "?" in url else ""),
                ctx,
            )
            if response.status_code != 200:
                print(f"# {user} {url}: {response.status_code}")
    for job in periodic.jobs():
        if job.name in SKIPPED_JOBS:
            continue
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
                try:
                    job.function()
                finally:
                    keep(f"job {job.name}", ctx)
                raise _Rollback
        except _Rollback:
            pass
        except Exception as exc:  # a job's failure is reported, the rest still measured
            print(f"# job {job.name}: {type(exc).__name__}: {exc}")
    return seen


if __name__ == "__main__":
    main()
