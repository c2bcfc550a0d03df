"""The ordered pipeline's turn (PostgreSQL): what a batch makes before its turn, and the wake-up at a
commit. That two workers make exactly one process's cases is ``test_scale_out.py``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction

from otklik.intake.models import Message
from otklik.intake.pipeline import order, run_batch, runner, similar

from .celery_workers import database_url, require_postgresql
from .conftest import NOW

PROBLEMS = [
    "Энгельс, улица Тельмана, дом 5: третий день нет горячей воды, управляющая компания не отвечает",
    "Энгельс, улица Ленина, дом 12: огромная яма на дороге у остановки, машины объезжают по тротуару",
    "Энгельс, улица Мира, дом 3: не вывозят мусор с контейнерной площадки уже неделю, всё переполнено",
]


def _item(n: int, text: str, hours: float) -> dict:
    return {
        "source": "vk-engels",
        "external_id": f"order-{n}",
        "author_id": f"a{n}",
        "text": text,
        "posted_at": (NOW - timedelta(hours=hours)).isoformat(),
    }


def _fingerprints_kept_at_the_turn(monkeypatch: pytest.MonkeyPatch) -> set[tuple[int, str]]:
    """As in a worker that did not write the stored messages: its fingerprint cache empty and the
    batch before not its own; returns the fingerprints it holds when its batch takes the turn."""
    similar._FINGERPRINTS.clear()
    monkeypatch.setattr(runner, "_last_sequence", None)
    kept_at_turn: set[tuple[int, str]] = set()
    take_turn = order.take_turn

    def spy() -> None:
        kept_at_turn.update(similar._FINGERPRINTS)
        take_turn()

    monkeypatch.setattr(order, "take_turn", spy)
    return kept_at_turn


@pytest.mark.django_db(transaction=True)
def test_a_batch_after_another_process_s_makes_the_candidates_fingerprints_before_its_turn(
    region, monkeypatch
) -> None:
    """The stored messages a batch's keys find, written by another worker (whose fingerprints this
    process never made), are fingerprinted before the batch takes the deciding lock; the reposts then
    join their cases as they would without it."""
    require_postgresql()
    first = run_batch([_item(i, text, 30) for i, text in enumerate(PROBLEMS)], now=NOW)
    assert first.created_cases == len(PROBLEMS)
    stored = {
        (pk, digest): case_id
        for pk, digest, case_id in Message.objects.values_list("pk", "text_hash", "case_id")
    }
    kept_at_turn = _fingerprints_kept_at_the_turn(monkeypatch)
    sequence = order.register()
    reposts = [
        _item(10 + i, f"Репост. {text}. Помогите, сколько можно!", 2) for i, text in enumerate(PROBLEMS)
    ]
    result = run_batch(reposts, now=NOW, sequence=sequence)

    assert set(stored) <= kept_at_turn  # made before the turn, from the stored texts
    assert result.attached == len(PROBLEMS) and result.created_cases == 0
    for i in range(len(PROBLEMS)):  # each repost in its problem's case
        repost, original = (Message.objects.get(external_id=f"order-{n}") for n in (10 + i, i))
        assert repost.case_id == original.case_id


SHUTTERS = "Самовольно установлены роллеты на лицевом фасаде"
SHUTTERS_REWORDED = "Роллеты на лицевом фасаде, установлены самовольно"


@pytest.mark.django_db(transaction=True)
def test_only_the_candidates_in_the_item_s_place_are_fingerprinted_before_and_in_the_turn(
    region, monkeypatch
) -> None:
    """A template stored at five buildings by another worker: a reworded one at house 3 finds all
    five by its keys, fingerprints only house 3's message (before its turn; the others' cases are in
    another building, never scored) and joins house 3's case, as when every candidate was scored."""
    require_postgresql()
    houses = [f"Энгельс, улица Тельмана, дом {n}" for n in range(1, 6)]
    first = run_batch(
        [{**_item(i, SHUTTERS, 30), "address": house} for i, house in enumerate(houses)], now=NOW
    )
    assert first.created_cases == len(houses)
    at_house_3 = Message.objects.get(external_id="order-2")
    kept_at_turn = _fingerprints_kept_at_the_turn(monkeypatch)
    reworded = {**_item(10, SHUTTERS_REWORDED, 2), "address": houses[2]}
    result = run_batch([reworded], now=NOW, sequence=order.register())

    assert kept_at_turn == {(at_house_3.pk, at_house_3.text_hash)}
    assert (result.attached, result.created_cases) == (1, 0)
    assert Message.objects.get(external_id="order-10").case_id == at_house_3.case_id
    stored = {(m.pk, m.text_hash) for m in Message.objects.exclude(external_id="order-10")}
    assert stored & set(similar._FINGERPRINTS) == kept_at_turn  # nor in the turn


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("ordered", [False, True])
def test_a_key_whose_latest_candidates_closed_still_joins_the_right_open_case(
    region, monkeypatch, ordered
) -> None:
    """One template at twelve buildings, the nine latest cases closed: a key's first read (its latest
    few) finds only closed cases, so older ones are read — a reworded message at the second building
    joins that building's case, as reading every stored message of the key does; also before the
    turn after another worker's batch (the stored fingerprints made ahead)."""
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case

    houses = [f"Энгельс, улица Тельмана, дом {n}" for n in range(1, 13)]
    run_batch([{**_item(i, SHUTTERS, 40 - i), "address": house} for i, house in enumerate(houses)], now=NOW)
    stored = [Message.objects.get(external_id=f"order-{i}") for i in range(len(houses))]
    assert len({m.case_id for m in stored}) == len(houses)
    Case.objects.filter(pk__in=[m.case_id for m in stored[3:]]).update(status=CaseStatus.CLOSED)
    if ordered:
        require_postgresql()
        similar._FINGERPRINTS.clear()  # as in a worker that did not write them
        monkeypatch.setattr(runner, "_last_sequence", None)
    reworded = {**_item(20, SHUTTERS_REWORDED, 2), "address": houses[1]}
    result = run_batch([reworded], now=NOW, sequence=order.register() if ordered else None)

    assert (result.attached, result.created_cases) == (1, 0)
    assert Message.objects.get(external_id="order-20").case_id == stored[1].case_id


