"""The case card on a loaded database (the demo region): CPU per card for each role against a floor.

    DATABASE_URL=postgres://…/demo .venv/bin/python bench/card_profile.py --cards 40
    .venv/bin/python bench/card_profile.py --profile 20      # also the heaviest functions (cProfile)

Reads ``DATABASE_URL`` (the demo region made by ``otklik demo``; nothing is written) and opens, in
this process through Django's test client (``DEBUG`` off), the cards of the ``--cards`` newest cases
each role may work — the moderator, the supervisor and an executor (``--executor``, the water
utility's by default: only their agency's cases) — printing per role the CPU of this process per
card, p50/p95 wall time, queries per card and the card's bytes. In the same run it measures the
floor: an empty page of the same layout (``base.html`` for the same signed-in user, through the
same middleware), so the card's figure reads as a ratio against what any page of the site costs
here. ``--map N`` adds the public map of each period (and its counters alone) for a resident,
against the same empty page asked anonymously. CPU is the steady figure on a shared machine; say
``uptime``'s load with it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

FLOOR_PATH = "bench-floor/"


def timezone_now() -> Any:
    from django.utils import timezone

    return timezone.now()


def floor_view(request: Any) -> Any:
    """The floor: the site's layout with nothing in it, for the user asking (signed in or not)."""
    from django.shortcuts import render

    return render(request, "base.html", {})


def urlconf() -> list[Any]:
    from django.urls import include, path

    return [path(FLOOR_PATH, floor_view), path("", include("otklik.urls"))]


def public_map(n: int) -> None:
    """The public map (``/public/map/``, each period) and its counters alone, for a resident."""
    from django.test import Client

    from otklik.analytics.public_counts import built
    from otklik.public import counters, problems

    client = Client()
    floor = measure(client, [f"/{FLOOR_PATH}"], n)
    print(
        f"{'floor (anonymous)':<28} {floor['cpu']:>7.1f} {1:>7.2f} {floor['p50']:>7.1f} {floor['p95']:>7.1f}"
    )
    for days in problems.PERIODS:
        row = measure(client, [f"/public/map/?days={days}"], n)
        print(
            f"{f'public map, {days} days':<28} {row['cpu']:>7.1f} {row['cpu'] / floor['cpu']:>7.2f} "
            f"{row['p50']:>7.1f} {row['p95']:>7.1f} {row['queries']:>7.1f} {row['bytes'] / 1024:>6.1f}"
        )
        params = {"start_date": (timezone_now() - timedelta(days=days)).isoformat()}
        cpu = time.process_time()
        for _ in range(n):
            counters.window(params)
        cpu = (time.process_time() - cpu) / n * 1000
        print(f"{'  its counters alone':<28} {cpu:>7.1f} {cpu / floor['cpu']:>7.2f}")
    print(f"(daily public counters built: {built()})")


urlpatterns: list[Any] = []  # filled in main(): this module is the bench's ROOT_URLCONF


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(client: Any, urls: list[str], rounds: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls[:3]:
        assert client.get(url).status_code == 200, url
    walls: list[float] = []
    queries = 0
    size = 0
    cpu = time.process_time()
    for _ in range(rounds):
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                walls.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
            queries += len(captured.captured_queries)
            size += len(response.content)
    n = rounds * len(urls)
    cpu = (time.process_time() - cpu) / n
    return {
        "cpu": cpu * 1000,
        "p50": statistics.median(walls) * 1000,
        "p95": pct(walls, 0.95) * 1000,
        "queries": queries / n,
        "bytes": size / n,
    }


def profiled(client: Any, urls: list[str], top: int) -> None:
    profiler = cProfile.Profile(time.process_time)  # CPU, not the wait for the database
    for url in urls:
        profiler.enable()
        client.get(url)
        profiler.disable()
    stats = pstats.Stats(profiler, stream=(out := io.StringIO()))
    print(f"  {stats.total_calls / len(urls):,.0f} function calls/card")  # type: ignore[attr-defined]
    stats.sort_stats("cumulative").print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cards", type=int, default=40, help="newest working cases per role")
    parser.add_argument("--rounds", type=int, default=1, help="times each card is opened")
    parser.add_argument("--roles", default="moderator,supervisor,executor")
    parser.add_argument("--executor", default="vodokanal", help="the executor's username")
    parser.add_argument("--profile", type=int, default=0, help="list the N heaviest functions per role")
    parser.add_argument("--map", type=int, default=0, help="also the public map, N requests a period")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.ROOT_URLCONF = __name__
    urlpatterns.extend(urlconf())
    from django.db import connection
    from django.test import Client

    from otklik.accounts.models import User
    from otklik.cases.choices import FINAL, CaseStatus
    from otklik.cases.models import Case

    users = {
        "moderator": "moderator",
        "supervisor": "supervisor",
        "executor": args.executor,
    }
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{connection.vendor}, {Case.objects.count():,} cases, {args.cards} cards a role; load {load}")
    print(f"{'page':<28} {'CPU ms':>7} {'× floor':>7} {'p50 ms':>7} {'p95 ms':>7} {'queries':>7} {'KB':>6}")
    for role in args.roles.split(","):
        user = User.objects.get(username=users[role])
        client = Client()
        client.force_login(user)
        ids = list(
            Case.objects.visible_to(user)
            .exclude(status__in=[*FINAL, CaseStatus.PUBLISHED])
            .order_by("-created_at")
            .values_list("pk", flat=True)[: args.cards]
        )
        urls = [f"/cases/{pk}/" for pk in ids]
        floor = measure(client, [f"/{FLOOR_PATH}"], args.cards * args.rounds)
        card = measure(client, urls, args.rounds)
        for name, row in ((f"floor ({role})", floor), (f"card, {role}", card)):
            print(
                f"{name:<28} {row['cpu']:>7.1f} {row['cpu'] / floor['cpu']:>7.2f} {row['p50']:>7.1f} "
                f"{row['p95']:>7.1f} {row['queries']:>7.1f} {row['bytes'] / 1024:>6.1f}"
            )
        if args.profile:
            profiled(client, urls, args.profile)
    if args.map:
        public_map(args.map)
    print("load:", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
