"""Scale-out changes nothing: two Celery workers make exactly the cases, joins and dead letters that
one process makes from the same batches (PostgreSQL, real worker processes on Redis).

The batches are full of near-duplicates spread over batches that run at the same time on the two
workers — the case where, without the ordered deciding of :mod:`otklik.intake.pipeline.order`, each
worker opened its own case for the same problem.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import pytest
from django.db import connection

from otklik.intake.models import DeadLetter, Message, QueuedBatch
from otklik.intake.pipeline import run_batch
from otklik.intake.tasks import enqueue_batches

from .celery_workers import poll, reachable_broker, require_postgresql, start_worker, stop_workers
from .conftest import NOW

BATCH = 25
STREETS = ["Тельмана", "Ленина", "Горького", "Мира", "Степная", "Полтавская", "Кирова", "Маяковского"]
PROBLEMS = [
    "третий день нет горячей воды, управляющая компания не отвечает на звонки",
    "огромная яма на дороге у остановки, машины объезжают по тротуару",
    "не вывозят мусор с контейнерной площадки уже неделю, всё переполнено",
    "во дворе не горят фонари, вечером детям страшно идти из школы",
    "из подвала течёт вода и затапливает подъезд, пахнет канализацией",
    "холодные батареи в квартирах всего дома, отопление не работает",
]


def _items() -> list[dict]:
    """Families of the same complaint (the same text from other people, reposts, rewordings), single
    messages, spam and malformed items, shuffled so that a family spans several batches."""
    rng = random.Random(13)
    items: list[dict] = []
    n = 0

    def add(text: str, **extra: object) -> None:
        nonlocal n
        n += 1
        posted = NOW - timedelta(hours=rng.uniform(1, 40))
        items.append(
            {
                "source": "vk-engels",
                "external_id": f"so-{n}",
                "author_id": f"a{n % 97}",
                "text": text,
                "posted_at": posted.isoformat(),
                **extra,
            }
        )

    for family in range(24):
        street, problem = STREETS[family % len(STREETS)], PROBLEMS[family % len(PROBLEMS)]
        base = f"Энгельс, улица {street}, дом {family + 3}: {problem}"
        add(base)
        for _ in range(rng.randint(1, 3)):
            add(base)  # the same text from someone else
        add(f"Репост. {base}. Помогите, сколько можно терпеть!")
        words = base.split()
        add(" ".join(["Люди,", *words[:6], "опять", *words[6:], "— когда это закончится?"]))
    for single in range(60):
        add(
            f"Энгельс, улица {STREETS[single % len(STREETS)]}, дом {100 + single}: "
            f"{PROBLEMS[(single * 5) % len(PROBLEMS)]}, заявка номер {single}"
        )
    for spam in range(15):
        add(f"Продам гараж недорого, звоните в любое время, торг уместен {spam}")
    for bad in range(6):
        add(f"Не работает лифт в доме {bad} по улице Мира уже второй день, жильцы", category="no-such-code")
    items.append(
        {"source": "vk-engels", "external_id": "so-no-text", "text": "", "posted_at": NOW.isoformat()}
    )
    items.append({"source": "vk-engels", "external_id": "so-bad-date", "text": "Яма", "posted_at": "вчера"})
    rng.shuffle(items)
    # Redeliveries: a few items sent again in later batches.
    items += [dict(item) for item in rng.sample(items[: len(items) // 2], 10)]
    return items


def _snapshot() -> dict:
    """What the pipeline made: each case as the set of its messages with what was decided for it."""
    groups: dict[int, list[str]] = {}
    without_case = []
    for external_id, case_id in Message.objects.values_list("external_id", "case_id"):
        if case_id is None:
            without_case.append(external_id)
        else:
            groups.setdefault(case_id, []).append(external_id)
    cases = {}
    from otklik.cases.models import Case

    for case in Case.objects.select_related("category", "territory", "agency", "suggested_category"):
        members = tuple(sorted(groups.get(case.pk, [])))
        cases[members] = (
            case.status,
            case.category.code if case.category else None,
            case.suggested_category.code if case.suggested_category else None,
            case.territory.name if case.territory else None,
            case.agency.name if case.agency else None,
            case.message_count,
            case.author_count,
            case.is_urgent,
        )
    return {
        "cases": cases,
        "without_case": sorted(without_case),
        "dead_letters": sorted(DeadLetter.objects.values_list("external_id", "stage", "reason", "attempts")),
    }


def _wipe() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE intake_similaritykey, intake_message, intake_deadletter, intake_queuedbatch, "
            "cases_case CASCADE"
        )


@pytest.mark.django_db(transaction=True)
def test_two_workers_make_exactly_the_cases_of_one_process(region) -> None:
    require_postgresql()
    broker = reachable_broker("redis")
    items = _items()
    batches = [items[i : i + BATCH] for i in range(0, len(items), BATCH)]

    for batch in batches:  # one process, batch after batch
        run_batch(batch, now=NOW)
    one = _snapshot()
    assert len(one["cases"]) > 40 and any(len(members) > 3 for members in one["cases"])
    assert {stage for _, stage, _, _ in one["dead_letters"]} == {"normalize", "categorize"}

    _wipe()
    queue = f"test-scale-{uuid.uuid4().hex[:10]}"
    workers = [start_worker(queue, broker, name=f"w{i}-{queue}") for i in range(2)]
    try:
        assert enqueue_batches(items, batch_size=BATCH, now=NOW, queue=queue, broker_url=broker) == len(
            batches
        )
        poll(lambda: not QueuedBatch.objects.exists(), 300, "the two workers to commit every batch")
        assert all(w.poll() is None for w in workers), "a worker died"
    finally:
        stop_workers(workers, queue, broker)
    two = _snapshot()

    assert two["dead_letters"] == one["dead_letters"]
    assert two["without_case"] == one["without_case"]
    assert sorted(two["cases"]) == sorted(one["cases"])  # the same messages joined into the same cases
    assert two["cases"] == one["cases"]  # with the same decisions


@pytest.mark.django_db
def test_a_lost_or_dead_batch_never_holds_the_pipeline_up(settings) -> None:
    import time

    from otklik.intake.pipeline import order

    require_postgresql()
    settings.OTKLIK_PIPELINE_ORDER_WAIT_SECONDS = 1.5
    lost = order.register()  # sent, never taken by a worker (the broker lost it)
    mine = order.register()
    assert lost is not None and mine is not None and lost < mine
    started = time.monotonic()
    order.wait_turn(mine)
    assert time.monotonic() - started < order.START_GRACE_SECONDS + 1  # a second's grace, no more

    dead = order.register()  # taken by a worker that was then killed
    order.start(dead)
    last = order.register()
    started = time.monotonic()
    order.wait_turn(last)
    waited = time.monotonic() - started
    assert 1.4 < waited < 4  # waited for it, for OTKLIK_PIPELINE_ORDER_WAIT_SECONDS
