"""Supervisors hold deadlines: extension with a reason (59-FZ: up to 30 days, the applicant told through
the outbox), interim-answer requests, internal notes never shown to residents, reminders before a
deadline by the periodic job — each in the case's history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus, DeliveryStatus, EventKind
from otklik.cases.models import ReplyDelivery
from otklik.public.services import status_token
from otklik.testing.factories import PASSWORD, make_agency, make_case, make_category, make_user

pytestmark = pytest.mark.django_db

NOTE = "Звонили в УК: подрядчик сорвал сроки, директор Иванов обещал к пятнице"


@pytest.fixture
def world():
    agency = make_agency("Администрация Энгельсского района")
    now = timezone.now()
    case = make_case(
        status=CaseStatus.ASSIGNED,
        agency=agency,
        category=make_category("Дороги"),
        assigned_at=now - timedelta(hours=30),
        clock_started_at=now - timedelta(hours=30),
        deadline_at=now + timedelta(hours=10),
        lat=51.5,
        lon=46.1,
    )
    return {
        "case": case,
        "now": now,
        "supervisor": make_user(Role.SUPERVISOR, username="boss"),
        "moderator": make_user(Role.MODERATOR, username="mod"),
        "executor": make_user(Role.EXECUTOR, agency=agency, username="ex"),
    }


def test_a_supervisor_extends_the_deadline_and_the_applicant_is_told(
    world, django_capture_on_commit_callbacks
):
    case, now = world["case"], world["now"]
    before = case.deadline_at
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.extend_deadline(case, world["supervisor"], days=30, reason="Нужна экспертиза", now=now)
    assert case.deadline_at > before + timedelta(days=29) and case.extended_days == 30
    event = case.events.get(kind=EventKind.DEADLINE_EXTENDED)
    assert event.actor == world["supervisor"] and event.comment == "Нужна экспертиза"
    notice = case.answers.get(kind=AnswerKind.INTERIM)
    assert notice.status == AnswerStatus.PUBLISHED and "Нужна экспертиза" in notice.text
    assert "продлён" in notice.text
    assert ReplyDelivery.objects.get(answer=notice).status == DeliveryStatus.STAGING  # through the outbox
    assert any(case.number in m.subject for m in mail.outbox)  # the agency by email
    with pytest.raises(ValidationError):  # 59-FZ: 30 days in all
        actions.extend_deadline(case, world["supervisor"], days=1, reason="Ещё", now=now)


def test_only_a_supervisor_extends_and_always_with_a_reason(world):
    with pytest.raises(PermissionDenied):
        actions.extend_deadline(world["case"], world["moderator"], days=5, reason="Причина")
    with pytest.raises(ValidationError):
        actions.extend_deadline(world["case"], world["supervisor"], days=5, reason=" ")


def test_the_center_asks_for_an_interim_answer(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.request_interim_answer(
            world["case"], world["moderator"], hours=4, comment="Что сделано?"
        )
    assert case.interim_deadline_at is not None and case.interim_deadline_at > world["now"]
    assert case.events.filter(kind=EventKind.INTERIM_REQUESTED).count() == 1
    assert any("промежуточный" in m.subject for m in mail.outbox)
    with pytest.raises(PermissionDenied):
        actions.request_interim_answer(world["case"], world["executor"])


def test_the_periodic_job_reminds_at_three_quarters_once(world, django_capture_on_commit_callbacks):
    case, now = world["case"], world["now"]  # 30 of 40 hours used: exactly 75 %
    early = actions.remind_before_deadlines(now=now - timedelta(hours=1))
    assert early == []
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.remind_before_deadlines(now=now) == [case.pk]
    assert actions.remind_before_deadlines(now=now + timedelta(hours=1)) == []  # once per deadline
    case.refresh_from_db()
    assert case.reminded_at == now and case.events.filter(kind=EventKind.REMINDED).count() == 1
    assert any(case.number in m.subject and "истекает" in m.subject for m in mail.outbox)


def test_a_reminder_n_working_hours_before(world, settings):
    settings.OTKLIK_DEADLINE_REMIND_AT = 0.99
    settings.OTKLIK_DEADLINE_REMIND_WORKING_HOURS = 200  # any open case is within 200 working hours
    assert actions.remind_before_deadlines(now=world["now"] - timedelta(hours=20)) == [world["case"].pk]


def test_an_internal_note_is_never_shown_to_residents(world, client):
    case = world["case"]
    actions.add_note(case, world["executor"], text=NOTE)
    with pytest.raises(PermissionDenied):
        actions.add_note(case, make_user(Role.EXECUTOR, agency=make_agency("Другое")), text="чужое")
    client.login(username="mod", password=PASSWORD)
    assert NOTE in client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    client.logout()
    public_pages = [
        f"/public/status/{case.number}/{status_token(case)}/",
        f"/public/problems/{case.number}/",
        f"/open311/v2/requests/{case.number}.json",
        f"/open311/v2/requests/{case.number}.xml",
        "/open311/v2/requests.json",
        "/public/map/",
        f"/api/cases/{case.pk}/",  # the staff's API: not for an anonymous resident
    ]
    for url in public_pages:
        response = client.get(url)
        assert response.status_code in (200, 401, 403, 404), url
        assert "Иванов" not in response.content.decode(), url
        assert "подрядчик" not in response.content.decode(), url