@pytest.mark.django_db(transaction=True)
def test_the_commit_of_a_batch_wakes_the_batches_waiting_for_their_turn() -> None:
    """``mark_committed`` notifies the waiting batches when the batch commits — not before (a waiting
    batch must see the committed cases when it looks)."""
    require_postgresql()
    sequence = order.register()
    assert sequence is not None
    with psycopg.connect(database_url(), autocommit=True) as listener:
        listener.execute(f"LISTEN {order.DECIDED_CHANNEL}")
        with transaction.atomic():
            order.mark_committed(sequence)
            assert list(listener.notifies(timeout=0.2)) == []  # still inside the transaction
        woken = list(listener.notifies(timeout=10, stop_after=1))
    assert [n.channel for n in woken] == [order.DECIDED_CHANNEL]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM intake_queuedbatch WHERE id = %s", [sequence])
        assert cursor.fetchone()[0] == 0


def _located(monkeypatch) -> list[str]:
    """The texts the place stage looks at from now on (the last of understanding's stages)."""
    from otklik.intake.pipeline import understand

    seen: list[str] = []
    locate = understand.places.locate

    def spy(text: str, **kwargs):
        seen.append(text)
        return locate(text, **kwargs)

    monkeypatch.setattr(understand.places, "locate", spy)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_repeat_of_an_open_case_is_not_understood_before_its_turn(region, monkeypatch) -> None:
    """The same text as a message of an open case, and a message stored already, are seen as such
    before understanding: understanding skips them (dedup in the turn attaches and drops them, as it
    would have without), the others are understood as before."""
    require_postgresql()
    first = run_batch([_item(i, text, 30) for i, text in enumerate(PROBLEMS[:2])], now=NOW)
    assert first.created_cases == 2
    located = _located(monkeypatch)
    result = run_batch(
        [_item(10, PROBLEMS[0], 2), _item(1, PROBLEMS[1], 30), _item(11, PROBLEMS[2], 2)], now=NOW
    )
    assert located == [PROBLEMS[2]]
    assert (result.attached, result.duplicates, result.created_cases) == (1, 1, 1)
    repeat, original = (Message.objects.get(external_id=f"order-{n}") for n in (10, 0))
    assert repeat.case_id == original.case_id


