"""The periodic overdue job: marks once, escalates to the supervisors, emails them, never twice."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from otklik import periodic
from otklik.accounts.choices import Role
from otklik.cases import actions, deadlines
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.tasks import run_periodic_jobs
from otklik.celery import run_periodic_job
from otklik.directory.choices import Channel, DeadlineUnit
from otklik.testing.factories import make_agency, make_case, make_policy, make_user

pytestmark = pytest.mark.django_db

SARATOV = ZoneInfo("Europe/Saratov")
# Wednesday 15 July 2026, 10:00; a 4-working-hour policy makes the deadline 15:00 the same day.
ASSIGNED = datetime(2026, 7, 15, 10, 0, tzinfo=SARATOV)
DEADLINE = datetime(2026, 7, 15, 15, 0, tzinfo=SARATOV)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    deadlines.calendar_cache.clear()
    yield
    deadlines.calendar_cache.clear()


@pytest.fixture
def world():
    agency = make_agency()
    make_policy(4, DeadlineUnit.WORKING_HOURS, channel=Channel.VK)
    return {
        "agency": agency,
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR, email="chief@example.test"),
        "executor": make_user(Role.EXECUTOR, agency=agency),
    }


def assigned_case(world, at: datetime = ASSIGNED):
    case = actions.assign_case(make_case(channel=Channel.VK), world["moderator"], world["agency"], now=at)
    return case


def kinds(case) -> list[str]:
    return list(case.events.values_list("kind", flat=True))


def test_case_before_its_deadline_is_left_alone(world, django_capture_on_commit_callbacks):
    case = assigned_case(world)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_periodic_jobs(now=DEADLINE - timedelta(minutes=1))
    case.refresh_from_db()
    assert result["overdue"] == 0
    assert not case.is_overdue and case.status == CaseStatus.ASSIGNED
    assert mail.outbox == []


def test_overdue_case_is_marked_escalated_and_supervisors_emailed_once(
    world, django_capture_on_commit_callbacks
):
    case = assigned_case(world)
    assert case.deadline_at == DEADLINE
    later = DEADLINE + timedelta(minutes=5)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_periodic_jobs(now=later)
    case.refresh_from_db()
    assert result["overdue"] == 1 and result["overdue_case_ids"] == [case.pk]
    assert case.is_overdue
    assert case.status == CaseStatus.ESCALATED
    assert case.escalated_at == later
    assert kinds(case).count(EventKind.OVERDUE) == 1
    assert kinds(case).count(EventKind.ESCALATED) == 1
    assert [m.to for m in mail.outbox] == [["chief@example.test"]]
    assert case.number in mail.outbox[0].subject

    # The next minute's run finds nothing new: no second event, no second email.
    with django_capture_on_commit_callbacks(execute=True):
        again = run_periodic_jobs(now=later + timedelta(minutes=1))
    case.refresh_from_db()
    assert again["overdue"] == 0
    assert kinds(case).count(EventKind.OVERDUE) == 1
    assert kinds(case).count(EventKind.ESCALATED) == 1
    assert len(mail.outbox) == 1


def test_already_escalated_case_is_marked_overdue_without_a_second_escalation(
    world, django_capture_on_commit_callbacks
):
    case = assigned_case(world)
    actions.escalate_case(case, world["moderator"], reason="Резонансное", now=ASSIGNED + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        run_periodic_jobs(now=DEADLINE + timedelta(hours=1))
    case.refresh_from_db()
    assert case.is_overdue and case.status == CaseStatus.ESCALATED
    assert kinds(case).count(EventKind.ESCALATED) == 1
    assert kinds(case).count(EventKind.OVERDUE) == 1
    assert mail.outbox == []


def test_answered_case_is_not_overdue(world, django_capture_on_commit_callbacks):
    case = assigned_case(world)
    actions.write_answer(
        case, world["executor"], text="Подача горячей воды восстановлена.", now=DEADLINE - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = run_periodic_jobs(now=DEADLINE + timedelta(days=2))
    case.refresh_from_db()
    assert result["overdue"] == 0
    assert case.status == CaseStatus.ANSWERED and not case.is_overdue
    assert case.answer_working_minutes == 3 * 60  # 10:00–13:00; the answer came at 14:00, after lunch
    assert not any(m.subject.startswith("Эскалация") for m in mail.outbox)


def test_celery_task_marks_cases_past_deadline_now(world, django_capture_on_commit_callbacks):
    past = timezone.now() - timedelta(days=10)
    case = actions.assign_case(make_case(channel=Channel.VK), world["moderator"], world["agency"], now=past)
    assert case.deadline_at < timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_periodic_job.delay("mark-overdue").get()["overdue"] == 1
    case.refresh_from_db()
    assert case.is_overdue and case.status == CaseStatus.ESCALATED
    assert run_periodic_job("mark-overdue") is None  # ran a moment ago: claimed once per interval
    assert periodic.get("mark-overdue").function()["overdue"] == 0  # and found nothing new
