"""The questions voters ask at campaign meetings: understood like appeals, answered, analysed.

**Understanding.** A question written down at a meeting goes through the same understanding stages as
an appeal (:mod:`otklik.understanding`): the category by the classifier (rules and the learned model
the pipeline uses), the place by the gazetteer (the meeting's territory when the text names none) and
urgency by the urgency reader. The results are kept on the question, so the analysis groups them
without running the stages again; :func:`understand_pending` fills the questions recorded before.

**Answers.** A question is answered at the meeting (the candidate answered on the spot, written down
then), later (an answer written down after the meeting), or through its appeal (a question turned
into an appeal to the deputy is answered when the appeal's final answer is given).

**Analysis** (:func:`analyse`): the questions of the meetings ``user`` may see (the calendar's
faction scoping: :func:`otklik.elections.campaign.visible_events`) under the calendar's filters,
counted by topic, by district (the municipality of the question's place) and by week of the
meeting, with the share answered and the appeals' outcome.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from otklik.analytics.figures import percent
from otklik.cases.choices import CaseStatus
from otklik.directory.models import Territory
from otklik.understanding import places, urgency
from otklik.understanding.classify import classify
from otklik.understanding.text import analyze

from .models import CampaignEvent, EventQuestion


def understand(question: EventQuestion, *, save: bool = True) -> EventQuestion:
    """Category, place and urgency of the question by the appeals' understanding stages."""
    analyzed = analyze(question.text)
    classification = classify(analyzed)
    urgent = urgency.assess(analyzed, now=question.created_at)
    place = places.locate(question.text)
    territory = place.territory
    event_territory = question.event.territory
    if event_territory is not None and (territory is None or place.is_ambiguous):
        territory = event_territory  # the text names no place below the region: where it was asked
    question.category = classification.category
    question.territory = territory
    question.is_urgent = urgent.is_urgent
    question.understanding = {
        "category_confidence": round(classification.confidence, 3),
        "matched_terms": classification.matched_terms[:10],
        "decided_by": classification.decided_by,
        "version": classification.version,
        "place_source": place.source if place.territory is not None else "meeting",
        "urgency_kinds": list(urgent.kinds),
    }
    question.understood_at = timezone.now()
    if save:
        question.save(update_fields=["category", "territory", "is_urgent", "understanding", "understood_at"])
    return question


def understand_pending(limit: int | None = None) -> int:
    """Understand the questions not understood yet (recorded before the stages ran on them)."""
    pending = EventQuestion.objects.filter(understood_at__isnull=True).select_related("event__territory")
    done = 0
    for question in pending[:limit] if limit else pending:
        understand(question)
        done += 1
    return done


def record_answer(
    question: EventQuestion, *, text: str, at_meeting: bool, now: datetime | None = None
) -> EventQuestion:
    """The answer the candidate gave: at the meeting, or later."""
    text = text.strip()
    if len(text) < 3:
        raise ValidationError(_("Write the answer down in a few words."))
    question.answer = text
    question.answered_at_meeting = at_meeting
    question.answered_at = now or timezone.now()
    question.save(update_fields=["answer", "answered_at", "answered_at_meeting"])
    return question


# --- the analysis --------------------------------------------------------------------------------

AT_MEETING, LATER, BY_APPEAL = "meeting", "later", "appeal"


def answer_state(question_answered_at: Any, at_meeting: bool, case_answered_at: Any) -> str:
    """How a question was answered: at the meeting, later, through its appeal, or not ("")."""
    if question_answered_at is not None:
        return AT_MEETING if at_meeting else LATER
    if case_answered_at is not None:
        return BY_APPEAL
    return ""


@dataclass
class Tally:
    """Questions of one topic, district or week."""

    label: str
    key: Any = None
    questions: int = 0
    urgent: int = 0
    at_meeting: int = 0
    later: int = 0  # written down after the meeting, or the appeal's final answer
    appeals: int = 0
    appeals_answered: int = 0

    @property
    def answered(self) -> int:
        return self.at_meeting + self.later

    @property
    def answered_pct(self) -> float | None:
        return percent(self.answered, self.questions)

    def add(self, state: str, urgent: bool, has_case: bool, case_answered: bool) -> None:
        self.questions += 1
        self.urgent += urgent
        self.at_meeting += state == AT_MEETING
        self.later += state in (LATER, BY_APPEAL)
        self.appeals += has_case
        self.appeals_answered += has_case and case_answered


@dataclass(frozen=True)
class AppealOutcome:
    question_id: int
    question: str
    event_id: int
    event: str
    asked_on: date
    case_id: int
    case_number: str
    status: str
    status_label: str
    answered_at: datetime | None
    overdue: bool


@dataclass(frozen=True)
class QuestionRow:
    """One question as the spreadsheet lists it."""

    pk: int
    asked_on: date
    candidate: str
    place: str
    district: str
    topic: str
    urgent: bool
    text: str
    answer: str
    state: str  # AT_MEETING, LATER, BY_APPEAL or ""
    case_number: str
    case_status: str
    case_answered_at: datetime | None


