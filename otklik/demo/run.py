"""``otklik demo`` as a function: reference data, region, agencies, users, messages, the lifecycle walk.

Idempotent: reference data, agencies, rules and users are updated in place; messages are generated
and walked only when the demo has none yet (``reset=True`` deletes the demo's cases and messages
first). The pipeline runs in day-sized batches with ``now`` at the end of that day's working hours,
so deadlines and the whole history are backdated consistently.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone

from otklik.analytics.rollups import rebuild_rollups, refresh_rollups
from otklik.cases import actions
from otklik.cases.models import Case
from otklik.cases.tasks import check_bursts
from otklik.directory.models import Territory
from otklik.directory.regions import load_shipped_region
from otklik.intake.models import DeadLetter, Message, Source

from .addresses import ensure_demo_addresses
from .agencies import REGIONAL, DemoDirectory, setup_agencies
from .categories import CategoryMatcher
from .deputies import SOURCE_CODE as DEPUTY_SOURCE
from .deputies import add_appeals, coordinate_faction, ensure_deputies, ensure_meetings, meeting_appeals
from .elections import ensure_election_day
from .lifecycle import Simulation
from .messages import DEMO_SOURCES, SOURCES_BY_CODE, DemoMessage, generate_messages
from .monitoring import ensure_monitoring_queries
from .places import ensure_district_centers
from .statistics import analyze, loaded_models
from .users import DEMO_LOGINS, ensure_agency_staff, ensure_demo_users

log = logging.getLogger("otklik.demo")

BATCH_HOUR = 18  # a day's batch runs at the end of its working hours


@dataclass
class DemoResult:
    region: Territory
    directory: DemoDirectory
    generated: int = 0
    ingested: int = 0
    skipped: bool = False
    statuses: dict[str, int] = field(default_factory=dict)
    steps: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def load_reference_data() -> None:
    """The default category tree and deadline policies (written by their own modules)."""
    from otklik.directory.defaults_categories import load_default_categories
    from otklik.directory.defaults_deadlines import load_default_deadline_policies

    load_default_categories()
    load_default_deadline_policies()


def ensure_sources() -> dict[str, Source]:
    sources = {}
    for spec, _ in DEMO_SOURCES:
        source, _ = Source.objects.update_or_create(
            code=spec.code, defaults={"name": spec.name, "channel": spec.channel, "connector": "demo"}
        )
        sources[spec.code] = source
    return sources


def demo_messages() -> Any:
    return Message.objects.filter(source__code__in=list(SOURCES_BY_CODE))


def _all_demo_messages() -> Any:
    """The generated messages and the appeals to the demo's deputies."""
    return Message.objects.filter(source__code__in=[*SOURCES_BY_CODE, DEPUTY_SOURCE])


def reset_demo() -> int:
    """Delete the demo's cases (answers, ratings, history included) and messages; return the cases deleted."""
    case_ids = set(_all_demo_messages().exclude(case=None).values_list("case_id", flat=True))
    frontier = set(case_ids)
    while frontier:  # merged duplicates no longer hold messages: follow merged_into back
        frontier = set(Case.objects.filter(merged_into__in=frontier).values_list("pk", flat=True)) - case_ids
        case_ids |= frontier
    with transaction.atomic():
        Case.objects.filter(pk__in=case_ids).update(merged_into=None)
        deleted = Case.objects.filter(pk__in=case_ids).delete()[1].get("cases.Case", 0)
        _all_demo_messages().delete()
        DeadLetter.objects.filter(source__code__in=[*SOURCES_BY_CODE, DEPUTY_SOURCE]).delete()
    return deleted


def daily_batches(messages: list[DemoMessage], end: datetime) -> list[tuple[datetime, list[DemoMessage]]]:
    """Group messages by the batch that picks them up: posted before 18:00 → that day's, else the next."""
    batches: dict[datetime, list[DemoMessage]] = defaultdict(list)
    for message in messages:
        local = timezone.localtime(message.posted_at)
        cutoff = local.replace(hour=BATCH_HOUR, minute=0, second=0, microsecond=0)
        if local >= cutoff:
            cutoff += timedelta(days=1)
        batches[min(cutoff, end)].append(message)
    return sorted(batches.items(), key=lambda item: item[0])


def _new_cases(batch: list[DemoMessage], known: dict[int, Any]) -> dict[int, DemoMessage]:
    """Cases the batch's messages now belong to that the walk has not seen, with their earliest message."""
    truth = {(m.item["source"], m.item["external_id"]): m for m in batch}
    by_source: dict[str, list[str]] = defaultdict(list)
    for source, external_id in truth:
        by_source[source].append(external_id)
    found: dict[int, DemoMessage] = {}
    for source, ids in by_source.items():
        rows = (
            Message.objects.filter(source__code=source, external_id__in=ids)
            .exclude(case=None)
            .values_list("external_id", "case_id")
        )
        for external_id, case_id in rows:
            if case_id in known:
                continue
            message = truth[(source, external_id)]
            if case_id not in found or message.posted_at < found[case_id].posted_at:
                found[case_id] = message
    return dict(sorted(found.items()))


