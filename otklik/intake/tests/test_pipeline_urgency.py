"""An urgent message end to end: the urgency verdict reaches the case, its deadline policy and the
moderators' and supervisors' mailboxes at once; a look-alike that is not urgent gets none of it.

The texts are short quotes of real appeals from the hand-annotated set (docs/annotation/urgency.md).
"""

from __future__ import annotations

import pytest
from django.core import mail

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.directory.choices import Channel
from otklik.directory.defaults_deadlines import load_default_deadline_policies
from otklik.directory.models import DeadlinePolicy
from otklik.intake.pipeline import run_batch
from otklik.testing.factories import make_source, make_user

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _item(external_id: str, text: str, source: str = "vk-engels") -> dict[str, str]:
    return {
        "source": source,
        "external_id": external_id,
        "text": text,
        "posted_at": "2026-03-03T09:30:00+04:00",
        "author_id": external_id,
    }


# A burst heating pipe flooding a basement (a utility emergency) and a stairwell lamp that is out.
BURST = "Прорыв трубы отопления в подвале, водой залит подвал, пар идёт в подъезд. Энгельс, ул. Тельмана 12"
LAMP = "Не горит свет в подъезде, управляющая компания лампочки не меняет. Энгельс, ул. Тельмана 12"


@pytest.fixture
def staff(region):
    load_default_deadline_policies()
    # The working-hours regime for social networks (its urgent half: an interim answer in 4 working
    # hours); a region switches it on in the admin.
    DeadlinePolicy.objects.filter(social_only=True, unit="working_days").update(is_active=True)
    return {
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "executor": make_user(Role.EXECUTOR, agency=region["housing"]),
    }


def test_an_urgent_message_gets_the_urgent_deadline_and_alerts_the_center_at_once(
    region, staff, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        result = run_batch([_item("u1", BURST), _item("u2", LAMP)], now=NOW)
    assert result.created_cases == 2

    burst = Case.objects.get(messages__external_id="u1")
    assert burst.is_urgent
    assert burst.understanding["urgency"]["kinds"] == ["flood"]
    assert burst.status == CaseStatus.ASSIGNED and burst.agency == region["housing"]
    assert burst.deadline_policy.urgent_only and burst.deadline_policy.interim_amount == 4
    assert burst.interim_deadline_at is not None and burst.interim_deadline_at > NOW

    lamp = Case.objects.get(messages__external_id="u2")
    assert not lamp.is_urgent and lamp.understanding["urgency"]["kinds"] == []
    assert lamp.status == CaseStatus.ASSIGNED
    assert not lamp.deadline_policy.urgent_only and lamp.deadline_policy.interim_amount == 9
    assert lamp.interim_deadline_at > burst.interim_deadline_at

    alerts = [m for m in mail.outbox if m.subject.startswith("Срочно")]
    assert len(alerts) == 1
    [alert] = alerts
    assert alert.subject == f"Срочно: {burst.number}"
    assert sorted(alert.to) == sorted([staff["moderator"].email, staff["supervisor"].email])
    assert "затопление" in alert.body  # the kind in words, not its code


def test_an_urgent_call_gets_the_call_centers_urgent_policy(region, staff) -> None:
    make_source("callcenter", channel=Channel.PHONE)
    text = "Отопления нет, батареи ледяные, в квартире холодно. Энгельс, ул. Тельмана 12"
    run_batch([_item("c1", text, "callcenter")], now=NOW)
    case = Case.objects.get(messages__external_id="c1")
    assert case.is_urgent and case.understanding["urgency"]["kinds"] == ["no_heating"]
    assert case.status == CaseStatus.ASSIGNED
    assert case.deadline_policy.channel == Channel.PHONE and case.deadline_policy.urgent_only


@pytest.mark.parametrize(
    "text",
    [
        "В прошлом году был пожар у мусорных баков во дворе дома 12 по ул. Тельмана, Энгельс",
        "Восстановить штукатурку и покраску после потопа, подъезд 2, ул. Тельмана 12, Энгельс",
        "Слабый напор холодной воды, на пятый этаж не доходит. Энгельс, ул. Тельмана 12",
    ],
)
def test_past_events_and_weak_pressure_raise_no_alarm(
    region, staff, text, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run_batch([_item("n1", text)], now=NOW)
    case = Case.objects.get(messages__external_id="n1")
    assert not case.is_urgent
    assert not [m for m in mail.outbox if m.subject.startswith("Срочно")]
