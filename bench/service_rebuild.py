"""The full rebuild of «Мой депутат»'s service figures (``otklik refresh-service-figures --rebuild``)
at the source document's size, on PostgreSQL: 3,000 deputies in 10 regions, 100,000 appeals.

    .venv/bin/python bench/service_rebuild.py --db h_review_bench --runs 3

Makes the data as ``bench/deputies.py`` does (own database ``--db``, created when missing; kept
between runs), then times :func:`otklik.deputies.service_counts.rebuild` ``--runs`` times beside the
floor (a bare ``SELECT`` counting the deputies' appeals by office) and prints the rows it wrote and
the load average; ``--check`` compares each appeal's fact as built with the one the incremental
recount computes in Python. Run from another checkout (e.g. a worktree of an earlier commit, with
this file and bench/deputies.py copied in, ``PYTHONPATH`` at that checkout) it times that
checkout's rebuild on the same data, for a before/after in the same minutes.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analytics as data
import deputies as scale


def main() -> None:
    parser = scale.arguments(__doc__, runs=3)
    parser.add_argument("--check", action="store_true", help="compare the built facts with fact_of's")
    args = parser.parse_args()
    data.DB = args.db
    data.ensure_database()
    data.setup_django()
    from django.core.management import call_command

    from otklik.cases.models import Case
    from otklik.deputies import service_counts
    from otklik.deputies.models import AppealFact, Deputy, ServiceWeek

    call_command("migrate", verbosity=0)
    if not Deputy.objects.exists():
        t0 = time.perf_counter()
        scale.generate(args.deputies, args.appeals, args.regions)
        print(f"set-up {time.perf_counter() - t0:.0f} s")
    offices = list(Deputy.objects.values_list("office_id", flat=True))
    print(f"{len(offices):,} deputies, {Case.objects.filter(agency__in=offices).count():,} appeals to them")
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    floor = data.measure(lambda: data.sql(scale.FLOOR, [offices]), args.runs)
    print(f"floor: appeals per office (bare SELECT) p50 {floor[0]:.0f} ms")
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        service_counts.rebuild()
        times.append(time.perf_counter() - t0)
        print(f"rebuild {times[-1]:.2f} s", flush=True)
    median = statistics.median(times)
    print(
        f"rebuild median {median:.2f} s ({median * 1000 / floor[0]:.0f}× the floor); "
        f"{AppealFact.objects.count():,} appeals counted, {ServiceWeek.objects.count():,} rows"
    )
    if args.check:
        # Each appeal's fact as the incremental recount computes it (Python), against the build's.
        district_of = service_counts.districts()
        by_office = {key[0]: (pk, key) for pk, key in service_counts.deputy_keys(district_of).items()}
        ids = list(Case.objects.filter(agency__in=offices).values_list("pk", flat=True))
        expected = service_counts._facts(ids, by_office, district_of)
        facts = AppealFact.objects.iterator(chunk_size=20_000)
        stored = {f.case_id: service_counts._stored(f) for f in facts}
        print(f"facts equal to fact_of's: {stored == expected} ({len(expected):,} appeals)")
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
