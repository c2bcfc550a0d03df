"""Deadline policies: the defaults of PRODUCT.md on concrete dates, specificity, working minutes."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from otklik.accounts.choices import Role
from otklik.cases import actions, deadlines
from otklik.cases.deadlines import PolicyParams, deadline_for_case, deadline_from_policy, pick_policy
from otklik.directory.choices import Channel, DeadlineUnit
from otklik.directory.defaults_deadlines import load_default_deadline_policies, read_deadline_policies
from otklik.directory.models import DeadlinePolicy
from otklik.testing.factories import make_agency, make_case, make_category, make_policy, make_user

pytestmark = pytest.mark.django_db

SARATOV = ZoneInfo("Europe/Saratov")
# Thursday 11 June 2026, 15:00: a short pre-holiday day; Friday 12 June is Russia Day.
START = datetime(2026, 6, 11, 15, 0, tzinfo=SARATOV)


def at(m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SARATOV)


@pytest.fixture(autouse=True)
def _fresh_calendar():
    deadlines.calendar_cache.clear()
    yield
    deadlines.calendar_cache.clear()


@pytest.fixture
def defaults() -> int:
    return load_default_deadline_policies()


def policy(
    *, channel: str = "", social: bool = False, urgent: bool = False, active: bool = True
) -> DeadlinePolicy:
    return DeadlinePolicy.objects.get(
        channel=channel, social_only=social, urgent_only=urgent, is_active=active
    )


# (channel, social_only, urgent_only, is_active) → (final deadline, interim deadline) from START.
EXPECTED = {
    # 24 hours around the clock, the holiday does not matter.
    ("", True, False, True): (at(6, 12, 15), None),
    # The working-hours variant (off by default). Interim 9 working hours: 2 h on the short Thursday,
    # then Monday 9–13 and 14–17. Final: the 7th working day after Thursday (Mon 15 … Tue 23 June).
    ("", True, False, False): (at(6, 23, 18), at(6, 15, 17)),
    # Urgent: interim 4 working hours → Monday 11:00.
    ("", True, True, False): (at(6, 23, 18), at(6, 15, 11)),
    # Urgent, on by default: 4 hours around the clock, the interim answer within the hour.
    ("", True, True, True): (at(6, 11, 19), at(6, 11, 16)),
    # 59-FZ: 30 days → Saturday 11 July → Monday 13 July, close of business.
    (Channel.OFFICIAL, False, False, True): (at(7, 13, 18), None),
    (Channel.DEPUTY, False, False, True): (at(7, 13, 18), None),
    # Feedback platform: the 8th working day after Thursday.
    (Channel.WEB_FORM, False, False, True): (at(6, 24, 18), None),
    (Channel.EMAIL, False, False, True): (at(6, 24, 18), None),
    # Call center: 3 working days; urgent: interim 4 working hours, final the next working day.
    (Channel.PHONE, False, False, True): (at(6, 17, 18), None),
    (Channel.PHONE, False, True, True): (at(6, 15, 18), at(6, 15, 11)),
}


@pytest.mark.parametrize(("key", "expected"), EXPECTED.items(), ids=lambda v: str(v))
def test_default_policy_deadline_on_concrete_dates(defaults, key, expected):
    channel, social, urgent, active = key
    chosen = policy(channel=channel, social=social, urgent=urgent, active=active)
    result = deadline_from_policy(chosen, START)
    assert (result.deadline_at, result.interim_deadline_at) == expected
    assert result.policy == chosen


def test_defaults_express_every_regime_and_load_idempotently(defaults):
    rows = read_deadline_policies()
    assert defaults == len(rows) == DeadlinePolicy.objects.count()
    regimes = {
        (p.channel, p.social_only, p.urgent_only, p.amount, p.unit, p.interim_amount)
        for p in DeadlinePolicy.objects.all()
    }
    assert ("", True, False, 24, DeadlineUnit.HOURS, None) in regimes
    assert ("", True, False, 7, DeadlineUnit.WORKING_DAYS, 9) in regimes
    assert ("", True, True, 7, DeadlineUnit.WORKING_DAYS, 4) in regimes
    assert (Channel.OFFICIAL, False, False, 30, DeadlineUnit.DAYS, None) in regimes
    assert (Channel.WEB_FORM, False, False, 8, DeadlineUnit.WORKING_DAYS, None) in regimes
    assert (Channel.EMAIL, False, False, 8, DeadlineUnit.WORKING_DAYS, None) in regimes
    assert any(p[0] == Channel.PHONE for p in regimes)

    edited = policy(channel=Channel.OFFICIAL)
    edited.amount = 15
    edited.save()
    assert load_default_deadline_policies() == 0
    assert DeadlinePolicy.objects.count() == len(rows)
    assert policy(channel=Channel.OFFICIAL).amount == 15  # the administrator's edit survives a reload
    assert load_default_deadline_policies(update=True) == len(rows)
    assert policy(channel=Channel.OFFICIAL).amount == 30


def test_social_case_gets_24_hours_until_the_working_hours_variant_is_switched_on(defaults):
    vk = PolicyParams(channel=Channel.VK)
    assert pick_policy(vk).unit == DeadlineUnit.HOURS
    assert pick_policy({"channel": Channel.TELEGRAM, "is_urgent": True}).unit == DeadlineUnit.HOURS
    DeadlinePolicy.objects.filter(social_only=True, unit=DeadlineUnit.WORKING_DAYS).update(is_active=True)
    assert pick_policy(vk).interim_amount == 9
    assert pick_policy(PolicyParams(channel=Channel.VK, is_urgent=True)).interim_amount == 4


def test_pick_policy_by_channel_and_urgency(defaults):
    assert pick_policy(PolicyParams(channel=Channel.OFFICIAL)) == policy(channel=Channel.OFFICIAL)
    assert pick_policy(PolicyParams(channel=Channel.PHONE)) == policy(channel=Channel.PHONE)
    assert pick_policy(PolicyParams(channel=Channel.PHONE, is_urgent=True)) == policy(
        channel=Channel.PHONE, urgent=True
    )
    # A social-only policy never applies to an official appeal, and nothing covers Open311 by default.
    assert pick_policy(PolicyParams(channel=Channel.OPEN311)) is None


def test_pick_policy_prefers_the_most_specific():
    heating = make_category("ЖКХ")
    radiators = make_category("Отопление", parent=heating)
    anywhere = make_policy(30, DeadlineUnit.DAYS, name="any")
    by_channel = make_policy(3, DeadlineUnit.WORKING_DAYS, channel=Channel.VK, name="vk")
    by_social = make_policy(24, DeadlineUnit.HOURS, social_only=True, name="social", priority=50)
    by_parent = make_policy(8, DeadlineUnit.WORKING_HOURS, category=heating, name="heating")
    by_sub = make_policy(4, DeadlineUnit.WORKING_HOURS, category=radiators, name="radiators")
    urgent_sub = make_policy(
        2, DeadlineUnit.WORKING_HOURS, category=radiators, urgent_only=True, name="urgent"
    )
    make_policy(1, DeadlineUnit.HOURS, category=radiators, urgent_only=True, is_active=False, name="off")

    assert pick_policy(PolicyParams(channel=Channel.EMAIL)) == anywhere
    # An exact channel beats "any social network", whatever the priority.
    assert pick_policy(PolicyParams(channel=Channel.VK)) == by_channel
    assert pick_policy(PolicyParams(channel=Channel.TELEGRAM)) == by_social
    # A category (its parent too) beats a channel; the exact subcategory beats the parent.
    assert pick_policy(PolicyParams(channel=Channel.VK, category=heating)) == by_parent
    assert pick_policy(PolicyParams(channel=Channel.VK, category=radiators)) == by_sub
    assert pick_policy(PolicyParams(channel=Channel.VK, category=radiators, is_urgent=True)) == urgent_sub


def test_priority_breaks_a_tie_between_equally_specific_policies():
    make_policy(3, DeadlineUnit.WORKING_DAYS, channel=Channel.EMAIL, name="low", priority=0)
    high = make_policy(5, DeadlineUnit.WORKING_DAYS, channel=Channel.EMAIL, name="high", priority=5)
    assert pick_policy(PolicyParams(channel=Channel.EMAIL)) == high


def test_case_without_a_policy_gets_one_working_day():
    case = make_case(channel=Channel.OPEN311)
    result, started = deadline_for_case(case, START)
    assert started == START
    assert result.policy is None
    assert result.deadline_at == at(6, 15, 18)  # Thursday → the next working day is Monday
    assert result.interim_deadline_at is None


def test_assigning_a_case_starts_the_policy_deadline(defaults):
    moderator = make_user(Role.MODERATOR)
    case = make_case(channel=Channel.OFFICIAL)
    case = actions.assign_case(case, moderator, make_agency(), now=START)
    assert case.deadline_policy == policy(channel=Channel.OFFICIAL)
    assert case.deadline_at == at(7, 13, 18)


def test_working_minutes_across_a_weekend_and_a_holiday():
    # Friday 5 June 17:00 → Monday 8 June 10:00: one hour each side of the weekend.
    assert deadlines.working_minutes(at(6, 5, 17), at(6, 8, 10)) == 120
    # Wednesday 10 June 17:00 → Monday 15 June 10:00: 60 + the short Thursday (7 h) + 60; Russia Day off.
    assert deadlines.working_minutes(at(6, 10, 17), at(6, 15, 10)) == 60 + 7 * 60 + 60
