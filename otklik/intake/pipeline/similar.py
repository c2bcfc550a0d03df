"""Stage *similar*: near-duplicates, reposts and quotes attach to the case they repeat.

A message is fingerprinted (MinHash of word shingles, :mod:`otklik.intake.dedup`); its similarity
keys are looked up among the stored keys of messages of open cases posted within
:data:`otklik.intake.dedup.WINDOW`, and among the earlier items of the batch. The best match in the
same place (when both places are known: one building (:func:`otklik.intake.dedup.same_building`),
one territory inside the other, points within :data:`otklik.intake.dedup.MAX_DISTANCE_M`) is the case
it attaches to. Stored messages' fingerprints are kept in this process, so a text already seen is not
fingerprinted again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from typing import Any

from django.db import connection, transaction

from otklik.cases.choices import OPEN
from otklik.cases.models import Case
from otklik.directory.models import Territory

from .. import changes, dedup
from ..models import Message, SimilarityKey
from .schema import CASE_PLACE, Batch, Item

# A case's place as the same-place check reads it: (its territory or the suggested one, address, point)
CasePlace = tuple[int | None, str, dedup.Point | None]


def stage_similar(batch: Batch) -> None:
    """Near-duplicates, reposts and quotes of a message of an open case (or of an earlier item of the
    batch) within the window, in the same place when known, attach to that case (:mod:`.dedup`)."""
    targets = _targets(batch)
    if not targets:
        return
    fingerprint_items(targets)
    lookups = {id(i): i.lookup_keys for i in targets if i.lookup_keys is not None}
    places: dict[int, CasePlace] = {}  # (read with the cases' status on PostgreSQL)
    by_key, found_in = _candidates(targets, batch.prefetched, places)
    cases = _case_places(by_key, found_in, places)
    parents = _territory_parents() if cases else {}
    near = {id(i): _near_stored(i, lookups[id(i)], by_key, found_in, cases, parents) for i in targets}
    stored = _stored({mid for found in near.values() for mid in found}, found_in)
    local: dict[int, list[Item]] = {}
    attached: dict[int, int] = {}  # id(item) → the stored case it attaches to
    for item in targets:
        fp, keys = item.fingerprint, lookups[id(item)]
        assert fp is not None and item.posted_at is not None
        best: tuple[float, float, int | Item, int | None] | None = None
        for mid in near[id(item)]:
            old, case_id = stored[mid]
            score = dedup.match_score(fp, old)
            if score and (best is None or score > best[0]):
                best = (score, 0.0, case_id, mid)
        for other in {id(o): o for k in keys for o in local.get(k, ())}.values():
            assert other.fingerprint is not None and other.posted_at is not None
            if abs(other.posted_at - item.posted_at) > dedup.WINDOW or other.done:
                continue
            if not _same_place(item, _territory_id(other), _address(other), parents, _point(other)):
                continue
            score = dedup.match_score(fp, other.fingerprint)
            if score and (best is None or score > best[0]):
                best = (score, 1.0, other, None)
        if best is None:
            for k in fp.stored_keys:
                bucket = local.setdefault(k, [])
                bucket.append(item)
                if len(bucket) > _MAX_PER_KEY:
                    del bucket[0]
            continue
        score, _, target, found = best
        item.similar_to = {"score": round(score, 3), "message": found}
        if isinstance(target, int):
            attached[id(item)] = target
        elif id(target) in attached:
            attached[id(item)] = attached[id(target)]
        else:
            item.twin_of = target
    if attached:  # the cases as objects, read only for the messages that attach to them
        objects = Case.objects.only(*CASE_PLACE).in_bulk(set(attached.values()))
        for item in targets:
            if id(item) in attached:  # (a case gone meanwhile leaves the message on its own)
                item.attach_to = objects.get(attached[id(item)])


def fingerprint_items(items: list[Item]) -> None:
    """The fingerprints and the keys to look up of the items that have none yet: they depend on each
    item's text only, so the ordered runner makes them before the batch's turn to decide, side by side
    with the other workers (:func:`fingerprint_ahead`)."""
    missing = [i for i in items if i.fingerprint is None]
    for item, made in zip(missing, dedup.fingerprints([i.text for i in missing]), strict=True):
        item.fingerprint = made
        item.lookup_keys = made.lookup_keys()


def fingerprint_ahead(batch: Batch) -> None:
    """Before the turn to decide: the fingerprints of the items :func:`stage_similar` may look up (an
    item that dedup then attaches to a case, or finds a twin for, does not need its own)."""
    fingerprint_items(
        [i for i in batch.understood() if i.word_count >= dedup.MIN_WORDS and i.posted_at is not None]
    )


def _case_places(
    by_key: dict[int, list[tuple[int, int]]],
    found_in: dict[int, tuple[str, int]],
    places: dict[int, CasePlace],
) -> dict[int, CasePlace]:
    """The places of the open cases of the candidates: those read with the cases' status
    (PostgreSQL), else read here."""
    wanted = {found_in[mid][1] for rows in by_key.values() for mid, _ in rows}
    if not wanted:
        return {}
    if not wanted <= places.keys():
        places = {
            pk: _case_place(territory_id, suggested_id, address, lat, lon)
            for pk, territory_id, suggested_id, address, lat, lon in Case.objects.filter(
                pk__in=wanted
            ).values_list("pk", "territory_id", "suggested_territory_id", "address", "lat", "lon")
        }
    return {pk: places[pk] for pk in wanted if pk in places}


def _near_stored(
    item: Item,
    keys: list[int],
    by_key: dict[int, list[tuple[int, int]]],
    found_in: dict[int, tuple[str, int]],
    cases: dict[int, CasePlace],
    parents: dict[int, int | None],
) -> list[int]:
    """The stored candidates ``item``'s keys find within the window whose case is in the item's
    place, in the order they are scored: only these are fingerprinted and scored (most of a
    templated complaint's candidates are of other buildings)."""
    assert item.posted_at is not None
    posted = _microseconds(item.posted_at)
    first, last = posted - _WINDOW_MICROSECONDS, posted + _WINDOW_MICROSECONDS
    here = _Here.of(item)
    same: dict[int, bool] = {}  # case id → in the item's place
    near = []
    for mid in {mid for k in keys for mid, at in by_key.get(k, ()) if first <= at <= last}:
        case_id = found_in[mid][1]
        verdict = same.get(case_id)
        if verdict is None:
            place = cases.get(case_id)
            verdict = same[case_id] = place is not None and here.holds(*place, parents)
        if verdict:
            near.append(mid)
    return near


def _targets(batch: Batch) -> list[Item]:
    """The items that look for a near-duplicate."""
    return [
        i
        for i in batch.understood()
        if i.twin_of is None
        and i.word_count >= dedup.MIN_WORDS
        and i.posted_at is not None
        and i.addressed_to is None  # written to someone: never joined to another agency's case
    ]


def _window(targets: list[Item]) -> tuple[list[int], datetime, datetime]:
    """The keys the targets look up, and the span of posting moments their candidates lie in."""
    earliest = min(i.posted_at for i in targets if i.posted_at) - dedup.WINDOW
    latest = max(i.posted_at for i in targets if i.posted_at) + dedup.WINDOW
    return sorted({k for i in targets for k in i.lookup_keys or ()}), earliest, latest


def _candidates(
    targets: list[Item], prefetched: Prefetched | None = None, places: dict[int, CasePlace] | None = None
) -> tuple[dict[int, list[tuple[int, int]]], dict[int, tuple[str, int]]]:
    """The stored messages the targets' keys find: key → [(message id, posted at in µs)] (the latest
    :data:`_MAX_PER_KEY` of a key), and message id → (its text hash, its case id). With the keys
    read before the turn (``prefetched``), only the keys stored since are read again. ``places``
    (PostgreSQL) gets the places of the open cases found (:func:`_keys_found_postgresql`)."""
    wanted, earliest, latest = _window(targets)
    by_key: dict[int, list[tuple[int, int]]] = {}
    found = _keys_found(wanted, earliest, latest, prefetched, places)
    for key, message_id, posted_at, _, _ in found:
        by_key.setdefault(key, []).append((message_id, posted_at))
    found_in = {message_id: (digest, case_id) for _, message_id, _, digest, case_id in found}
    for key, rows in by_key.items():  # a template many residents copy: the latest few stand for all
        if len(rows) > _MAX_PER_KEY:
            by_key[key] = sorted(rows, key=_AT_THEN_ID)[-_MAX_PER_KEY:]
    return by_key, found_in


def _stored(ids: set[int], found_in: dict[int, tuple[str, int]]) -> dict[int, tuple[dedup.Fingerprint, int]]:
    """Message id → (its fingerprint, its case id) of the candidates ``ids``: kept in this process
    (written or read before) or made from their texts, read in one query and fingerprinted together."""
    stored: dict[int, tuple[dedup.Fingerprint, int]] = {}
    for mid in ids:
        digest, case_id = found_in[mid]
        known = _FINGERPRINTS.get((mid, digest))
        if known is not None:
            stored[mid] = (known, case_id)
    missing = [mid for mid in ids if mid not in stored]
    if missing:
        rows = list(Message.objects.filter(pk__in=missing).values_list("pk", "text", "text_hash", "case_id"))
        made = dedup.fingerprints([text for _, text, _, _ in rows])
        for (mid, _, digest, case_id), fp in zip(rows, made, strict=True):
            stored[mid] = (remember_fingerprint(mid, digest, fp), case_id)
    return stored


def prefetch_stored(batch: Batch, *, fingerprints: bool = True) -> None:
    """Before the turn to decide (PostgreSQL): the stored similarity keys the batch's keys find now,
    kept on the batch (:class:`Prefetched`) — in its turn :func:`stage_similar` reads only the keys
    stored since (the batches committed meanwhile) — and, with ``fingerprints``, the fingerprints of
    the messages they find, made from their texts and kept: most of them written by another worker,
    which this process has never fingerprinted; only the newest few are made in the turn."""
    targets = [i for i in _targets(batch) if i.lookup_keys is not None]
    if not targets or connection.vendor != "postgresql":
        return
    wanted, earliest, latest = _window(targets)
    batch.prefetched = _prefetch_keys(wanted, earliest, latest)
    if fingerprints:
        _fingerprint_unknown(targets, batch.prefetched)


def _fingerprint_unknown(targets: list[Item], prefetched: Prefetched) -> None:
    """Before the turn: the fingerprints of the stored candidates the keys read ahead find that this
    process has none of (written by another worker), of open cases in a target's place — from what
    the look-up read of their messages and cases, not again the ones this process fingerprinted
    before — and a key's rows are not cut to its latest open ones: the turn decides on what it reads
    itself, this only makes fingerprints it would otherwise make in the turn."""
    if prefetched.seen is not None:  # (the messages' text hashes read: no set of all kept made)
        read, kept = prefetched.messages, _FINGERPRINTS
        unknown = [
            row
            for row in prefetched.rows
            if (message := read.get(row[1])) is not None and (row[1], message[0]) not in kept
        ]
    else:
        known = {mid for mid, _ in _FINGERPRINTS}
        unknown = [row for row in prefetched.rows if row[1] not in known]
    if not unknown:
        return
    places: dict[int, CasePlace]
    if prefetched.seen is not None:
        places = prefetched.places
        found = _open_rows(unknown, prefetched.messages, places)
    else:
        places = {}
        with connection.cursor() as cursor:
            found = _of_open_cases(cursor, unknown, places)
    by_key: dict[int, list[tuple[int, int]]] = {}
    found_in: dict[int, tuple[str, int]] = {}
    for key, message_id, posted_at, digest, case_id in found:
        by_key.setdefault(key, []).append((message_id, posted_at))
        found_in[message_id] = (digest, case_id)
    parents = _territory_parents() if places else {}
    _stored(
        {
            mid
            for i in targets
            for mid in _near_stored(i, i.lookup_keys or [], by_key, found_in, places, parents)
        },
        found_in,
    )


@dataclass(frozen=True)
class Prefetched:
    """The stored similarity keys among ``keys`` posted between ``earliest`` and ``latest``, read
    before the batch's turn: of the messages up to ``watermark`` (message ids are reserved in the
    turn, one batch at a time, so a key stored later has a greater message id), the latest
    :data:`_READ_PER_KEY` of each key; a key with more has its ``cutoffs`` entry, the (posted at,
    message id) of the oldest read: every one not read is older.

    With ``seen`` (the snapshot taken before reading them, :mod:`otklik.intake.changes`), also what
    the turn would read of them: ``messages``, message id → (text hash, case id) of those with a
    case; ``asked``, the cases read; ``places``, the places of those open and written to no one. The
    turn then reads only what changed since ``seen`` (:func:`_changed_since`)."""

    keys: frozenset[int]
    earliest: datetime
    latest: datetime
    watermark: int
    rows: list[tuple[int, int, int]]  # (key, message id, posted at in µs since 1970)
    cutoffs: dict[int, tuple[int, int]] = field(default_factory=dict)
    seen: str | None = None
    messages: dict[int, tuple[str, int]] = field(default_factory=dict)
    asked: frozenset[int] = frozenset()
    places: dict[int, CasePlace] = field(default_factory=dict)


def _prefetch_keys(
    keys: list[int], earliest: datetime, latest: datetime, *, state: bool = True
) -> Prefetched:
    """The keys' latest rows read before the turn and, with ``state``, their messages and cases."""
    with transaction.atomic(), connection.cursor() as cursor:
        _without_jit(cursor)
        # the snapshot first: whatever commits after it is read again in the turn
        seen = changes.snapshot(cursor) if state else None
        # then the watermark, then the keys: a key stored beyond it is read in the turn
        cursor.execute("SELECT COALESCE(MAX(message_id), 0) FROM intake_similaritykey")
        watermark = int(cursor.fetchone()[0])
        rows, cutoffs = _latest_key_rows(cursor, keys, earliest, latest, up_to=watermark)
        if seen is None:
            return Prefetched(frozenset(keys), earliest, latest, watermark, rows, cutoffs)
        messages, asked, places = _KNOWN.read(cursor, {mid for _, mid, _ in rows}, seen)
    return Prefetched(
        frozenset(keys), earliest, latest, watermark, rows, cutoffs, seen, messages, frozenset(asked), places
    )


class _Known:
    """What this process's look-ups before the turn read of stored messages (id → text hash and
    case, None without a case) and of their cases (id → place when open and written to no one,
    else None), as of the snapshot ``seen`` of the last look-up: a look-up reads only the ones it
    has not read and evicts, first, those changed since ``seen`` (the marks of
    :mod:`otklik.intake.changes`) — a changed case's messages with it (one may have been deleted
    without its keys). A templated complaint's keys find the same few thousand messages batch after
    batch: read once, not every batch (12,400 messages and 11,800 cases a batch at 100,000 stored).

    Exact as the turn is (docs/decisions/0010): an entry read after a snapshot and changed later
    was changed by a transaction that snapshot does not see, so it is evicted by the next look-up;
    what changes after the look-up's own snapshot the turn reads again (:func:`_changed_since`).
    Cleared whole when full (a bound, not an LRU), on another database, and after a failure."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.database: str | None = None
        self.seen: str | None = None
        self.messages: dict[int, tuple[str, int] | None] = {}
        self.places: dict[int, CasePlace | None] = {}
        self.of_case: dict[int, list[int]] = {}  # case id → the messages read as its

    def read(
        self, cursor: Any, message_ids: set[int], seen: str
    ) -> tuple[dict[int, tuple[str, int]], set[int], dict[int, CasePlace]]:
        """:func:`_messages_and_cases` of ``message_ids``, read from what this process read before
        when unchanged since; ``seen`` is the snapshot the look-up took before reading its keys."""
        database = f"{connection.alias}:{connection.settings_dict.get('NAME')}"
        if self.database != database or max(len(self.messages), len(self.places)) > _KNOWN_SIZE:
            self.clear()
            self.database = database
        try:
            if self.seen is not None:
                self._evict_changed(cursor, self.seen)
            self.seen = None  # (until read: a failure on the way leaves nothing half-known)
            missing = [mid for mid in message_ids if mid not in self.messages]
            for mid, digest, case_id in _read_messages(cursor, missing):
                self.messages[mid] = (digest, case_id) if case_id is not None else None
                if case_id is not None:
                    self.of_case.setdefault(case_id, []).append(mid)
            known = self.messages
            messages = {mid: found for mid in message_ids if (found := known.get(mid)) is not None}
            asked = {case_id for _, case_id in messages.values()}
            for pk, status, addressed, territory_id, suggested_id, address, lat, lon in _read_cases(
                cursor, [pk for pk in asked if pk not in self.places]
            ):
                self.places[pk] = (
                    _case_place(territory_id, suggested_id, address, lat, lon)
                    if status in OPEN and addressed is None
                    else None
                )
            places = {pk: place for pk in asked if (place := self.places.get(pk)) is not None}
        except BaseException:
            self.clear()
            raise
        self.seen = seen
        return messages, asked, places

    def _evict_changed(self, cursor: Any, seen: str) -> None:
        """Forget the cases and messages changed since ``seen``, and the messages of those cases."""
        for (pk,) in changes.cases_changed_since(cursor, seen, "id"):
            self.places.pop(pk, None)
            for mid in self.of_case.pop(pk, ()):
                self.messages.pop(mid, None)
        for (mid,) in changes.messages_changed_since(cursor, seen, "id"):
            self.messages.pop(mid, None)


def _read_messages(cursor: Any, message_ids: list[int]) -> list[tuple[int, str, int | None]]:
    """(id, text hash, case id) of the messages ``message_ids`` still stored."""
    if not message_ids:
        return []
    cursor.execute(
        "SELECT id, text_hash, case_id FROM intake_message WHERE id = ANY(%s::bigint[])",
        [_int_array(message_ids)],
    )
    return list(cursor.fetchall())


def _read_cases(cursor: Any, case_ids: list[int]) -> list[tuple[Any, ...]]:
    """(id, status, addressee, territory, suggested territory, address, lat, lon) of the cases."""
    if not case_ids:
        return []
    cursor.execute(
        "SELECT id, status, addressed_to_id, territory_id, suggested_territory_id, address, lat, lon "
        "FROM cases_case WHERE id = ANY(%s::bigint[])",
        [_int_array(case_ids)],
    )
    return list(cursor.fetchall())


# Messages (and cases) a process's look-ups keep (:class:`_Known`): ≈ 0.7 kB a message with its case
# (measured: 72 MB for 100,000 of each), so ≤ 70 MB a worker; a batch at 100,000 stored reads ≈ 12,400.
_KNOWN_SIZE = 100_000
_KNOWN = _Known()


def _without_jit(cursor: Any) -> None:
    """For the rest of the transaction, no JIT compilation: a look-up of thousands of keys is costed
    above ``jit_above_cost`` and compiled each time (10 ms of a 160 ms look-up, measured), for a plan
    that runs once."""
    if connection.in_atomic_block:
        cursor.execute("SET LOCAL jit = off")


def _key_rows(
    cursor: Any, keys: list[int], earliest: datetime, latest: datetime, after: int
) -> list[tuple[int, int, int]]:
    """(key, message id, posted at in µs) of the stored keys among ``keys`` posted in the span, of
    messages after the id ``after``: read by the message id (the few batches stored since), the keys
    kept here — by key, each of thousands of keys read its whole span in the index to find none
    (27 ms a batch in the turn at 20,000 stored, measured)."""
    cursor.execute(
        # (the moment as an integer: tens of thousands of timestamps parsed cost more)
        "SELECT key, message_id, (EXTRACT(EPOCH FROM posted_at) * 1000000)::bigint "
        "FROM intake_similaritykey WHERE message_id > %s AND posted_at BETWEEN %s AND %s",
        [after, earliest, latest],
    )
    wanted = set(keys)
    return [row for row in cursor.fetchall() if row[0] in wanted]


def _latest_key_rows(
    cursor: Any,
    keys: list[int],
    earliest: datetime,
    latest: datetime,
    up_to: int | None = None,
    below: dict[int, tuple[int, int]] | None = None,
    limit: int | None = None,
) -> tuple[list[tuple[int, int, int]], dict[int, tuple[int, int]]]:
    """:func:`_key_rows`, but only the latest ``limit`` (:data:`_READ_PER_KEY`) of each key (by
    posted at, then message id; of messages up to the id ``up_to`` only, when given; with ``below``,
    only those older than the key's (posted at in µs, message id) there), and for each key that may
    have more, the (posted at in µs, message id) of the oldest read. A templated complaint's keys are
    shared by thousands of stored messages, and only the latest few of a key are ever candidates
    (:data:`_MAX_PER_KEY`): reading them all made a batch's look-up grow with every message stored."""
    limit = limit or _READ_PER_KEY
    if below is not None:
        keys = sorted(below)
        ats, mids = [below[k][0] for k in keys], [below[k][1] for k in keys]
        source = "unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS k(key, at, mid)"
        older = (
            " AND (posted_at, message_id) < (TIMESTAMPTZ 'epoch' + k.at * INTERVAL '1 microsecond', k.mid)"
        )
        arrays = [_int_array(keys), _int_array(ats), _int_array(mids)]
    else:
        source, older, arrays = "unnest(%s::bigint[]) AS k(key)", "", [_int_array(keys)]
    # Each key's latest few straight from the index, read backwards: the planner, costing a key at
    # its average few rows, would read all of a key (a bitmap scan) and sort them — every one of a
    # templated complaint's thousands (measured at 24,000 messages: 85 ms instead of 290 a batch).
    scoped = connection.in_atomic_block
    if scoped:
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    cursor.execute(
        f"SELECT k.key, s.message_id, s.at FROM {source} CROSS JOIN LATERAL ("
        "SELECT message_id, (EXTRACT(EPOCH FROM posted_at) * 1000000)::bigint AS at "
        "FROM intake_similaritykey WHERE key = k.key AND posted_at BETWEEN %s AND %s"
        + (" AND message_id <= %s" if up_to is not None else "")
        + older
        + " ORDER BY posted_at DESC, message_id DESC LIMIT %s) s",
        [*arrays, earliest, latest] + ([up_to] if up_to is not None else []) + [limit],
    )
    rows = list(cursor.fetchall())
    if scoped:
        cursor.execute("RESET enable_bitmapscan")
    read: dict[int, list[tuple[int, int]]] = {}
    for key, message_id, at in rows:
        read.setdefault(key, []).append((at, message_id))
    cutoffs = {key: min(found) for key, found in read.items() if len(found) >= limit}
    return rows, cutoffs


_MAX_PER_KEY = 8  # candidates kept per similarity key: bounds the work on mass templated complaints
# Stored keys read per key before the cases are checked (a few of the latest may be of closed cases,
# or written to someone: then older ones are read, see _keys_found_postgresql). Measured: reading
# only _MAX_PER_KEY made the turn read older ones for more keys (a message without a case, a closed
# case among a key's latest), 6 → 11 statements and more SQL time in the turn than the rows saved.
_READ_PER_KEY = _MAX_PER_KEY + 4
# (stored message id, its text hash) → fingerprint, in this process; the hash guards against an id
# reused after a rolled-back transaction.
_FINGERPRINTS: dict[tuple[int, str], dedup.Fingerprint] = {}
_FINGERPRINT_CACHE_SIZE = 50_000


def remember_fingerprint(message_id: int, digest: str, fp: dedup.Fingerprint) -> dedup.Fingerprint:
    """Keep a stored message's fingerprint (also when written: later batches look it up)."""
    if len(_FINGERPRINTS) >= _FINGERPRINT_CACHE_SIZE:
        _FINGERPRINTS.clear()
    _FINGERPRINTS[(message_id, digest)] = fp
    return fp


# sort keys of the rows (key, message id, posted at[, …]) and of a key's (message id, posted at):
# itemgetter builds the same tuples as a lambda, without a Python call per row
_KEY_AT_ID = itemgetter(0, 2, 1)
_AT_THEN_ID = itemgetter(1, 0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WINDOW_MICROSECONDS = dedup.WINDOW // _MICROSECOND


def _microseconds(moment: datetime) -> int:
    """A moment as whole microseconds since 1970 (exact: compared with the database's)."""
    return (moment - _EPOCH) // _MICROSECOND


def _keys_found(
    keys: list[int],
    earliest: datetime,
    latest: datetime,
    prefetched: Prefetched | None = None,
    places: dict[int, CasePlace] | None = None,
) -> list[tuple[int, int, int, str, int]]:
    """(key, message id, posted at in µs since 1970, text hash, case id) of stored similarity keys
    among ``keys``, messages of open cases not addressed to anyone in particular."""
    if not keys:
        return []
    if connection.vendor == "postgresql":
        return _keys_found_postgresql(keys, earliest, latest, prefetched, places)
    rows: list[tuple[int, int, int, str, int]] = []
    for start in range(0, len(keys), 2000):
        rows += [
            (key, message_id, _microseconds(posted_at), digest, case_id)
            for key, message_id, posted_at, digest, case_id in SimilarityKey.objects.filter(
                key__in=keys[start : start + 2000],
                posted_at__gte=earliest,
                posted_at__lte=latest,
                message__case__status__in=OPEN,
                message__case__addressed_to__isnull=True,
            ).values_list("key", "message_id", "posted_at", "message__text_hash", "message__case_id")
        ]
    return rows


def _int_array(values: Iterable[int]) -> str:
    """An array literal: psycopg adapts a list of thousands of ints element by element."""
    return "{" + ",".join(map(str, values)) + "}"


def _keys_found_postgresql(
    keys: list[int],
    earliest: datetime,
    latest: datetime,
    prefetched: Prefetched | None = None,
    places: dict[int, CasePlace] | None = None,
) -> list[tuple[int, int, int, str, int]]:
    """:func:`_keys_found` in three statements, each led by its own index — the keys by (key, posted
    at), their messages and then those messages' cases by primary key — not one join: on tables whose
    statistics lag behind their growth (a new install, a bulk load) the planner ran the join as a loop
    over every open case (0.6 s a batch at 18,000 cases, growing with them). The keys read before the
    turn (``prefetched``, when they cover ``keys`` and the span) are not read again, only those of
    messages stored since; the messages and their cases are (a case may have closed meanwhile).

    Of a key only the latest :data:`_READ_PER_KEY` are read (:func:`_latest_key_rows`): the same
    candidates as reading them all, since :func:`_candidates` keeps a key's latest
    :data:`_MAX_PER_KEY` of open cases — unless fewer than that many of those read are of open cases
    and the key has more: then older ones, four times as many each round, until it has as many or
    none is left. ``places``, when given, gets the (territory, suggested territory, address, lat,
    lon) of each open case found, read with their status."""
    with connection.cursor() as cursor:
        _without_jit(cursor)
        if (
            prefetched is not None
            and prefetched.keys.issuperset(keys)
            and prefetched.earliest <= earliest
            and latest <= prefetched.latest
        ):
            wanted, first, last = set(keys), _microseconds(earliest), _microseconds(latest)
            found = [r for r in prefetched.rows if r[0] in wanted and first <= r[2] <= last]
            cutoffs = {k: cut for k, cut in prefetched.cutoffs.items() if k in wanted}
            stored_since = _key_rows(cursor, keys, earliest, latest, after=prefetched.watermark)
            found_ahead = True
            if prefetched.seen is not None:  # what was read ahead, with what changed since
                messages, open_places = _changed_since(cursor, prefetched)
                rows = _open_rows(found, messages, open_places)
                if places is not None:
                    places.update(open_places)
                rows += _of_open_cases(cursor, stored_since, places)
            else:
                rows = _of_open_cases(cursor, found + stored_since, places)
        else:
            found, cutoffs = _latest_key_rows(cursor, keys, earliest, latest)
            found_ahead = False
            rows = _of_open_cases(cursor, found, places)
        limit = _READ_PER_KEY
        while cutoffs:  # (rare: many of a key's latest messages are of closed cases) older ones
            kept: dict[int, int] = {}
            for key, *_ in rows:
                kept[key] = kept.get(key, 0) + 1
            short = {k: cut for k, cut in cutoffs.items() if kept.get(k, 0) < _MAX_PER_KEY}
            if not short:
                break
            limit *= 4
            up_to = prefetched.watermark if found_ahead and prefetched is not None else None
            older, cutoffs = _latest_key_rows(
                cursor, [], earliest, latest, up_to=up_to, below=short, limit=limit
            )
            rows += _of_open_cases(cursor, older, places)
    # one order however the rows were read: (key, posted at, message id), as the index has them
    return sorted(rows, key=_KEY_AT_ID)


def _of_open_cases(
    cursor: Any, found: list[tuple[int, int, int]], places: dict[int, CasePlace] | None = None
) -> list[tuple[int, int, int, str, int]]:
    """(key, message id, posted at, text hash, case id) of the keys ``found`` (key, message id,
    posted at) whose message is of an open case not addressed to anyone in particular; ``places``
    gets those cases' places."""
    if not found:
        return []
    read: dict[int, CasePlace] = {}
    messages, _ = _messages_and_cases(cursor, {message_id for _, message_id, _ in found}, read)
    if places is not None:
        places.update(read)
    return _open_rows(found, messages, read)


def _messages_and_cases(
    cursor: Any, message_ids: set[int], places: dict[int, CasePlace]
) -> tuple[dict[int, tuple[str, int]], set[int]]:
    """Of the messages ``message_ids``: message id → (text hash, case id) of those with a case, and
    the cases asked about; ``places`` gets the places of those open and written to no one."""
    if not message_ids:
        return {}, set()
    cursor.execute(
        "SELECT id, text_hash, case_id FROM intake_message WHERE id = ANY(%s::bigint[]) "
        "AND case_id IS NOT NULL",
        [_int_array(message_ids)],
    )
    messages = {mid: (digest, case_id) for mid, digest, case_id in cursor.fetchall()}
    asked = {case_id for _, case_id in messages.values()}
    _open_places(cursor, asked, places)
    return messages, asked


def _open_places(cursor: Any, case_ids: set[int], places: dict[int, CasePlace]) -> None:
    """``places`` gets the places of the cases among ``case_ids`` open and written to no one."""
    if not case_ids:
        return
    cursor.execute(
        "SELECT id, territory_id, suggested_territory_id, address, lat, lon FROM cases_case "
        "WHERE id = ANY(%s::bigint[]) AND status = ANY(%s) "
        "AND addressed_to_id IS NULL",  # a case written to someone is joined by nobody else
        [_int_array(case_ids), list(OPEN)],
    )
    for pk, territory_id, suggested_id, address, lat, lon in cursor.fetchall():
        places[pk] = _case_place(territory_id, suggested_id, address, lat, lon)


def _case_place(
    territory_id: int | None, suggested_id: int | None, address: str, lat: float | None, lon: float | None
) -> CasePlace:
    """A case's place as the same-place check reads it: its territory (else the suggested one), its
    building address and its point."""
    return (territory_id or suggested_id, address, dedup.point(lat, lon))


def _open_rows(
    found: list[tuple[int, int, int]], messages: dict[int, tuple[str, int]], places: dict[int, CasePlace]
) -> list[tuple[int, int, int, str, int]]:
    """(key, message id, posted at, text hash, case id) of the rows ``found`` whose message is of a
    case in ``places`` (open, written to no one)."""
    kept = {mid: message for mid, message in messages.items() if message[1] in places}
    return [(key, mid, posted, *kept[mid]) for key, mid, posted in found if mid in kept]


def _changed_since(
    cursor: Any, prefetched: Prefetched
) -> tuple[dict[int, tuple[str, int]], dict[int, CasePlace]]:
    """In the turn: the messages (id → text hash, case id) and open cases' places the look-up read
    ahead, as they are now — only what changed since its snapshot is read (the marks,
    :mod:`otklik.intake.changes`): the cases marked (status, addressee or place changed, or a
    message of theirs deleted) and the read messages of those, the messages moved to another case,
    and the cases they moved to that the look-up did not read."""
    assert prefetched.seen is not None
    messages, places = dict(prefetched.messages), dict(prefetched.places)
    asked = set(prefetched.asked)
    changed: set[int] = set()
    for pk, status, addressed, territory_id, suggested_id, address, lat, lon in changes.cases_changed_since(
        cursor,
        prefetched.seen,
        "id, status, addressed_to_id, territory_id, suggested_territory_id, address, lat, lon",
    ):
        changed.add(pk)
        asked.add(pk)
        if status in OPEN and addressed is None:
            places[pk] = _case_place(territory_id, suggested_id, address, lat, lon)
        else:
            places.pop(pk, None)
    read = {mid for _, mid, _ in prefetched.rows}
    moved = {
        mid: (digest, case_id)
        for mid, digest, case_id in changes.messages_changed_since(
            cursor, prefetched.seen, "id, text_hash, case_id"
        )
        if mid in read
    }
    again = [mid for mid, (_, case_id) in messages.items() if case_id in changed and mid not in moved]
    if again:  # (one may be gone: a deleted message marks its case)
        cursor.execute(
            "SELECT id, text_hash, case_id FROM intake_message WHERE id = ANY(%s::bigint[])",
            [_int_array(again)],
        )
        now = {mid: (digest, case_id) for mid, digest, case_id in cursor.fetchall()}
        moved.update({mid: now.get(mid, ("", None)) for mid in again})
    for mid, (digest, case_id) in moved.items():
        if case_id is None:
            messages.pop(mid, None)
        else:
            messages[mid] = (digest, case_id)
    _open_places(cursor, {case_id for _, case_id in messages.values()} - asked, places)
    return messages, places


def _territory_id(item: Item) -> int | None:
    territory = item.place.territory if item.place else None
    return territory.pk if territory is not None else None


def _territory_parents() -> dict[int, int | None]:
    return dict(Territory.objects.values_list("pk", "parent_id"))


def _chain(territory_id: int, parents: dict[int, int | None]) -> list[int]:
    chain: list[int] = []
    node: int | None = territory_id
    while node is not None and len(chain) < 10:
        chain.append(node)
        node = parents.get(node)
    return chain


def _point(item: Item) -> dedup.Point | None:
    """The item's point: where the place stage put it (its own coordinates or an address found)."""
    place = item.place
    return dedup.point(place.lat, place.lon) if place is not None else dedup.point(item.lat, item.lon)


def _address(item: Item) -> str:
    """The item's building address: the sender's (a portal's), else the one its text names."""
    return item.address or (item.place.address if item.place else "")


def _same_place(
    item: Item,
    territory_id: int | None,
    address: str,
    parents: dict[int, int | None],
    spot: dedup.Point | None = None,
) -> bool:
    """Same place when known: one building, points close enough, one territory inside the other."""
    return _Here.of(item).holds(territory_id, address, spot, parents)


@dataclass(frozen=True)
class _Here:
    """An item's place as the same-place check reads it, made once for all its candidates (its
    building address parsed once too: a message is checked against tens of candidates' cases)."""

    address: str
    spot: dedup.Point | None
    territory_id: int | None
    building: dedup.Building | None = field(default=None, compare=False)

    @classmethod
    def of(cls, item: Item) -> _Here:
        address = _address(item)
        return cls(address, _point(item), _territory_id(item), dedup.known_building(address))

    def holds(
        self,
        territory_id: int | None,
        address: str,
        spot: dedup.Point | None,
        parents: dict[int, int | None],
    ) -> bool:
        """Whether a place (territory, building address, point) can be this one (:func:`_same_place`)."""
        if not dedup.same_parsed_building(self.building, dedup.known_building(address)):
            return False
        if not dedup.same_spot(self.spot, spot):
            return False
        own = self.territory_id
        if own is None or territory_id is None or own == territory_id:
            return True
        if not parents:
            parents.update(_territory_parents())
        return territory_id in _chain(own, parents) or own in _chain(territory_id, parents)