@pytest.mark.django_db(transaction=True)
def test_a_repeat_whose_case_closed_before_the_turn_is_understood_in_the_turn(region, monkeypatch) -> None:
    """A repeat that dedup no longer attaches when the batch's turn comes (its case was closed
    meanwhile) is understood in the turn: it opens its own case, understood as any new message."""
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case

    require_postgresql()
    run_batch([_item(0, PROBLEMS[0], 30)], now=NOW)
    original = Case.objects.get()
    located = _located(monkeypatch)
    take_turn = order.take_turn

    def close_then_take_turn() -> None:
        Case.objects.filter(pk=original.pk).update(status=CaseStatus.CLOSED)
        take_turn()

    monkeypatch.setattr(order, "take_turn", close_then_take_turn)
    result = run_batch([_item(10, PROBLEMS[0], 2)], now=NOW)

    assert (result.attached, result.created_cases, result.dead_letters) == (0, 1, 0)
    assert located == [PROBLEMS[0]]  # in the turn, not before it
    new = Case.objects.exclude(pk=original.pk).get()
    for name in ("suggested_category_id", "suggested_territory_id", "is_urgent", "title", "status"):
        assert getattr(new, name) == getattr(original, name), name
    assert new.understanding["place"] == original.understanding["place"]


@pytest.mark.django_db(transaction=True)
def test_keys_stored_after_a_batch_read_its_candidates_are_read_in_its_turn(region, monkeypatch) -> None:
    """A batch reads the stored similarity keys before its turn; the keys another batch stores
    meanwhile are read in the turn: the repost of a message committed in between joins its case."""
    require_postgresql()
    run_batch([_item(0, PROBLEMS[0], 30)], now=NOW)
    wait_turn = order.wait_turn

    def another_batch_commits_first(sequence: int) -> float:
        run_batch([_item(1, PROBLEMS[1], 20)], now=NOW)
        return wait_turn(sequence)

    monkeypatch.setattr(order, "wait_turn", another_batch_commits_first)
    sequence = order.register()
    repost = _item(10, f"Репост. {PROBLEMS[1]}. Помогите, сколько можно!", 2)
    result = run_batch([repost], now=NOW, sequence=sequence)

    assert (result.attached, result.created_cases) == (1, 0)
    joined, original = (Message.objects.get(external_id=f"order-{n}") for n in (10, 1))
    assert joined.case_id == original.case_id


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closed", [0, 3, 5])
def test_a_key_s_candidates_are_its_latest_read_alone_or_the_whole_key_when_too_few_are_open(
    region, monkeypatch, closed
) -> None:
    """Of a similarity key only its latest few stored messages are read (a templated complaint's key
    is shared by thousands): the candidates are the ones reading every message of the key gives —
    its latest of open cases — also when the latest read are of closed cases (then older ones are read,
    more each round, until enough are open or none is left), and also from the keys read before the
    turn."""
    require_postgresql()
    from types import SimpleNamespace

    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case
    from otklik.intake import dedup

    # one text at six buildings: six cases, every message with the same similarity keys
    run_batch(
        [dict(_item(i, PROBLEMS[0], 40 - i), address=f"г. Энгельс, ул. Мира, д. {i + 1}") for i in range(6)],
        now=NOW,
    )
    ids = {i: Message.objects.get(external_id=f"order-{i}") for i in range(6)}
    assert len({m.case_id for m in ids.values()}) == 6
    Case.objects.filter(pk__in=[ids[5 - n].case_id for n in range(closed)]).update(status=CaseStatus.CLOSED)
    target = SimpleNamespace(posted_at=NOW, lookup_keys=dedup.fingerprint(PROBLEMS[0]).lookup_keys())
    monkeypatch.setattr(similar, "_MAX_PER_KEY", 2)

    def candidates(read: int, *, ahead: bool) -> dict[int, set[int]]:
        monkeypatch.setattr(similar, "_READ_PER_KEY", read)
        prefetched = similar._prefetch_keys(*similar._window([target])) if ahead else None
        by_key, _ = similar._candidates([target], prefetched)
        return {key: {mid for mid, _ in rows} for key, rows in by_key.items()}

    everything = candidates(1000, ahead=False)
    latest_open = {ids[i].pk for i in range(6 - closed)[-2:]}
    assert everything and all(found == latest_open for found in everything.values())
    assert candidates(2, ahead=False) == everything
    assert candidates(2, ahead=True) == everything
    assert candidates(3, ahead=True) == everything
    assert candidates(1, ahead=True) == everything


