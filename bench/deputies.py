"""The deputies' service at the source document's size: 3,000 deputies with their reception offices
in 10 regions (each a regional parliament, the capital's council and municipal councils) and
100,000 appeals to them, on PostgreSQL.

    .venv/bin/python bench/deputies.py --deputies 3000 --regions 10 --appeals 100000

It works in its own database (``--db``, created when missing): loads the shipped region, then makes
what ``otklik demo --deputies 3000 --regions 10 --deputy-appeals 100000`` makes
(:mod:`otklik.demo.deputies_scale`: bulk inserts, the rollups rebuilt), computes the stored rating of
each period and the topics (timed: what the periodic job ``deputies-rating`` does in the background),
then prints p50/p95 over ``--runs`` calls — each the full Django view through the test client — of
the public directory (first page; a region's municipal councillors, page 3), a deputy's page with the
appeal form (the busiest office), the rating (federal: the analyst, the party's headquarters, a later
page; regional: the regional coordinator of the busiest deputy's region), the service's figures
(the analyst's, the party HQ's), the API's rating (the analyst's every deputy, a regional
coordinator's region) and, last, the appeal form posted (each post a new appeal through the
pipeline) — beside the floor: a bare ``SELECT`` counting the appeals per office — and then the
incremental upkeep of the service's figures after the posts (what the periodic job
``deputies-service-figures`` does). ``--reuse`` keeps the data of a previous run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data

RUNS = [20]
LAST = [""]
SIZES: dict[str, int] = {}
FLOOR = "SELECT agency_id, count(*) FROM cases_case WHERE agency_id = ANY(%s) GROUP BY agency_id"


def generate(deputies: int, appeals: int, regions: int) -> None:
    """The shipped region, then what ``otklik demo --deputies … --regions … --deputy-appeals …``
    makes (:mod:`otklik.demo.deputies_scale`, bulk inserts)."""
    from django.core.management import call_command

    from otklik.demo.deputies_scale import generate as generate_scale
    from otklik.directory.models import Territory
    from otklik.directory.regions import load_shipped_region

    call_command("migrate", verbosity=0)
    if not Territory.objects.exists():
        load_shipped_region("saratov")
    generate_scale(deputies, appeals, regions=regions, progress=print)


def appeal(token: str) -> dict[str, str]:
    """What a resident types into a deputy's appeal form (the public form's fields)."""
    return {
        "name": "Ирина Смирнова",
        "contact": "+7 (917) 123-45-67",
        "text": "Третий день нет горячей воды в доме 12 на улице Тельмана, просим разобраться",
        "district": "",
        "address": "ул. Тельмана, 12",
        "consent": "on",
        "website": "",
        "form_token": token,
    }


def arguments(doc: str | None, runs: int) -> argparse.ArgumentParser:
    """The data's size, its database and the runs (shared with bench/service_rebuild.py)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deputies", type=int, default=3000)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=10)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--db", default="otklik_bench_deputies")
    return parser


