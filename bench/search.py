"""The operators' search and the call center's caller look-up on a large table, with and without
their indexes (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres otklik_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/otklik_search_bench \\
        .venv/bin/python bench/search.py --cases 300000 --runs 7

Fills ``DATABASE_URL`` (a private PostgreSQL database: it is migrated and written to) up to
``--cases`` cases, each with one message from a caller (a name from a short list and a phone of
its own), in one ``INSERT … SELECT generate_series``; the texts are forty everyday problems (each query
matches a few per cent of the cases, as in the demo: «отопление» 114 of 3,029) written in several
word forms ("нет отопления", "отопление отключили", "ёлку не убрали" …). Then, for
each query, the median of ``--runs`` runs of what the operator's page asks — the number of matching
cases (the queue's counter) and the 50 newest (its first page) — and the caller look-up (cases of
one phone, of one name), first with the indexes of cases/0011 and intake/0013, then with them
dropped inside a transaction that is rolled back (the same query scanning the table). Prints the
plans' first lines. Copy the figures to docs/benchmarks.md with ``uptime``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otklik.settings")

PROBLEMS = (
    "Нет отопления в квартире, батареи холодные",
    "Отопление отключили без предупреждения",
    "Холодные батареи в подъезде вторую неделю",
    "Яма на дороге у остановки, машины бьют колёса",
    "Не вывозят мусор со двора",
    "Прорвало трубу, вода в подвале",
    "Ёлку на площади так и не убрали",
    "Не горит фонарь во дворе",
    "Сломаны качели на детской площадке",
    "Нет горячей воды третий день",
    "Упал столб, провода на земле",
    "Автобус не ходит по расписанию",
    "Снег не убирают с тротуара",
    "Лифт не работает уже месяц",
    "Во дворе бродячие собаки, страшно выпускать детей",
    "Управляющая компания не отвечает на звонки",
    "Течёт крыша над последним этажом",
    "Шумят соседи по ночам",
    "Нет освещения в парке",
    "Не хватает мест в детском саду",
    "В поликлинике очередь к терапевту на месяц вперёд",
    "Незаконная свалка за гаражами",
    "Перекопали тротуар и бросили",
    "Маршрутка не останавливается на остановке",
    "Запах канализации в подъезде",
    "Не работает светофор на перекрёстке",
    "Сломана лавочка у подъезда",
    "Подтопило дорогу после дождя",
    "Высокая трава на газонах, никто не косит",
    "Дорогу к школе не чистят от наледи",
    "Сосулькам с крыши никто не занимается",
    "Протекает батарея в квартире",
    "Пенсионерам негде купить хлеб в посёлке",
    "Заброшенное здание, туда лазят дети",
    "Скамейки в сквере поломаны",
    "Плохая мобильная связь в деревне",
    "Мусорные баки переполнены",
    "Нет пандуса у входа в аптеку",
    "Автомобили паркуются на газоне",
    "Не вывозят строительный мусор после ремонта",
)
STREETS = ("ул. Ленина", "ул. Мира", "пр-т Строителей", "ул. Тельмана", "ул. Пугачёва", "ул. Вольская")
NAMES = ("Иван Петров", "Мария Сидорова", "Пётр Иванов", "Анна Кузнецова", "Сергей Фёдоров")
QUERIES = ("отопление", "отопления", "ёлка", "трубы подвал", "фонарь", "отоп")
INDEXES = ("case_search_vector", "case_number_trgm", "message_author_id", "message_author_name_trgm")


def fill(total: int) -> float:
    """Cases and their callers' messages up to ``total``, in SQL."""
    from django.db import connection

    from otklik.cases.models import Case
    from otklik.intake.models import Source

    have = Case.objects.count()
    if have >= total:
        return 0.0
    source, _ = Source.objects.get_or_create(
        code="bench-calls", defaults={"name": "Бенч", "channel": "phone"}
    )
    start = time.perf_counter()
    params = {
        "first": have + 1,
        "total": total,
        "problems": list(PROBLEMS),
        "np": len(PROBLEMS),
        "streets": list(STREETS),
        "ns": len(STREETS),
        "names": list(NAMES),
        "nn": len(NAMES),
        "source": source.pk,
        "step": 4 * 365 * 86400 / total,
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO cases_case (number, status, title, text, channel, understanding, is_urgent, address,
                message_count, author_count, created_at, updated_at, is_overdue, reopen_count,
                extended_days)
            SELECT 'S-' || g, 'closed', left(p, 60), p || '. Дом ' || (g %% 97) || ', подъезд ' || (g %% 7),
                'phone', '{}'::jsonb, false, (%(streets)s::text[])[1 + g %% %(ns)s] || ', ' || (g %% 97),
                1, 1, t, t, false, 0, 0
            FROM generate_series(%(first)s, %(total)s) AS g,
                LATERAL (SELECT (%(problems)s::text[])[1 + (g * 7) %% %(np)s] AS p) AS problem,
                LATERAL (SELECT now() - (%(total)s - g) * make_interval(secs => %(step)s) AS t) AS moment
            """,
            params,
        )
        cursor.execute(
            """
            INSERT INTO intake_message (source_id, external_id, channel, case_id, author_name, author_id,
                author_contact, text, url, photo, posted_at, received_at, is_relevant, text_hash, raw)
            SELECT %(source)s, 'call-' || c.id, 'phone', c.id,
                (%(names)s::text[])[1 + c.id %% %(nn)s] || ' ' || c.id, 'tel:9' || lpad(c.id::text, 9, '0'),
                '', c.text, '', '', c.created_at, c.created_at, true, '', '{}'::jsonb
            FROM cases_case c WHERE c.number LIKE 'S-%%' AND c.id >= (
                SELECT coalesce(max(case_id), 0) + 1 FROM intake_message)
            """,
            params,
        )
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE intake_message")
    return time.perf_counter() - start


def median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measurements(runs: int) -> dict[str, float]:
    from otklik.accounts.choices import Role
    from otklik.accounts.models import User
    from otklik.cases.filters import CaseFilter
    from otklik.cases.models import Case
    from otklik.intake.callers import find_caller_cases

    operator = User.objects.filter(username="bench-callcenter").first() or User.objects.create_user(
        "bench-callcenter", password="bench-pass-123", role=Role.SUPERVISOR
    )
    found: dict[str, float] = {}
    for q in QUERIES:
        qs = CaseFilter({"q": q}, Case.objects.all()).qs
        found[f"«{q}»: count"] = median_ms(lambda qs=qs: qs.count(), runs)
        found[f"«{q}»: 50 newest"] = median_ms(lambda qs=qs: list(qs.order_by("-created_at")[:50]), runs)
    phone, name = "+7 (900) 001-23-45", "Пётр Иванов 12"
    found["caller by phone"] = median_ms(lambda: find_caller_cases(operator, phone), runs)
    found["caller by name"] = median_ms(lambda: find_caller_cases(operator, name), runs)
    return found


def plan_head(q: str) -> str:
    from otklik.cases.filters import CaseFilter
    from otklik.cases.models import Case

    shown = CaseFilter({"q": q}, Case.objects.all()).qs.order_by().explain()
    return "\n".join("    " + line[:150] for line in shown.splitlines()[:6])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must point at a private PostgreSQL database")
    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    took = fill(args.cases)
    from otklik.cases.models import Case

    print(f"cases: {Case.objects.count():,} ({f'made in {took:.0f} s' if took else 'already there'})")
    print("plan with the indexes («отопления»):\n" + plan_head("отопления"))
    indexed = measurements(args.runs)
    with transaction.atomic():
        with connection.cursor() as cursor:
            for index in INDEXES:
                cursor.execute(f'DROP INDEX "{index}"')
        print("plan without them:\n" + plan_head("отопления"))
        scanned = measurements(args.runs)
        transaction.set_rollback(True)
    print(f"\n{'query (median of ' + str(args.runs) + ' runs)':<36} {'indexed, ms':>12} {'scan, ms':>10}")
    for key, ms in indexed.items():
        print(f"{key:<36} {ms:>12.1f} {scanned[key]:>10.1f}")


if __name__ == "__main__":
    main()