@pytest.mark.django_db(transaction=True)
def test_the_turn_s_commit_and_the_side_effects_after_it_are_timed_apart(region) -> None:
    """``commit`` is the commit the next batch's turn waits for; ``after_commit`` what the batch left
    to do once committed (its notifications sent), which holds no other batch up."""
    require_postgresql()
    timings: dict[str, float] = {}
    result = run_batch([_item(0, PROBLEMS[0], 3)], now=NOW, timings=timings)
    assert result.created_cases == 1
    assert {"lock", "persist", "commit", "after_commit"} <= set(timings)


LAMPS = "Во дворе дома не горят фонари уже вторую неделю, вечером темно и опасно ходить"


def _between_look_up_and_turn(monkeypatch: pytest.MonkeyPatch, change: Callable[[], object]) -> None:
    """An operator's change, committed after the batch's look-up before its turn and before the turn."""
    wait_turn = order.wait_turn

    def operator_then_wait(sequence: int) -> float:
        change()
        return wait_turn(sequence)

    monkeypatch.setattr(order, "wait_turn", operator_then_wait)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change, joins",
    [
        ("nothing", "house 3"),
        ("closed", None),
        ("moved out", None),
        ("rerouted", None),
        ("moved in", "house 1"),
        ("reopened", "house 3"),
        ("merged", "lamps"),
        ("message deleted", None),
    ],
)
def test_an_operator_s_change_after_the_look_up_is_seen_in_the_turn(
    region, monkeypatch, change, joins
) -> None:
    """The look-up before the turn reads which candidates are of open cases and where; an operator
    who closes, reopens, moves (its address), reroutes (to another district) or merges a candidate's
    case, or deletes the candidate, after it and before the turn: the turn decides on the case as it
    is then — a closed case is never joined, a case moved into the message's building is — as one
    process deciding at that moment."""
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case

    require_postgresql()
    houses = {"house 1": "Энгельс, улица Тельмана, дом 1", "house 3": "Энгельс, улица Тельмана, дом 3"}
    run_batch(
        [
            {**_item(0, f"Энгельс. {SHUTTERS}", 30), "address": houses["house 1"]},
            {**_item(1, f"Энгельс. {SHUTTERS}", 29), "address": houses["house 3"]},
            {**_item(2, f"Энгельс. {LAMPS}", 28), "address": houses["house 3"]},
        ],
        now=NOW,
    )
    message = {name: Message.objects.get(external_id=f"order-{n}") for n, name in enumerate(houses)}
    case = {name: m.case for name, m in message.items()}
    case["lamps"] = Message.objects.get(external_id="order-2").case
    assert len({c.pk for c in case.values()}) == 3
    assert {c.suggested_territory_id for c in case.values()} == {region["engels"].pk}
    if change in ("moved in", "reopened"):  # no candidate open at house 3 when the batch looks up
        Case.objects.filter(pk=case["house 3"].pk).update(status=CaseStatus.CLOSED)

    def operator() -> None:
        if change == "closed":
            Case.objects.filter(pk=case["house 3"].pk).update(status=CaseStatus.CLOSED)
        elif change == "moved out":
            Case.objects.filter(pk=case["house 3"].pk).update(address="Энгельс, улица Тельмана, дом 9")
        elif change == "rerouted":  # to another district: not the message's place
            Case.objects.filter(pk=case["house 3"].pk).update(
                territory=region["balakovo_district"], suggested_territory=region["balakovo_district"]
            )
        elif change == "moved in":
            Case.objects.filter(pk=case["house 1"].pk).update(address=houses["house 3"])
        elif change == "reopened":
            Case.objects.filter(pk=case["house 3"].pk).update(status=CaseStatus.IN_PROGRESS)
        elif change == "merged":  # as cases.actions.work.merge does
            Case.objects.filter(pk=case["house 3"].pk).update(status=CaseStatus.MERGED)
            case["house 3"].messages.update(case=case["lamps"])
        elif change == "message deleted":
            message["house 3"].delete()

    similar._FINGERPRINTS.clear()  # as in a worker that did not write them
    monkeypatch.setattr(runner, "_last_sequence", None)
    _between_look_up_and_turn(monkeypatch, operator)
    reworded = {**_item(10, f"Энгельс. {SHUTTERS_REWORDED}", 2), "address": houses["house 3"]}
    result = run_batch([reworded], now=NOW, sequence=order.register())

    joined = Message.objects.get(external_id="order-10")
    if joins is None:
        assert (result.attached, result.created_cases) == (0, 1)
        assert joined.case_id not in {c.pk for c in case.values()}
    else:
        assert (result.attached, result.created_cases) == (1, 0)
        assert joined.case_id == case[joins].pk


