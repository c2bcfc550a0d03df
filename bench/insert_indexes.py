"""What a pipeline batch's COPY pays per index (issue 13 item 6): the same rows copied into a copy of
the table with no index (the floor), with each index alone, and with all of them, on PostgreSQL.

    DATABASE_URL=$PG_URL .venv/bin/python bench/insert_indexes.py --rows 250 --repeat 7

For each table the pipeline writes (cases, messages, similarity keys, case events) a scratch copy is
made (``CREATE TABLE … (LIKE …)``, no index, no foreign key) holding every stored row but the latest
``--rows``; the latest ``--rows`` are then copied into it, in a transaction rolled back,
``--repeat`` times per set of indexes (the scratch table vacuumed between sets), then with the
table's foreign keys alone and with everything. Reported per index: the median wall time of the
COPY, the index's share above the bare COPY, and the ratio to it. The scratch tables are dropped at
the end. It needs a database with the pipeline's rows (``bench/pipeline_growth.py`` adds them).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TABLES = ("cases_case", "intake_message", "intake_similaritykey", "cases_caseevent")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=250, help="rows copied per trial (a batch's)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--tables", default=",".join(TABLES))
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to PostgreSQL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()
    import ingest
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    raw.autocommit = True
    print(f"# load before: {ingest.machine_load()}")
    for table in args.tables.split(","):
        measure(raw, table, args.rows, args.repeat)
    print(f"# load after: {ingest.machine_load()}")


def measure(raw: object, table: str, rows: int, repeat: int) -> None:
    scratch = f"bench_idx_{table}"
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f"SELECT count(*) FROM {table}")
        total = cur.fetchone()[0]
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table]
        )
        indexes = list(cur.fetchall())
        cur.execute(f"DROP TABLE IF EXISTS {scratch}")
        cur.execute(f"CREATE TABLE {scratch} (LIKE {table} INCLUDING DEFAULTS)")
        cur.execute(f"SELECT min(id) FROM (SELECT id FROM {table} ORDER BY id DESC LIMIT {rows}) t")
        first = cur.fetchone()[0]
        cur.execute(f"INSERT INTO {scratch} SELECT * FROM {table} WHERE id < %s", [first])
        buffer = io.BytesIO()
        with cur.copy(f"COPY (SELECT * FROM {table} WHERE id >= {first} ORDER BY id) TO STDOUT") as copy:
            for block in copy:
                buffer.write(block)
        data = buffer.getvalue()
        cur.execute(f"VACUUM ANALYZE {scratch}")

    def trial() -> float:
        with raw.transaction(), raw.cursor() as cur:  # type: ignore[attr-defined]
            started = time.perf_counter()
            with cur.copy(f"COPY {scratch} FROM STDIN") as copy:
                copy.write(data)
            raise _Rollback(time.perf_counter() - started)

    def timed() -> float:
        times = []
        for _ in range(repeat):
            try:
                trial()
            except _Rollback as done:
                times.append(done.spent)
        return statistics.median(times)

    def create(name: str, definition: str) -> None:
        sql = re.sub(rf"\bON (public\.)?{table}\b", f"ON {scratch}", definition, count=1)
        sql = sql.replace(f"INDEX {name} ", f"INDEX bench_{name} ", 1)
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            cur.execute(sql)
            cur.execute(f"VACUUM {scratch}")

    def drop_all() -> None:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            for name, _ in indexes:
                cur.execute(f"DROP INDEX IF EXISTS bench_{name}")
            cur.execute(f"VACUUM {scratch}")

    def add_foreign_keys() -> None:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            for n, (_name, definition) in enumerate(foreign):
                cur.execute(f"ALTER TABLE {scratch} ADD CONSTRAINT bench_fk_{n} {definition}")

    def row(label: str, spent: float) -> None:
        extra = f"  +{(spent - floor) * 1000:.2f} ms" if spent is not floor else ""
        print(f"  {label:<44}{spent * 1000:8.2f} ms {spent / floor:6.2f}×{extra}")

    with raw.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
            [table],
        )
        foreign = list(cur.fetchall())
    timed()  # warm: the table's pages in the cache
    floor = timed()
    print(
        f"\n{table}: {total:,} rows, {len(indexes)} indexes; COPY of the latest {rows} rows, median of "
        f"{repeat} (rolled back)"
    )
    row("no index (floor)", floor)
    add_foreign_keys()
    row(f"no index, its {len(foreign)} foreign keys", timed())
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        for n in range(len(foreign)):
            cur.execute(f"ALTER TABLE {scratch} DROP CONSTRAINT bench_fk_{n}")
    for name, definition in indexes:
        variants = [(name, definition)]
        if " USING gin " in definition:  # its pending list defers the work: once without it as well
            variants.append((name + " (fastupdate off)", definition + " WITH (fastupdate = off)"))
        for label, sql in variants:
            create(name, sql)
            spent = timed()
            drop_all()
            row(label, spent)
    for name, definition in indexes:
        create(name, definition)
    row(f"all {len(indexes)} indexes", timed())
    add_foreign_keys()
    row(f"all {len(indexes)} indexes and {len(foreign)} foreign keys", timed())
    with raw.cursor() as cur:  # type: ignore[attr-defined]
        cur.execute(f"DROP TABLE {scratch}")


class _Rollback(Exception):
    def __init__(self, spent: float) -> None:
        super().__init__("rolled back")
        self.spent = spent


if __name__ == "__main__":
    main()
