"""The situational center's live figures, built once and shared by every member of the center.

Twenty staff refreshing the dashboard of 2,811 stations must not each aggregate every report: the
whole of what the dashboard shows (:class:`Live`: the board, the exit poll, the protocols' check,
the opening checklist, the map's data already serialized) is built by one request and kept in the
shared cache (``CACHES["default"]``: Redis in production, the process's memory in development), where
every worker and every staff member reads it.

**When it is rebuilt.** A change to what it is built from (a report, an incident, a call to an
observer, an exit-poll sheet, a protocol…) gives the live figures a new version, after its
transaction commits (:func:`changed`; one cache write, nothing recomputed). A snapshot is served

* while its version is current and the clock is in the minute it was built for (the silent
  stations and the turnout by hour move with the clock), or
* for ``OTKLIK_ELECTIONS_BOARD_SECONDS`` after it was built whatever happened since: under a
  morning's stream of reports the figures are rebuilt at most that often, not once a report.

One request rebuilds (a lock in the cache); the others meanwhile get the previous snapshot rather
than all building the same figures. ``OTKLIK_ELECTIONS_BOARD_SECONDS = 0`` builds on every request
(the tests' setting).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.safestring import SafeString

from otklik.cases.templatetags.otklik_ui import json_data

from . import dashboard, exit_polls, protocols
from .models import Election

VERSION_KEY = "elections:live:version"
LOCK_SECONDS = 60  # a builder that died frees the lock after this
KEEP_SECONDS = 3600

# What the live figures are built from: a save or delete of any of these is a new version.
SOURCES = (
    "elections.Election",
    "elections.Commission",
    "elections.PollingStation",
    "elections.Observer",
    "elections.ViolationType",
    "elections.Report",
    "elections.Incident",
    "elections.ExitPollOption",
    "elections.ExitPollSheet",
    "elections.ExitPollCount",
    "elections.ObserverCall",
    "elections.Protocol",
    "elections.ChecklistQuestion",
)


@dataclass
class Live:
    """Everything the dashboard shows of an election at ``now``."""

    election_id: int
    now: datetime
    version: str
    board: dashboard.Dashboard
    poll: exit_polls.ExitPoll
    protocol_check: protocols.ProtocolCheck
    checklist: list[dashboard.ChecklistRow]
    map_data: dict[str, Any]
    map_script: SafeString  # map_data as the page's <script type="application/json">


@dataclass(frozen=True)
class Head:
    """What a request reads first to know which snapshot is current: small, so the periodic refresh
    whose HTML is rendered already never loads the snapshot itself."""

    election_id: int
    now: datetime
    version: str
    token: str  # the snapshot's key and its rendered HTML's; "" when built for one request only

    def fresh(self, election: Election, version: str, now: datetime, seconds: float) -> bool:
        if self.election_id != election.pk:
            return False
        age = now - self.now
        if timedelta(0) <= age < timedelta(seconds=seconds):
            return True
        return self.version == version and _minute(self.now) == _minute(now)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _key(election_id: int, *parts: str) -> str:
    return ":".join(("elections:live", str(election_id), *parts))


def build(election: Election, *, now: datetime | None = None, version: str = "") -> Live:
    now = now or dashboard.clock()
    board = dashboard.build(election, now=now)
    figures = dashboard.map_data(board)
    return Live(
        election_id=election.pk,
        now=now,
        version=version,
        board=board,
        poll=exit_polls.aggregate(election),
        protocol_check=protocols.check(election),
        checklist=dashboard.checklist_summary(election),
        map_data=figures,
        map_script=json_data(figures, "election-live"),
    )


def shared(election: Election, *, now: datetime | None = None) -> tuple[Head, Live | None]:
    """The current snapshot's head, and the snapshot itself when this request built it: the shared
    one while it is fresh, else built by one request at a time (the others get the previous one)."""
    now = now or dashboard.clock()
    seconds = float(getattr(settings, "OTKLIK_ELECTIONS_BOARD_SECONDS", 5))
    if seconds <= 0:
        return Head(election.pk, now, "", ""), build(election, now=now)
    cache = caches["default"]
    key = _key(election.pk)
    found = cache.get_many([VERSION_KEY, key])
    version, held = str(found.get(VERSION_KEY, "")), found.get(key)
    if isinstance(held, Head) and held.fresh(election, version, now, seconds):
        return held, None
    lock = _key(election.pk, "building")
    if cache.add(lock, 1, timeout=LOCK_SECONDS):
        try:
            # The version is read before building: a change meanwhile makes the next request rebuild.
            head = Head(election.pk, now, version, uuid4().hex)
            live = build(election, now=now, version=version)
            cache.set(_key(election.pk, head.token), live, timeout=KEEP_SECONDS)
            cache.set(key, head, timeout=KEEP_SECONDS)  # after the snapshot it names
        finally:
            cache.delete(lock)
        return head, live
    if isinstance(held, Head) and held.election_id == election.pk:
        return held, None  # another request is building: the previous figures meanwhile
    return Head(election.pk, now, version, ""), build(election, now=now, version=version)


def body(head: Head, built: Live | None = None) -> Live:
    """The snapshot ``head`` names (``built`` when this request has it already)."""
    if built is not None:
        return built
    found = caches["default"].get(_key(head.election_id, head.token)) if head.token else None
    if isinstance(found, Live):
        return found
    # Evicted from the cache: built again for this request.
    return build(Election.objects.get(pk=head.election_id), now=head.now, version=head.version)


def current(election: Election, *, now: datetime | None = None) -> Live:
    """The election's live figures (the shared snapshot while it is fresh)."""
    return body(*shared(election, now=now))


def rendered(head: Head, variant: str, render: Callable[[], str]) -> str:
    """The HTML of the live figures for one ``variant`` of reader (what differs between staff
    members: the language, whether they may log calls), rendered once per shared snapshot."""
    if not head.token:
        return render()
    cache = caches["default"]
    key = _key(head.election_id, head.token, "html", variant)
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=KEEP_SECONDS // 6)
    return str(html)


def changed(**_kwargs: Any) -> None:
    """The live figures' data changed: a new version once the transaction commits (a rolled-back
    change keeps the old one; a builder never reads a version before the rows it stands for)."""
    transaction.on_commit(lambda: caches["default"].set(VERSION_KEY, uuid4().hex, timeout=None))


def connect() -> None:
    """Call :func:`changed` on every save and delete of the live figures' sources (apps.ready)."""
    for model in SOURCES:
        uid = f"otklik.elections.live:{model}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=f"{uid}:delete")