@pytest.mark.django_db(transaction=True)
def test_the_turn_reads_again_only_what_changed_since_the_look_up(region, monkeypatch) -> None:
    """The candidates' messages and cases are read before the turn; in the turn none of them is read
    again when nothing changed, and only the closed case when an operator closed one meanwhile —
    the reposts still join their open cases."""
    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case

    require_postgresql()
    run_batch([_item(i, text, 30) for i, text in enumerate(PROBLEMS)], now=NOW)
    cases = [Message.objects.get(external_id=f"order-{i}").case_id for i in range(len(PROBLEMS))]
    in_turn: list[bool] = []
    read_in_turn: set[int] = set()
    take_turn, read = order.take_turn, similar._messages_and_cases

    def turn() -> None:
        in_turn.append(True)
        take_turn()

    def spy(cursor, message_ids, places):
        if in_turn:
            read_in_turn.update(message_ids)
        return read(cursor, message_ids, places)

    changed_in_turn: list[set[int]] = []
    changed = similar.changes.cases_changed_since

    def changed_spy(cursor, seen, columns):
        found = changed(cursor, seen, columns)
        if in_turn:  # (the look-up before it asks too, for what its process read before)
            changed_in_turn.append({row[0] for row in found})
        return found

    monkeypatch.setattr(order, "take_turn", turn)
    monkeypatch.setattr(similar, "_messages_and_cases", spy)
    monkeypatch.setattr(similar.changes, "cases_changed_since", changed_spy)
    _between_look_up_and_turn(
        monkeypatch, lambda: Case.objects.filter(pk=cases[2]).update(status=CaseStatus.CLOSED)
    )
    reposts = [
        _item(10 + i, f"Репост. {text}. Помогите, сколько можно!", 2) for i, text in enumerate(PROBLEMS)
    ]
    result = run_batch(reposts, now=NOW, sequence=order.register())

    assert in_turn and read_in_turn == set()  # no candidate's message or case read again
    assert changed_in_turn == [{cases[2]}]  # the closed case only
    assert (result.attached, result.created_cases) == (2, 1)
    for i in range(2):
        assert Message.objects.get(external_id=f"order-{10 + i}").case_id == cases[i]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change",
    [
        "nothing",
        "closed",
        "moved out",
        "rerouted",
        "reopened",
        "merged",
        "moved in",
        "message deleted",
        "new",
    ],
)
def test_a_look_up_reads_only_the_messages_and_cases_not_read_before_or_changed_since(
    region, monkeypatch, change
) -> None:
    """A worker's look-ups before its turns read the candidates' messages and cases once: a later
    look-up reads only those it has not read, and those an operator changed since the last one (the
    marks of :mod:`otklik.intake.changes`) — and finds what a look-up reading them all finds."""
    from types import SimpleNamespace

    from otklik.cases.choices import CaseStatus
    from otklik.cases.models import Case
    from otklik.intake import dedup

    require_postgresql()
    houses = [f"Энгельс, улица Тельмана, дом {n}" for n in range(1, 4)]
    run_batch([{**_item(i, SHUTTERS, 30 - i), "address": h} for i, h in enumerate(houses)], now=NOW)
    run_batch([_item(5, f"Энгельс. {LAMPS}", 20)], now=NOW)
    stored = [Message.objects.get(external_id=f"order-{i}") for i in range(3)]
    lamps = Message.objects.get(external_id="order-5")
    if change == "reopened":
        Case.objects.filter(pk=stored[2].case_id).update(status=CaseStatus.CLOSED)
    target = SimpleNamespace(posted_at=NOW, lookup_keys=dedup.fingerprint(SHUTTERS).lookup_keys())
    read: dict[str, set[int]] = {"messages": set(), "cases": set()}
    for name in read:
        original = getattr(similar, f"_read_{name}")

        def spy(cursor, ids, original=original, name=name):
            read[name].update(ids)
            return original(cursor, ids)

        monkeypatch.setattr(similar, f"_read_{name}", spy)

    def look_up() -> similar.Prefetched:
        return similar._prefetch_keys(*similar._window([target]))

    similar._KNOWN.clear()
    look_up()  # the first look-up reads them all
    assert read["messages"] == {m.pk for m in stored} and read["cases"] == {m.case_id for m in stored}
    case = stored[2].case_id
    if change == "closed":
        Case.objects.filter(pk=case).update(status=CaseStatus.CLOSED)
    elif change == "moved out":
        Case.objects.filter(pk=case).update(address="Энгельс, улица Тельмана, дом 9")
    elif change == "rerouted":
        Case.objects.filter(pk=case).update(territory=region["balakovo_district"])
    elif change == "reopened":
        Case.objects.filter(pk=case).update(status=CaseStatus.IN_PROGRESS)
    elif change == "merged":  # as cases.actions.work.merge does
        Case.objects.filter(pk=case).update(status=CaseStatus.MERGED)
        Message.objects.filter(case_id=case).update(case_id=lamps.case_id)
    elif change == "moved in":  # the lamps' message moved to a candidate's case: not a candidate itself
        Message.objects.filter(pk=lamps.pk).update(case_id=case)
    elif change == "message deleted":
        stored[2].delete()
    elif change == "new":
        run_batch([{**_item(9, SHUTTERS, 10), "address": "Энгельс, улица Тельмана, дом 7"}], now=NOW)
    for found in read.values():
        found.clear()
    again = look_up()
    read_again = (set(read["messages"]), set(read["cases"]))
    similar._KNOWN.clear()
    fresh = look_up()  # (reads them all)

    assert (again.rows, again.messages, again.asked, again.places) == (
        fresh.rows,
        fresh.messages,
        fresh.asked,
        fresh.places,
    )
    new = Message.objects.filter(external_id="order-9").first()
    assert (new is not None) == (change == "new")
    # a changed case's messages are read again (one may be gone), a moved message and its new case
    again_read = ({stored[2].pk}, {case})
    expected = {
        "nothing": (set(), set()),
        "closed": again_read,
        "moved out": again_read,
        "rerouted": again_read,
        "reopened": again_read,
        "merged": ({stored[2].pk}, {lamps.case_id}),
        "moved in": (set(), set()),  # (the lamps' message is no candidate: nothing to read)
        "message deleted": (set(), set()),  # (its keys went with it)
        "new": ({new.pk}, {new.case_id}) if new is not None else None,
    }[change]
    assert read_again == expected
