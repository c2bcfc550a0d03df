"""The public side at scale: Open311 ``GET /requests`` and the public problem map against a bare
query of the same rows.

    .venv/bin/python bench/public.py --cases 500000 --messages 1000000

It works in its own PostgreSQL database (``otklik_bench_public`` on 127.0.0.1, created when missing;
the ``test`` database is never touched) and fills it with the analytics bench's generator
(:func:`analytics.generate`: the shipped Saratov region, the default categories, cases spread over
``--years`` with points, statuses and categories, generated inside PostgreSQL). Then it prints p50/p95
of each public endpoint (the full Django view through the test client, no login) beside the floor: a
bare ``SELECT`` of the same 1,000 rows and columns through the same connection, and their ratio.

Generated texts are short phrases of the analytics bench; no real appeal text is used.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data

data.DB = "otklik_bench_public"

FLOOR = """
    SELECT c.number, c.status, c.text, c.lat, c.lon, c.address, c.created_at, c.updated_at,
           c.deadline_at, cat.code, cat.name, a.name, t.name
    FROM cases_case c
    LEFT JOIN directory_category cat ON cat.id = c.category_id
    LEFT JOIN directory_agency a ON a.id = c.agency_id
    LEFT JOIN directory_territory t ON t.id = c.territory_id
    WHERE (c.status NOT IN ('new', 'moderation', 'rejected', 'merged') OR c.channel = 'open311')
      AND c.status <> 'merged' AND c.created_at >= now() - interval '90 days' AND c.created_at <= now()
    ORDER BY c.created_at DESC, c.id DESC LIMIT 1000
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=500_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=2, help="history the cases are spread over")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep the generated data")
    args = parser.parse_args()

    data.ensure_database()
    data.setup_django()
    from django.test import Client

    from otklik.cases.models import Case

    if not args.reuse:
        timings = data.generate(args.cases, args.messages, args.years)
        print("generated: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    print(f"{Case.objects.count():,} cases")

    client = Client()
    one = Case.objects.exclude(status__in=["new", "moderation", "rejected", "merged"]).latest("created_at")

    def get(url: str, **params: str) -> Callable[[], Any]:
        def call() -> None:
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)

        return call

    floor = data.measure(lambda: data.sql(FLOOR), args.runs)
    rows = len(data.sql(FLOOR))
    endpoints = {
        f"open311 GET requests.json ({rows} rows)": get("/open311/v2/requests.json"),
        f"open311 GET requests.xml ({rows} rows)": get("/open311/v2/requests.xml"),
        "open311 GET requests/{id}.json": get(f"/open311/v2/requests/{one.number}.json"),
        "open311 GET services.json": get("/open311/v2/services.json"),
        "problem map, 90 days": get("/public/map/"),
        "problem map, 365 days, one category": get("/public/map/", days="365", category="housing"),
        "problem page": get(f"/public/problems/{one.number}/"),
    }
    print(f"{'endpoint':44} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'floor: bare SELECT of the same 1,000 rows':44} {floor[0]:8.1f} {floor[1]:8.1f}")
    for name, call in endpoints.items():
        p50, p95 = data.measure(call, args.runs)
        ratio = f"{p50 / floor[0]:6.1f}× floor" if "rows" in name else ""
        print(f"{name:44} {p50:8.1f} {p95:8.1f}  {ratio}")


if __name__ == "__main__":
    main()