def main() -> None:
    parser = arguments(__doc__, runs=20)
    parser.add_argument("--reuse", action="store_true", help="measure the data a previous run made")
    args = parser.parse_args()
    data.DB = args.db
    data.ensure_database()
    data.setup_django()
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.cases.models import Case
    from otklik.deputies import ratings, service_counts
    from otklik.deputies.models import Deputy, Faction, Level, RegionalCoordinator

    t0 = time.perf_counter()
    if not (args.reuse and Deputy.objects.exists()):
        generate(args.deputies, args.appeals, args.regions)
    offices = list(Deputy.objects.values_list("office_id", flat=True))
    print(
        f"{Deputy.objects.count():,} deputies, {Case.objects.count():,} appeals; "
        f"set-up {time.perf_counter() - t0:.0f} s"
    )
    computed = []
    for days in ratings.PERIODS:
        computed.append(ratings.refresh(days))
    t1 = time.perf_counter()
    ratings.refresh_topics()
    t2 = time.perf_counter()
    service_counts.refresh()
    print(
        "stored rating computed: "
        + ", ".join(f"{d} days {s:.1f} s" for d, s in zip(ratings.PERIODS, computed, strict=True))
        + f"; topics {t2 - t1:.1f} s; "
        + f"the service's figures brought up to date {time.perf_counter() - t2:.1f} s"
    )
    floor = data.measure(lambda: data.sql(FLOOR, [offices]), args.runs)
    party = Faction.objects.order_by("pk").first()
    busiest = Case.objects.values("agency").annotate(n=Count("pk")).order_by("-n")[0]["agency"]
    deputy = Deputy.objects.select_related("region").get(office_id=busiest)
    region = deputy.region
    analyst, _ = User.objects.get_or_create(username="bench-dep-analyst", defaults={"role": Role.ANALYST})
    hq, _ = User.objects.get_or_create(username="bench-dep-hq", defaults={"role": Role.COORDINATOR})
    coordinator, _ = User.objects.get_or_create(
        username="bench-dep-regional", defaults={"role": Role.COORDINATOR}
    )
    assert party is not None and region is not None
    party.coordinators.add(hq, coordinator)
    RegionalCoordinator.objects.get_or_create(user=coordinator, region=region)
    clients = {"public": Client(), "analyst": Client(), "party HQ": Client(), "regional": Client()}
    for name, user in (("analyst", analyst), ("party HQ", hq), ("regional", coordinator)):
        clients[name].force_login(user)

    def page(who: str, url: str) -> tuple[str, object]:
        def call() -> None:
            response = clients[who].get(url)
            assert response.status_code == 200, (url, response.status_code)
            SIZES[f"{who} {url}"] = len(response.content)

        return f"{who} {url}", call

    def post() -> None:
        response = clients["public"].post(f"/deputies/{deputy.pk}/", appeal(uuid.uuid4().hex))
        assert response.status_code in (200, 302), response.status_code
        SIZES[f"public POST /deputies/{deputy.pk}/"] = len(response.content)

    RUNS[0] = args.runs
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':64} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}")
    print(f"{'floor: appeals per office (bare SELECT)':64} {floor[0]:8.1f} {floor[1]:8.1f}", flush=True)
    with override_settings(ALLOWED_HOSTS=["*"], OTKLIK_PUBLIC_APPEALS_PER_HOUR=10**6):
        for key, call in (
            page("public", "/deputies/"),
            page("public", f"/deputies/?region={region.pk}&level={Level.MUNICIPAL}&page=3"),
            page("public", f"/deputies/{deputy.pk}/"),
            page("analyst", "/deputies/rating/"),
            page("party HQ", "/deputies/rating/"),
            page("party HQ", "/deputies/rating/?days=30&page=5"),
            page("regional", "/deputies/rating/"),
            page("regional", "/deputies/rating/?page=2"),
            page("analyst", "/deputies/statistics/"),
            page("party HQ", "/deputies/statistics/"),
            page("analyst", "/api/deputies/rating/"),
            page("regional", "/api/deputies/rating/"),
        ):
            LAST[0] = key
            timed(call)
        # Last: each new appeal changes the figures the stored rating was computed from.
        LAST[0] = f"public POST /deputies/{deputy.pk}/"
        timed(post)
    t3 = time.perf_counter()
    done = service_counts.refresh()
    print(
        f"the service's figures after the posts: {done.cases} appeal(s) counted "
        f"in {time.perf_counter() - t3:.2f} s"
    )
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def timed(call: Any) -> tuple[float, float, float]:
    """p50 and p95 of the wall time and the median CPU time of this process (the web side of a
    request, without PostgreSQL's: the figure a busy shared machine disturbs least), printed at once."""
    cpu: list[float] = []

    def one() -> None:
        started = time.process_time()
        call()
        cpu.append((time.process_time() - started) * 1000)

    p50, p95 = data.measure(one, RUNS[0])
    cpu_p50 = statistics.median(cpu[1:])  # without the warm-up
    name = f"{LAST[0]} ({SIZES.get(LAST[0], 0) / 1024:.0f} KB)"
    print(f"{name:64} {p50:8.1f} {p95:8.1f} {cpu_p50:8.1f}", flush=True)
    return p50, p95, cpu_p50


if __name__ == "__main__":
    main()
