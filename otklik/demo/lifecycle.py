"""Walk the demo's cases through their lifecycle, in time order, with backdated actions.

A small discrete-event simulation: every case gets a plan (how fast its executor is, whether the
answer is returned for rework, whether the resident rates it and reopens it…) drawn from a seeded
generator, and every step is an action of :mod:`otklik.cases.actions` called with ``now=`` the
moment it happens. Steps of all cases run in one time order, interleaved with the pipeline's daily
batches and hourly overdue checks, so deadlines, escalations and the history agree with each other.
Whatever would happen after the demo's end does not happen: that is the current queue.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from otklik.accounts.models import User
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus, EventKind
from otklik.cases.lifecycle import IllegalTransition
from otklik.cases.models import Case, CaseEvent
from otklik.cases.routing import active_rules, route
from otklik.directory.models import Agency, Territory

from . import catalog
from .agencies import DemoDirectory
from .categories import CategoryMatcher
from .messages import DemoMessage

log = logging.getLogger("otklik.demo")

CENTER_DAY = (8, 21)  # the center's moderators work every day, 8:00–21:00
OFFICE_DAY = (9, 18)  # agencies work on weekdays, 9:00–18:00
OVERDUE_CHECK = timedelta(hours=1)
SCORES = (5, 4, 3, 2, 1)
SCORE_WEIGHTS = (0.38, 0.22, 0.14, 0.10, 0.16)
WORKABLE = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS, CaseStatus.ESCALATED, CaseStatus.REOPENED)
# A duplicate is merged into the first case of its incident while both are still being worked.
NOT_MERGEABLE = (
    CaseStatus.MERGED,
    CaseStatus.REJECTED,
    CaseStatus.CLOSED,
    CaseStatus.PUBLISHED,
    CaseStatus.ANSWERED,
    CaseStatus.APPROVED,
    CaseStatus.REDIRECTED,
    CaseStatus.REOPENED,
)


def center_after(moment: datetime, rng: random.Random, low_minutes: float, high_minutes: float) -> datetime:
    """When the center gets to it: after a delay, within its working day."""
    when = timezone.localtime(moment + timedelta(minutes=rng.uniform(low_minutes, high_minutes)))
    start, end = CENTER_DAY
    if when.hour < start:
        when = when.replace(hour=start, minute=0, second=0) + timedelta(minutes=rng.uniform(0, 60))
    elif when.hour >= end:
        when = (when + timedelta(days=1)).replace(hour=start, minute=0, second=0) + timedelta(
            minutes=rng.uniform(0, 60)
        )
    return when


def _to_office(when: datetime) -> datetime:
    start, end = OFFICE_DAY
    while True:
        if when.weekday() >= 5 or when.hour >= end:
            when = (when + timedelta(days=1)).replace(hour=start, minute=0, second=0, microsecond=0)
        elif when.hour < start:
            when = when.replace(hour=start, minute=0, second=0, microsecond=0)
        else:
            return when


def office_after(moment: datetime, rng: random.Random, low_hours: float, high_hours: float) -> datetime:
    """When an agency gets to it: after so many working hours (weekdays, office hours)."""
    remaining = timedelta(hours=rng.uniform(low_hours, high_hours))
    when = timezone.localtime(moment)
    while True:
        when = _to_office(when)
        day_end = when.replace(hour=OFFICE_DAY[1], minute=0, second=0, microsecond=0)
        if remaining <= day_end - when:
            return when + remaining
        remaining -= day_end - when
        when = day_end


@dataclass
class CasePlan:
    truth: DemoMessage
    rng: random.Random
    speed: str  # "on_time"; "late": soon after the deadline; "silent": days after the escalation
    interim: bool
    clicks_start: bool  # some executors press "start work", others just answer
    redirect: bool
    rework: bool
    rates: bool
    score: int
    reopen: bool
    closes: bool
    hold: bool
    redirected: bool = False
    reworked: bool = False
    reopened: bool = False

    @classmethod
    def draw(cls, truth: DemoMessage, seed: int) -> CasePlan:
        rng = random.Random(f"{seed}:{truth.item['source']}:{truth.item['external_id']}")
        speed = rng.choices(("on_time", "late", "silent"), weights=(0.82, 0.12, 0.06))[0]
        score = rng.choices(SCORES, weights=SCORE_WEIGHTS)[0]
        return cls(
            truth=truth,
            rng=rng,
            speed=speed,
            interim=rng.random() < 0.3,
            clicks_start=rng.random() < 0.6,
            redirect=rng.random() < 0.05,
            rework=rng.random() < 0.1,
            rates=rng.random() < 0.6,
            score=score,
            reopen=score <= 2 and rng.random() < 0.45,
            closes=rng.random() < 0.7,
            hold=rng.random() < 0.02,
        )


class Simulation:
    def __init__(
        self,
        *,
        seed: int,
        end: datetime,
        directory: DemoDirectory,
        staff: dict[int, User],
        moderator: User,
        supervisor: User,
        matcher: CategoryMatcher,
    ) -> None:
        self.seed = seed
        self.end = end
        self.directory = directory
        self.staff = staff
        self.moderator = moderator
        self.supervisor = supervisor
        self.matcher = matcher
        self.plans: dict[int, CasePlan] = {}
        self.primary: dict[int, int] = {}  # incident → the first case about it
        self.stats: Counter[str] = Counter()
        self._heap: list[tuple[datetime, int, int, str]] = []
        self._seq = itertools.count()
        self._next_check: datetime | None = None
        self._territories = {t.pk: t for t in Territory.objects.all()}
        self._rules = active_rules()  # loaded once: the walk routes thousands of cases
        self._handlers: dict[str, Callable[[Case, CasePlan, datetime], None]] = {
            "triage": self._triage,
            "start": self._start,
            "reassign": self._reassign,
            "interim": self._interim,
            "publish_interim": self._publish_interim,
            "final": self._final,
            "review": self._review,
            "rating": self._rating,
            "close": self._close,
            "reject": self._reject,
        }

    # --- scheduling -------------------------------------------------------------------------------

    def schedule(self, when: datetime | None, case_id: int, step: str) -> None:
        if when is not None and when < self.end:
            heapq.heappush(self._heap, (when, next(self._seq), case_id, step))

    def add_cases(self, truths: dict[int, DemoMessage], now: datetime) -> None:
        """Cases the pipeline has just created, each with the first message it came from."""
        for case_id, truth in truths.items():
            if case_id in self.plans:
                continue
            plan = CasePlan.draw(truth, self.seed)
            self.plans[case_id] = plan
            if truth.incident is not None:
                self.primary.setdefault(truth.incident, case_id)
            self.schedule(center_after(now, plan.rng, 5, 120), case_id, "triage")

    def run_until(self, moment: datetime) -> None:
        """Play every step due before ``moment`` (and the hourly overdue checks between them)."""
        if self._next_check is None:
            self._next_check = moment
        while self._heap and self._heap[0][0] <= moment:
            when, _, case_id, step = heapq.heappop(self._heap)
            self._check_overdue(when)
            self._play(when, case_id, step)
        self._check_overdue(moment)

    def _check_overdue(self, moment: datetime) -> None:
        assert self._next_check is not None
        while self._next_check <= moment:
            self.stats["escalated"] += len(actions.mark_overdue(self._next_check))
            self._next_check += OVERDUE_CHECK

    def _play(self, when: datetime, case_id: int, step: str) -> None:
        case = Case.objects.filter(pk=case_id).first()
        if case is None:
            return
        try:  # each action is atomic itself; a step that stops half-way leaves a valid state
            self._handlers[step](case, self.plans[case_id], when)
            self.stats[step] += 1
        except (IllegalTransition, ValidationError, PermissionDenied) as exc:
            self.stats[f"{step} skipped"] += 1
            log.debug("demo step %s on case %s skipped: %s", step, case_id, exc)

    def _municipal_agency(self, territory_id: int | None) -> Agency | None:
        """The administration of the municipality a territory lies in."""
        node = self._territories.get(territory_id) if territory_id else None
        while node is not None:
            if node.pk in self.directory.municipal:
                return self.directory.municipal[node.pk]
            node = self._territories.get(node.parent_id) if node.parent_id else None
        return None

    def _agency_after(
        self, case: Case, now: datetime, rng: random.Random, low: float, high: float
    ) -> datetime:
        """Agencies keep duty staff for short (social network) deadlines; the rest waits for office hours."""
        if case.deadline_at is not None and case.deadline_at - now <= timedelta(hours=36):
            return center_after(now, rng, low * 60, high * 60)
        return office_after(now, rng, low, high)

    def _executor(self, case: Case) -> Any:
        return self.staff.get(case.agency_id) if case.agency_id else None

    # --- the steps ----------------------------------------------------------------------------------

    def _triage(self, case: Case, plan: CasePlan, now: datetime) -> None:
        truth = plan.truth
        if truth.is_spam:
            if case.status in (CaseStatus.NEW, CaseStatus.MODERATION):
                actions.reject_case(case, self.moderator, reason="Реклама, не обращение жителя", now=now)
            elif case.status in (CaseStatus.ASSIGNED, CaseStatus.ESCALATED):
                actions.redirect_case(
                    case, self._executor(case), reason="Это реклама, а не обращение", now=now
                )
                self.schedule(center_after(now, plan.rng, 10, 90), case.pk, "reject")
            return
        primary_id = self.primary.get(truth.incident) if truth.incident is not None else None
        if primary_id and primary_id != case.pk and case.status not in NOT_MERGEABLE:
            primary = Case.objects.filter(pk=primary_id).first()
            if primary is not None and primary.status not in NOT_MERGEABLE:
                actions.merge_cases(case, primary, self.moderator, now=now)
                return
        if case.status in (CaseStatus.NEW, CaseStatus.MODERATION):
            if plan.hold:
                if case.status == CaseStatus.NEW:
                    actions.send_to_moderation(
                        case, self.moderator, reason="Уточняем адрес у автора", now=now
                    )
                return
            assert truth.problem is not None
            category = self.matcher.best(truth.problem.category) or case.suggested_category or case.category
            territory = self._territories.get(truth.place.territory_id) or case.suggested_territory
            routed = route(category, territory, self._rules) if category is not None else None
            agency = routed.agency if routed else self._municipal_agency(territory.pk if territory else None)
            case = actions.moderate_case(
                case,
                self.moderator,
                category=category,
                territory=territory,
                agency=agency,
                is_urgent=truth.is_urgent,
                now=now,
            )
        if case.status == CaseStatus.ASSIGNED:
            self.schedule(self._agency_after(case, now, plan.rng, 0.2, 4), case.pk, "start")

    def _reject(self, case: Case, plan: CasePlan, now: datetime) -> None:
        actions.reject_case(case, self.moderator, reason="Реклама, не обращение жителя", now=now)

    def _start(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status not in WORKABLE or case.status == CaseStatus.IN_PROGRESS:
            return
        executor = self._executor(case)
        if plan.redirect and not plan.redirected:
            plan.redirected = True
            actions.redirect_case(case, executor, reason=plan.rng.choice(catalog.REDIRECT_REASONS), now=now)
            self.schedule(center_after(now, plan.rng, 20, 180), case.pk, "reassign")
            return
        if plan.clicks_start or case.status == CaseStatus.ESCALATED:
            case = actions.start_work(case, executor, now=now)
        if plan.interim and not plan.reopened:
            self.schedule(office_after(now, plan.rng, 0.3, 4), case.pk, "interim")
        self.schedule(self._final_time(case, plan, now), case.pk, "final")

    def _final_time(self, case: Case, plan: CasePlan, now: datetime) -> datetime | None:
        rng = plan.rng
        deadline = case.deadline_at
        if plan.truth.is_urgent and plan.speed == "on_time":
            return now + timedelta(hours=rng.uniform(0.5, 3))  # emergency crews work around the clock
        if deadline is None or deadline <= now:
            return self._agency_after(case, now, rng, 1, 30)
        if plan.speed == "late" and not plan.reopened:
            return office_after(deadline, rng, 1, 24)
        if plan.speed == "silent" and not plan.reopened:  # answers only long after the escalation
            return office_after(deadline, rng, 30, 150)
        target = now + (deadline - now) * rng.uniform(0.15, 0.9)
        snapped = _to_office(timezone.localtime(target))
        return snapped if snapped < deadline else target

    def _reassign(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status != CaseStatus.REDIRECTED:
            return
        previous_id = (
            CaseEvent.objects.filter(case=case, kind=EventKind.REDIRECTED)
            .order_by("-created_at", "-pk")
            .values_list("before__agency__id", flat=True)
            .first()
        )
        target = self._municipal_agency(case.territory_id)
        if target is None or target.pk == previous_id:
            target = self.directory.agencies.get("appeals")
        if target is not None:
            actions.assign_case(
                case, self.moderator, target, comment="Перенаправлено по компетенции", now=now
            )
            self.schedule(office_after(now, plan.rng, 0.5, 6), case.pk, "start")

    def _interim(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status not in WORKABLE:
            return
        actions.write_answer(
            case,
            self._executor(case),
            text=plan.rng.choice(catalog.INTERIM_ANSWERS),
            kind=AnswerKind.INTERIM,
            now=now,
        )
        self.schedule(center_after(now, plan.rng, 10, 120), case.pk, "publish_interim")

    def _publish_interim(self, case: Case, plan: CasePlan, now: datetime) -> None:
        answer = case.answers.filter(kind=AnswerKind.INTERIM, status=AnswerStatus.DRAFT).last()
        if answer is not None:
            answer = actions.approve_answer(answer, self.moderator, now=now)
            actions.publish_answer(answer, self.moderator, now=min(now + timedelta(minutes=2), self.end))

    def _final(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status not in WORKABLE:
            return
        rng = plan.rng
        if plan.rework and not plan.reworked:
            text = rng.choice(catalog.FORMAL_NON_ANSWERS)
        else:
            done = timezone.localtime(now)
            due = done + timedelta(days=rng.randint(5, 30))
            text = rng.choice(catalog.FINAL_ANSWERS).format(date=f"{done:%d.%m.%Y}", due=f"{due:%d.%m.%Y}")
        actions.write_answer(case, self._executor(case), text=text, kind=AnswerKind.FINAL, now=now)
        self.schedule(center_after(now, rng, 15, 900), case.pk, "review")

    def _review(self, case: Case, plan: CasePlan, now: datetime) -> None:
        answer = case.answers.filter(kind=AnswerKind.FINAL, status=AnswerStatus.DRAFT).last()
        if case.status != CaseStatus.ANSWERED or answer is None:
            return
        rng = plan.rng
        if plan.rework and not plan.reworked:
            plan.reworked = True
            reviewer = self.supervisor if rng.random() < 0.3 else self.moderator
            actions.return_answer(answer, reviewer, comment=rng.choice(catalog.RETURN_COMMENTS), now=now)
            self.schedule(office_after(now, rng, 1, 12), case.pk, "final")
            return
        answer = actions.approve_answer(answer, self.moderator, now=now)
        # never after the demo's end (now): the history is backdated, nothing lies in the future
        published = min(now + timedelta(minutes=rng.randint(1, 15)), self.end)
        actions.publish_answer(answer, self.moderator, now=published)
        if plan.rates:
            self.schedule(published + timedelta(hours=rng.uniform(1, 72)), case.pk, "rating")
        elif plan.closes:
            self.schedule(center_after(published + timedelta(days=3), rng, 0, 600), case.pk, "close")

    def _rating(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status != CaseStatus.PUBLISHED:
            return
        rng = plan.rng
        reopen = plan.reopen and not plan.reopened
        comment = (
            rng.choice(catalog.REOPEN_COMMENTS) if reopen else rng.choice(catalog.RATING_COMMENTS[plan.score])
        )
        actions.rate_case(case, score=plan.score, comment=comment, reopen=reopen, now=now)
        if reopen:
            plan.reopened = True
            plan.score = rng.choice((3, 4, 4, 5))
            self.schedule(office_after(now, rng, 0.5, 8), case.pk, "start")

    def _close(self, case: Case, plan: CasePlan, now: datetime) -> None:
        if case.status == CaseStatus.PUBLISHED:
            actions.close_case(case, self.moderator, now=now)
