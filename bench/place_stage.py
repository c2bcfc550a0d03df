"""The place stage's work on the ingest benchmark's messages, CPU seconds of one process.

    .venv/bin/python bench/ingest.py --n 3000 --skip-celery --db otklik_bench   # makes the database
    .venv/bin/python bench/place_stage.py --db otklik_bench

Generates the same 3,000 messages as ``bench/ingest.py --n 3000`` (seed 7, the demo region of that
database) and times, best of three rounds, what ``stage_place`` does for them in batches of 500: one
``get_gazetteer()`` a batch (the process cache's check) and ``locate()`` of each text with its point.
The CPU seconds of this process are the figure to compare on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="otklik_bench", help="a database bench/ingest.py made")
    parser.add_argument("--n", type=int, default=3000)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.server.rsplit("/", 1)[0] + "/" + args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from otklik.demo.messages import generate
    from otklik.directory.choices import TerritoryKind
    from otklik.directory.models import Territory
    from otklik.understanding.places import get_gazetteer, locate

    region = Territory.objects.get(kind=TerritoryKind.REGION, parent=None)
    end = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("Europe/Saratov"))
    weeks = max(2, args.n // 5000)
    items = generate(seed=7, count=args.n, start=end - timedelta(weeks=weeks), end=end, region=region)
    get_gazetteer()
    with CaptureQueriesContext(connection) as queries:
        get_gazetteer()
    rounds = []
    for _ in range(3):
        cpu, wall = time.process_time(), time.perf_counter()
        for start in range(0, len(items), 500):
            gazetteer = get_gazetteer()
            for item in items[start : start + 500]:
                locate(item["text"], lat=item.get("lat"), lon=item.get("lon"), gazetteer=gazetteer)
        rounds.append((time.process_time() - cpu, time.perf_counter() - wall))
    cpu_s, wall_s = min(rounds)
    print(
        f"place stage, {len(items):,} messages: {cpu_s:.2f} s CPU, {wall_s:.2f} s wall (best of 3); "
        f"the cache's check a batch: {len(queries)} queries"
    )


if __name__ == "__main__":
    main()
