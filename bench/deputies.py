"""The deputies' service at the source document's size: 3,000 deputies with their reception offices
in 10 regions' councils and 100,000 appeals to them, on PostgreSQL.

    .venv/bin/python bench/deputies.py --deputies 3000 --appeals 100000

It works in its own database (``--db``, created when missing): loads the shipped region, makes the
deputies (a reception office each, two factions, ten councils), their appeals over a year (most
answered, some late, a third rated) and the page visits, rebuilds the analytics rollups, then prints
p50/p95 over ``--runs`` calls of the public directory, a deputy's page with the appeal form, the
party's rating of every deputy (as the center's analyst) and the service's figures
(``/deputies/statistics/``) — each the full Django view through the test client — beside the floor:
a bare ``SELECT`` counting the appeals per office.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data

FLOOR = "SELECT agency_id, count(*) FROM cases_case WHERE agency_id = ANY(%s) GROUP BY agency_id"
REGIONS = (
    "Саратовская", "Самарская", "Пензенская", "Волгоградская", "Ульяновская",
    "Тамбовская", "Воронежская", "Оренбургская", "Астраханская", "Курская",
)  # fmt: skip


def generate(deputies: int, appeals: int, seed: int = 3) -> list[int]:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from otklik.analytics.rollups import rebuild_rollups
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case, Rating
    from otklik.deputies.models import Deputy, Faction, Level, PageVisit
    from otklik.directory.choices import AgencyKind, Channel, TerritoryKind
    from otklik.directory.models import Agency, Territory
    from otklik.directory.regions import load_shipped_region

    call_command("migrate", verbosity=0)
    if not Territory.objects.exists():
        load_shipped_region("saratov")
    rng = random.Random(seed)
    districts = list(Territory.objects.filter(kind__in=(TerritoryKind.DISTRICT, TerritoryKind.OKRUG)))
    with transaction.atomic():
        data.sql("TRUNCATE cases_rating, cases_case RESTART IDENTITY CASCADE")
        Deputy.objects.all().delete()
        Agency.objects.filter(kind=AgencyKind.DEPUTY).delete()
        factions = [
            Faction.objects.get_or_create(name=n)[0] for n in ("Фракция «Созидание»", "Фракция «Развитие»")
        ]
        offices = Agency.objects.bulk_create(
            [
                Agency(
                    name=f"Приёмная депутата № {n + 1}",
                    short_name=f"Депутат № {n + 1}",
                    kind=AgencyKind.DEPUTY,
                )
                for n in range(deputies)
            ],
            batch_size=2000,
        )
        made = Deputy.objects.bulk_create(
            [
                Deputy(
                    full_name=f"Депутат {n + 1:04d} {rng.choice(('Иванов', 'Петрова', 'Сидоров', 'Орлова'))}",
                    level=Level.REGIONAL if n % 3 else Level.MUNICIPAL,
                    council=f"{REGIONS[n % len(REGIONS)]} областная дума",
                    faction=factions[n % 2],
                    constituency=f"Округ № {n % 50 + 1}",
                    office=office,
                )
                for n, office in enumerate(offices)
            ],
            batch_size=2000,
        )
        Deputy.territories.through.objects.bulk_create(
            [
                Deputy.territories.through(deputy_id=d.pk, territory_id=districts[n % len(districts)].pk)
                for n, d in enumerate(made)
            ],
            batch_size=5000,
        )
        now = timezone.now()
        cases = []
        for n in range(appeals):
            office = offices[
                min(int(rng.paretovariate(1.2)) - 1, deputies - 1) if n % 2 else rng.randrange(deputies)
            ]
            created = now - timedelta(days=rng.uniform(0, 360))
            answered = created + timedelta(days=rng.uniform(1, 40)) if rng.random() < 0.8 else None
            deadline = created + timedelta(days=30)
            cases.append(
                Case(
                    number=f"D-{n + 1}",
                    status=CaseStatus.CLOSED if answered and answered < now else CaseStatus.ASSIGNED,
                    text="Обращение к депутату",
                    title="Обращение к депутату",
                    channel=rng.choice((Channel.DEPUTY, Channel.DEPUTY, Channel.PHONE, Channel.WEB_FORM)),
                    agency=office,
                    territory=rng.choice(districts),
                    created_at=created,
                    assigned_at=created,
                    deadline_at=deadline,
                    answered_at=answered if answered and answered < now else None,
                    answer_working_minutes=int(rng.uniform(300, 9000)) if answered else None,
                    is_overdue=answered is None and deadline < now,
                )
            )
        made_cases = Case.objects.bulk_create(cases, batch_size=5000)
        Rating.objects.bulk_create(
            [
                Rating(case=c, score=rng.choice((5, 5, 4, 3, 1)))
                for c in made_cases
                if c.answered_at and rng.random() < 0.35
            ],
            batch_size=5000,
        )
        today = timezone.localdate()
        PageVisit.objects.bulk_create(
            [
                PageVisit(deputy=d, day=today - timedelta(days=k), count=rng.randrange(0, 30))
                for d in made
                for k in range(0, 84, 7)
            ],
            batch_size=5000,
        )
    rebuild_rollups()
    return [d.office_id for d in made]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deputies", type=int, default=3000)
    parser.add_argument("--appeals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", default="otklik_bench_deputies")
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
    from otklik.deputies.models import Deputy

    t0 = time.perf_counter()
    if args.reuse and Deputy.objects.exists():
        offices = list(Deputy.objects.values_list("office_id", flat=True))
    else:
        offices = generate(args.deputies, args.appeals)
    print(
        f"{Deputy.objects.count():,} deputies, {Case.objects.count():,} appeals; "
        f"set-up {time.perf_counter() - t0:.0f} s"
    )
    floor = data.measure(lambda: data.sql(FLOOR, [offices]), args.runs)
    analyst, _ = User.objects.get_or_create(username="bench-dep-analyst", defaults={"role": Role.ANALYST})
    public, staff = Client(), Client()
    staff.force_login(analyst)
    busiest = Case.objects.values("agency").annotate(n=Count("pk")).order_by("-n")[0]["agency"]
    deputy = Deputy.objects.get(office_id=busiest)
    sizes: dict[str, int] = {}

    def page(client: Client, url: str) -> tuple[str, object]:
        def call() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            sizes[url] = len(response.content)

        return url, call

    with override_settings(ALLOWED_HOSTS=["*"]):
        rows = {}
        for url, call in (
            page(public, "/deputies/"),
            page(public, f"/deputies/{deputy.pk}/"),
            page(staff, "/deputies/rating/"),
            page(staff, "/deputies/statistics/"),
        ):
            rows[url] = data.measure(call, args.runs)  # type: ignore[arg-type]
    print(f"{'':44} {'p50 ms':>8} {'p95 ms':>8} {'× floor':>8}")
    print(f"{'floor: appeals per office (bare SELECT)':44} {floor[0]:8.1f} {floor[1]:8.1f} {1:8.1f}")
    for url, (p50, p95) in rows.items():
        name = f"GET {url} ({sizes[url] / 1024:.0f} KB)"
        print(f"{name:44} {p50:8.1f} {p95:8.1f} {p50 / floor[0]:8.1f}")


if __name__ == "__main__":
    main()