@dataclass
class Analysis:
    meetings: int = 0
    total: Tally = field(default_factory=lambda: Tally(label=""))
    topics: list[Tally] = field(default_factory=list)
    districts: list[Tally] = field(default_factory=list)
    weeks: list[Tally] = field(default_factory=list)
    appeals: list[AppealOutcome] = field(default_factory=list)
    outcomes: list[tuple[str, int]] = field(default_factory=list)  # (status label, appeals)
    not_understood: int = 0
    rows: list[QuestionRow] = field(default_factory=list)


def _districts_of(territory_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Each territory's district: its ancestor right under the region (itself when it is one)."""
    if not territory_ids:
        return {}
    nodes = {pk: (parent, name) for pk, parent, name in Territory.objects.values_list("pk", "parent", "name")}
    out: dict[int, tuple[int, str]] = {}
    for pk in territory_ids:
        chain: list[int] = [pk]
        parent = nodes.get(pk, (None, ""))[0]
        while parent is not None and len(chain) < 10:
            chain.append(parent)
            parent = nodes.get(parent, (None, ""))[0]
        district = chain[-2] if len(chain) >= 2 else chain[-1]
        out[pk] = (district, nodes.get(district, (None, ""))[1])
    return out


def week_of(moment: datetime) -> date:
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def analyse(events: QuerySet[CampaignEvent]) -> Analysis:
    """The questions of ``events`` (already scoped and filtered by the caller) counted by topic,
    district and week, answered at the meeting or later, and the appeals made of them."""
    fields = (
        "pk",
        "text",
        "event_id",
        "event__candidate",
        "event__place",
        "event__starts_at",
        "event__territory_id",
        "territory_id",
        "category_id",
        "category__name",
        "is_urgent",
        "understood_at",
        "answer",
        "answered_at",
        "answered_at_meeting",
        "case_id",
        "case__number",
        "case__status",
        "case__answered_at",
        "case__is_overdue",
    )
    rows = list(
        EventQuestion.objects.filter(event__in=events).order_by("event__starts_at", "pk").values_list(*fields)
    )
    result = Analysis(meetings=events.count())
    places = {fields.index("territory_id"), fields.index("event__territory_id")}
    districts = _districts_of({t for r in rows for t in (r[i] for i in places) if t is not None})
    topics: dict[Any, Tally] = {}
    by_district: dict[Any, Tally] = {}
    weeks: dict[date, Tally] = {}
    outcomes: Counter[str] = Counter()
    statuses = dict(CaseStatus.choices)
    for (
        pk,
        text,
        event_id,
        candidate,
        place,
        starts_at,
        event_territory,
        territory,
        category_id,
        category_name,
        urgent,
        understood_at,
        answer,
        answered_at,
        at_meeting,
        case_id,
        case_number,
        case_status,
        case_answered_at,
        overdue,
    ) in rows:
        state = answer_state(answered_at, at_meeting, case_answered_at)
        has_case = case_id is not None
        case_answered = case_answered_at is not None
        result.not_understood += understood_at is None
        topic = topics.setdefault(
            category_id, Tally(label=category_name or _("Topic not recognised"), key=category_id)
        )
        district_id, district_name = districts.get(territory or event_territory or 0, (None, ""))
        district = by_district.setdefault(
            district_id, Tally(label=district_name or _("Place not known"), key=district_id)
        )
        week_start = week_of(starts_at)
        week = weeks.setdefault(week_start, Tally(label=week_start.strftime("%d.%m.%Y"), key=week_start))
        for tally in (result.total, topic, district, week):
            tally.add(state, urgent, has_case, case_answered)
        label = str(statuses.get(case_status, case_status)) if has_case else ""
        asked_on = timezone.localtime(starts_at).date()
        result.rows.append(
            QuestionRow(
                pk=pk,
                asked_on=asked_on,
                candidate=candidate,
                place=place,
                district=district.label if district_id is not None else "",
                topic=category_name or "",
                urgent=urgent,
                text=text,
                answer=answer,
                state=state,
                case_number=case_number or "",
                case_status=label,
                case_answered_at=case_answered_at,
            )
        )
        if has_case:
            outcomes[label] += 1
            result.appeals.append(
                AppealOutcome(
                    question_id=pk,
                    question=text,
                    event_id=event_id,
                    event=candidate,
                    asked_on=asked_on,
                    case_id=case_id,
                    case_number=case_number,
                    status=case_status,
                    status_label=label,
                    answered_at=case_answered_at,
                    overdue=bool(overdue),
                )
            )
    result.topics = sorted(topics.values(), key=lambda t: (t.key is None, -t.questions, t.label))
    result.districts = sorted(by_district.values(), key=lambda t: (t.key is None, -t.questions, t.label))
    result.weeks = [weeks[k] for k in sorted(weeks)]
    result.outcomes = outcomes.most_common()
    return result
