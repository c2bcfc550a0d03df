"""Deadlines by the norms: each policy's clock starts at registration (59-FZ), at the post's time or at
the assignment; a reopened case counts from the reopening; urgent posts get the urgent policy."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from otklik.accounts.choices import Role
from otklik.cases import actions, deadlines
from otklik.cases.actions import Opening, open_cases
from otklik.cases.choices import CaseStatus
from otklik.cases.deadlines import PolicyParams, deadline_from_policy, pick_policy
from otklik.cases.models import Case
from otklik.directory.choices import Channel, DeadlineClock, DeadlineUnit
from otklik.directory.defaults_deadlines import load_default_deadline_policies
from otklik.intake.models import Message
from otklik.testing.factories import make_agency, make_case, make_policy, make_source, make_user

pytestmark = pytest.mark.django_db

SARATOV = ZoneInfo("Europe/Saratov")
REGISTERED = datetime(2026, 6, 1, 10, 0, tzinfo=SARATOV)  # Monday
ROUTED = datetime(2026, 6, 4, 11, 0, tzinfo=SARATOV)  # three days later


@pytest.fixture(autouse=True)
def _fresh_calendar():
    deadlines.calendar_cache.clear()
    yield
    deadlines.calendar_cache.clear()


def test_a_59fz_appeal_counts_from_its_registration_not_the_routing():
    load_default_deadline_policies()
    policy = pick_policy(PolicyParams(channel=Channel.OFFICIAL))
    assert policy.clock_start == DeadlineClock.REGISTRATION
    case = make_case(channel=Channel.OFFICIAL, created_at=REGISTERED)

    case = actions.assign_case(case, make_user(Role.MODERATOR), make_agency(), now=ROUTED)

    assert case.clock_started_at == REGISTERED
    assert case.deadline_at == deadline_from_policy(policy, REGISTERED).deadline_at
    assert case.deadline_at < deadline_from_policy(policy, ROUTED).deadline_at


def test_a_social_post_counts_from_the_post_time():
    load_default_deadline_policies()
    case = make_case(channel=Channel.VK, created_at=ROUTED, with_message=False)
    posted = ROUTED - timedelta(hours=5)
    Message.objects.create(
        source=make_source(), external_id="p1", channel=Channel.VK, case=case, text="t", posted_at=posted
    )

    case = actions.assign_case(case, make_user(Role.MODERATOR), make_agency(), now=ROUTED)

    assert case.clock_started_at == posted
    assert case.deadline_at == posted + timedelta(hours=24)


def test_an_assignment_policy_counts_from_the_routing():
    make_policy(2, DeadlineUnit.HOURS, channel=Channel.EMAIL, clock_start=DeadlineClock.ASSIGNMENT)
    case = make_case(channel=Channel.EMAIL, created_at=REGISTERED)
    case = actions.assign_case(case, make_user(Role.MODERATOR), make_agency(), now=ROUTED)
    assert case.clock_started_at == ROUTED and case.deadline_at == ROUTED + timedelta(hours=2)


def test_a_reopened_case_counts_from_the_reopening():
    load_default_deadline_policies()
    agency = make_agency()
    case = make_case(channel=Channel.OFFICIAL, created_at=REGISTERED, agency=agency, status=CaseStatus.CLOSED)
    reopened_at = REGISTERED + timedelta(days=40)
    case = actions.reopen_case(case, make_user(Role.MODERATOR), reason="Не решено", now=reopened_at)
    assert case.clock_started_at == reopened_at and case.deadline_at > reopened_at


def test_the_pipeline_routes_with_the_policy_clock():
    load_default_deadline_policies()
    agency = make_agency()
    case = Case(channel=Channel.OFFICIAL, text="Письмо", created_at=REGISTERED)
    [opened] = open_cases([Opening(case, agency)], now=ROUTED)
    policy = pick_policy(PolicyParams(channel=Channel.OFFICIAL))
    assert opened.clock_started_at == REGISTERED
    assert opened.deadline_at == deadline_from_policy(policy, REGISTERED).deadline_at


def test_urgent_posts_get_four_hours_with_an_interim_answer_by_default():
    load_default_deadline_policies()
    urgent = pick_policy(PolicyParams(channel=Channel.VK, is_urgent=True))
    assert urgent.is_active and urgent.amount == 4 and urgent.unit == DeadlineUnit.HOURS
    assert urgent.interim_amount == 1 and urgent.clock_start == DeadlineClock.POSTED
    ordinary = pick_policy(PolicyParams(channel=Channel.VK))
    assert ordinary.amount == 24 and ordinary != urgent
