"""Stage *dedup*: the same message delivered again drops out; the same text attaches to an open case.

An exact duplicate is the same (source, external id), stored before or earlier in the batch; it is
counted and goes no further (under concurrency the unique constraint decides, in :mod:`.persist`).
A message whose normalized text (``text_hash``) equals that of a message of an open case posted
within :data:`NEAR_DUPLICATE_WINDOW` attaches to that case — unless both carry points too far apart
(:func:`otklik.intake.dedup.same_spot`: "Мусор на газоне" from two yards is two problems) or two
buildings' addresses (:func:`otklik.intake.dedup.same_building`: "Роллеты на лицевом фасаде" of
houses 26 and 28, 15 m apart) or links to two other appeals (:func:`otklik.intake.dedup.same_links`:
one template citing two earlier appeals — the normalized text leaves links out); its twin
later in the same batch joins the earlier item, on the same condition. Reworded near-duplicates are
found later, by :mod:`.similar`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from otklik.cases.choices import OPEN
from otklik.cases.models import Case

from .. import dedup
from ..models import Message
from .schema import CASE_PLACE, Batch, Item

NEAR_DUPLICATE_WINDOW = timedelta(days=3)
NEAR_DUPLICATE_MIN_WORDS = 4  # "Когда починят?" from two people is not the same problem


def stage_dedup(batch: Batch) -> None:
    """Exact duplicates drop out; near-duplicates (same normalized text) attach to an open case."""
    live = list(batch.live())
    wanted: set[tuple[int, str]] = set()
    for item in live:
        assert item.source is not None
        wanted.add((item.source.pk, item.external_id))
    stored: set[tuple[int, str]] = set()
    if wanted:  # one query for all sources; the pairs are picked out here
        stored = wanted.intersection(
            Message.objects.filter(
                source_id__in={s for s, _ in wanted}, external_id__in={e for _, e in wanted}
            ).values_list("source_id", "external_id")
        )
    seen: set[tuple[int, str]] = set()
    for item in live:
        assert item.source is not None
        key = (item.source.pk, item.external_id)
        if key in stored or key in seen:
            item.done = True
            batch.result.duplicates += 1
        seen.add(key)

    candidates = [
        i
        for i in batch.live()
        if i.word_count >= NEAR_DUPLICATE_MIN_WORDS and i.posted_at and i.addressed_to is None
    ]
    if not candidates:
        return
    earliest = min(i.posted_at for i in candidates if i.posted_at) - NEAR_DUPLICATE_WINDOW
    latest = max(i.posted_at for i in candidates if i.posted_at) + NEAR_DUPLICATE_WINDOW
    # Two queries, each led by its own index (the messages by text hash, then their cases by key),
    # not one join: on tables whose statistics lag behind their growth (a new install, a bulk load)
    # the planner ran the join as a loop over every open case — seconds a batch instead of a few ms.
    found: dict[str, list[tuple[datetime, int, int]]] = {}
    for digest, posted_at, case_id, pk in Message.objects.filter(
        text_hash__in={i.text_hash for i in candidates},
        case__isnull=False,
        posted_at__gte=earliest,
        posted_at__lte=latest,
    ).values_list("text_hash", "posted_at", "case_id", "pk"):
        found.setdefault(digest, []).append((posted_at, case_id, pk))
    cases = (  # (a case written to someone is joined by nobody else)
        Case.objects.only(*CASE_PLACE)
        .filter(status__in=OPEN, addressed_to__isnull=True)
        .in_bulk({case_id for rows in found.values() for _, case_id, _ in rows})
    )
    existing = {d: kept for d, rows in found.items() if (kept := [r for r in rows if r[1] in cases])}
    linked = [i for i in candidates if i.text_hash in existing and dedup.link_numbers(i.text)]
    texts = (  # only for messages with links: the same normalized text may cite two other appeals
        dict(
            Message.objects.filter(
                pk__in={pk for i in linked for _, _, pk in existing[i.text_hash]}
            ).values_list("pk", "text")
        )
        if linked
        else {}
    )
    first_in_batch: dict[str, Item] = {}
    for item in candidates:
        assert item.posted_at is not None
        spot = dedup.point(item.lat, item.lon)
        near = [
            (abs(posted_at - item.posted_at), case_id)
            for posted_at, case_id, pk in existing.get(item.text_hash, [])
            if abs(posted_at - item.posted_at) <= NEAR_DUPLICATE_WINDOW
            and case_id in cases
            and dedup.same_spot(spot, dedup.point(cases[case_id].lat, cases[case_id].lon))
            and dedup.same_building(item.address, cases[case_id].address)
            and (pk not in texts or dedup.same_links(item.text, texts[pk]))
        ]
        if near:
            item.attach_to = cases[min(near)[1]]
            continue
        twin = first_in_batch.get(item.text_hash)
        if (
            twin is not None
            and twin.posted_at
            and abs(twin.posted_at - item.posted_at) <= NEAR_DUPLICATE_WINDOW
            and dedup.same_spot(spot, dedup.point(twin.lat, twin.lon))
            and dedup.same_building(item.address, twin.address)
            and dedup.same_links(item.text, twin.text)
        ):
            item.twin_of = twin
        else:
            first_in_batch[item.text_hash] = item
