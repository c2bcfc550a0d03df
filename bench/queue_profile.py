"""Where the operator pages spend their CPU: the queue and the case card under ``cProfile``.

    .venv/bin/python bench/queue_profile.py                      # a scratch SQLite file, 500 cases
    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/queue_profile.py --requests 30

Fills a scratch database (a fresh SQLite file in a temporary directory, or the private PostgreSQL
database ``DATABASE_URL`` names — migrated and written to) with a region — districts and towns, a
category tree, agencies, ``--cases`` cases in the working statuses with the pipeline's suggestions,
some with answers and replies — and one moderator, then asks ``/cases/`` and a case card
``--requests`` times each through Django's test client (``DEBUG`` off), and prints per page the CPU
per request of this process, the Python function calls per request (the steady figure on a shared
machine: it does not move with the neighbours' load) and the heaviest functions by cumulative time.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")


def world(n_cases: int) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from otklik.accounts.choices import Role
    from otklik.cases import actions
    from otklik.cases.choices import AnswerKind, CaseStatus
    from otklik.directory.choices import TerritoryKind
    from otklik.testing.factories import (
        make_agency,
        make_case,
        make_category,
        make_policy,
        make_territory,
        make_user,
    )

    now = timezone.now()
    region = make_territory("Область", kind=TerritoryKind.REGION)
    districts = [make_territory(f"Район {n}", parent=region) for n in range(12)]
    towns = [
        make_territory(f"Посёлок {n}", kind=TerritoryKind.SETTLEMENT, parent=districts[n % 12])
        for n in range(40)
    ]
    places = districts + towns
    roots = [make_category(f"Раздел {n}") for n in range(8)]
    categories = [make_category(f"Тема {n}", parent=roots[n % 8]) for n in range(60)]
    agencies = [make_agency(f"Ведомство {n}") for n in range(25)]
    make_policy(amount=5)
    moderator = make_user(Role.MODERATOR)
    executor = make_user(Role.EXECUTOR, agency=agencies[0])
    statuses = [CaseStatus.NEW, CaseStatus.MODERATION, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS]
    cases = []
    for n in range(n_cases):
        waiting = n % 6 < 2
        agency = agencies[n % len(agencies)]
        cases.append(
            make_case(
                agency=None if waiting else agency,
                status=CaseStatus.MODERATION if waiting else statuses[(n // 5) % len(statuses)],
                text=f"Проблема номер {n}: не вывозят мусор, яма на дороге, нет воды",
                created_at=now - timedelta(days=n % 60, hours=n % 24),
                category=None if waiting else categories[n % len(categories)],
                territory=None if waiting else places[n % len(places)],
                suggested_category=categories[n % len(categories)],
                suggested_territory=places[n % len(places)],
                suggested_agency=agency,
                category_confidence=(n % 10) / 10,
                is_urgent=n % 11 == 0,
                address=f"ул. Ленина, {n}" if n % 3 else "",
                deadline_at=now + timedelta(days=(n % 9) - 3),
                assigned_at=None if waiting else now - timedelta(days=n % 60),
            )
        )
    working = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)
    road = [c for c in cases if c.agency_id == agencies[0].pk and c.status in working][:6]
    for case in road:
        actions.write_answer(
            case, executor, text="Промежуточный ответ: бригада выехала.", kind=AnswerKind.INTERIM
        )
    return {"user": moderator, "card": road[0].pk if road else cases[0].pk}


def profile(client: Any, url: str, n: int, top: int) -> None:
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    profiler = cProfile.Profile()
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
    stats.sort_stats("cumulative").print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-6000:])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--top", type=int, default=25, help="functions listed per page")
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
    ids = world(args.cases)
    client = Client()
    client.force_login(ids["user"])
    print(f"{connection.vendor}, {args.cases} cases, one moderator, {args.requests} requests a page")
    for url in ("/cases/", f"/cases/{ids['card']}/"):
        profile(client, url, args.requests, args.top)
    print("load:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