def run_demo(
    *,
    messages: int = 4000,
    seed: int = 2024,
    weeks: int = 6,
    reset: bool = False,
    end: datetime | None = None,
    progress: Any = None,
) -> DemoResult:
    """Build the whole demo; ``progress(text)`` is called with a line per stage when given."""
    from otklik.intake.pipeline import run_batch

    started = time.monotonic()
    say = progress or (lambda text: None)
    end = end or timezone.now().replace(second=0, microsecond=0)
    start = end - timedelta(weeks=weeks)

    load_reference_data()
    region = load_shipped_region("saratov").region
    ensure_district_centers(region)
    addresses = ensure_demo_addresses(region)
    matcher = CategoryMatcher()
    directory = setup_agencies(region, matcher)
    deputies = ensure_deputies(region)
    ensure_meetings(deputies, end=end, seed=seed)
    users = ensure_demo_users(directory)
    coordinate_faction(users["coordinator"])
    ensure_election_day(seed=seed, end=end, observer=users["observer"], lawyer=users["lawyer"])
    staff = ensure_agency_staff(directory)
    ensure_sources()
    ensure_monitoring_queries()
    say(
        f"Region {region.name}, {len(directory.agencies) + len(directory.municipal)} agencies, "
        f"{directory.rules} routing rules, {len(DEMO_LOGINS)} demo logins."
    )
    say(
        f"Synthetic address layer: {len(addresses.created)} buildings added, "
        f"{addresses.unchanged} already loaded."
    )
    result = DemoResult(region=region, directory=directory)

    if reset:
        say(f"Reset: {reset_demo()} demo cases deleted.")
    elif demo_messages().exists():
        result.skipped = True
        result.statuses = _statuses()
        result.seconds = time.monotonic() - started
        say("Demo messages are already loaded; run with --reset to generate them again.")
        return result

    generated = generate_messages(seed=seed, count=messages, start=start, end=end, region=region)
    result.generated = len(generated)
    say(f"Generated {len(generated)} messages from {start:%d.%m.%Y} to {end:%d.%m.%Y}.")
    simulation = Simulation(
        seed=seed,
        end=end,
        directory=directory,
        staff=staff,
        moderator=users["moderator"],
        supervisor=users["supervisor"],
        matcher=matcher,
    )
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend", OTKLIK_SEND_REPLIES=False
    ):
        for now, batch in daily_batches(generated, end):
            with transaction.atomic():  # one commit a day: the pipeline's own transactions become savepoints
                simulation.run_until(now)
                run_batch([m.item for m in batch], now=now)
                simulation.add_cases(_new_cases(batch, simulation.plans), now)
        with transaction.atomic():
            # Appeals to deputies go back six weeks at least, so the two-week question has some to ask about.
            since = min(start, end - timedelta(weeks=6))
            appeals = add_appeals(deputies, seed=seed, start=since, end=end, moderator=users["moderator"])
            appeals += meeting_appeals(deputies, seed=seed, end=end, moderator=users["moderator"])
            simulation.run_until(end)
            actions.mark_overdue(end)
            check_bursts(end)
        say(f"{appeals} appeals to {len(deputies)} deputies.")
    # The analytics pages read rollups: bring them up to date with what the demo just wrote.
    rebuild_rollups() if reset else refresh_rollups(now=end)
    analyze(loaded_models())  # PostgreSQL plans on the statistics of what was just loaded
    result.ingested = demo_messages().count()
    result.statuses = _statuses()
    result.steps = dict(simulation.stats)
    result.seconds = time.monotonic() - started
    return result


def _statuses() -> dict[str, int]:
    rows = Case.objects.values("status").annotate(n=Count("pk")).order_by("status")
    return dict(Counter({row["status"]: row["n"] for row in rows}))


def format_logins() -> list[str]:
    """The demo logins as lines of a table, for the command's output and the README."""
    short_names = {spec.key: spec.short_name for spec in REGIONAL}
    lines = [f"{'login':<12} {'password':<16} role"]
    for login in DEMO_LOGINS:
        if login.agency.startswith("deputy:"):
            agency = "приёмная депутата " + login.agency.removeprefix("deputy:")
        else:
            agency = short_names.get(login.agency, login.agency.removeprefix("mo:") + " (администрация)")
        role = login.role + (f", {agency}" if login.agency else "")
        role += " — staff, superuser" if login.is_admin else ""
        lines.append(f"{login.username:<12} {login.password:<16} {role}")
    return lines
