"""Where the operator pages spend their CPU: the queue and the case card under ``cProfile``.

    .venv/bin/python bench/queue_profile.py                      # a scratch SQLite file, 500 cases
    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/queue_profile.py --requests 30

Fills a scratch database (a fresh SQLite file in a temporary directory, or the private PostgreSQL
database ``DATABASE_URL`` names — migrated and written to) with the sized world of the pinned query
counts (``otklik.testing.worlds.PROFILE``: districts and towns, a category tree, agencies,
``--cases`` cases in the working statuses with the pipeline's suggestions, some answered, published
and rated), then asks each of ``--pages`` (the queue's tabs and a case card by default) ``--requests``
times through Django's test client (``DEBUG`` off) as its moderator, and prints per page the CPU
per request of this process, the Python function calls per request (the steady figure on a shared
machine: it does not move with the neighbours' load) and the heaviest functions by cumulative CPU
time (the profiler's clock is the process's CPU time; ``--sort tottime``: by their own time).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")


def profile(client: Any, url: str, n: int, top: int, sort: str = "cumulative") -> None:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    # timed by this process's CPU clock: on a shared machine the wall clock mostly measures the waits
    # for a core, not where the page spends its work
    profiler = cProfile.Profile(time.process_time)
    cpu = time.process_time()
    for _ in range(n):
        profiler.enable()
        response = client.get(url)
        profiler.disable()
        assert response.status_code == 200, url
    cpu = (time.process_time() - cpu) / n
    # without the profiler's own overhead
    plain = time.process_time()
    for _ in range(n):
        client.get(url)
    plain = (time.process_time() - plain) / n
    stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
    calls = stats.total_calls  # type: ignore[attr-defined]
    print(
        f"\n{url}: CPU {plain * 1000:.1f} ms/request ({cpu * 1000:.1f} under the profiler), "
        f"{calls / n:,.0f} function calls/request, {len(response.content):,} bytes"
    )
    stats.sort_stats(sort).print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-6000:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument(
        "--pages",
        default="/cases/,/cases/?tab=moderation,/cases/?tab=assigned,/cases/?tab=in_progress,card",
        help="comma-separated paths to profile; 'card' is the card of a case with its whole road",
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=25, help="functions listed per page")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    args = parser.parse_args()
    scratch = None
    if "DATABASE_URL" not in os.environ:
        scratch = tempfile.TemporaryDirectory()
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch.name}/profile.sqlite3"

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    from otklik.cases.models import Case

    if Case.objects.exists():
        sys.exit("the database already holds cases: give a scratch one")
    from otklik.testing.worlds import PROFILE, operator_world

    built = operator_world(replace(PROFILE, cases=args.cases))
    client = Client()
    client.force_login(built.users["moderator"])
    print(f"{connection.vendor}, {args.cases} cases, one moderator, {args.requests} requests a page")
    for url in args.pages.split(","):
        profile(
            client, f"/cases/{built.card.pk}/" if url == "card" else url, args.requests, args.top, args.sort
        )
    print("load:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
