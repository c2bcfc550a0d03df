"""Bursts wired into the periodic jobs (one alert and one email per burst) and the supervisors' page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.tasks import burst_observations, run_periodic_jobs
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user
from otklik.understanding.models import BurstAlert

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=ZoneInfo("Europe/Saratov"))


@pytest.fixture
def world() -> dict[str, Any]:
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=oblast)
    village = make_territory("село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=engels)
    agency = make_agency("Администрация Энгельсского района")
    return {
        "oblast": oblast,
        "engels": engels,
        "village": village,
        "heating": make_category("Отопление", code="heating"),
        "roads": make_category("Дороги", code="roads"),
        "agency": agency,
        "supervisor": make_user(Role.SUPERVISOR),
        "moderator": make_user(Role.MODERATOR),
        "executor": make_user(Role.EXECUTOR, agency=agency),
        "analyst": make_user(Role.ANALYST),
    }


def _history(world: dict[str, Any]) -> None:
    """A quiet month: one heating case every four days, roads every other day."""
    for day in range(1, 29):
        at = NOW - timedelta(days=day)
        if day % 4 == 0:
            make_case(category=world["heating"], territory=world["engels"], created_at=at, with_message=False)
        if day % 2 == 0:
            make_case(category=world["roads"], territory=world["engels"], created_at=at, with_message=False)


def _burst_today(world: dict[str, Any], n: int = 6) -> list[Any]:
    """Today's heating cases in the district: some confirmed, some only suggested by the pipeline."""
    cases = []
    for i in range(n):
        at = NOW - timedelta(hours=5, minutes=i * 20)
        if i % 2:
            kw = {"suggested_category": world["heating"], "suggested_territory": world["village"]}
        else:
            kw = {"category": world["heating"], "territory": world["engels"]}
        cases.append(
            make_case(text=f"Холодные батареи в доме {i + 1}", created_at=at, with_message=False, **kw)
        )
    return cases


def _burst_mails() -> list[Any]:
    return [m for m in mail.outbox if m.subject.startswith("Всплеск")]


def test_observations_fall_back_to_the_suggestion_and_skip_rejected_cases(world):
    suggested = make_case(
        suggested_category=world["heating"], suggested_territory=world["village"], created_at=NOW
    )
    rejected = make_case(category=world["heating"], territory=world["engels"], created_at=NOW)
    rejected.status = CaseStatus.REJECTED
    rejected.save()
    old = make_case(category=world["heating"], territory=world["engels"], created_at=NOW - timedelta(days=40))
    rows = {row[0]: row for row in burst_observations(NOW)}
    assert rows[suggested.pk][1:3] == (world["heating"].pk, world["village"].pk)
    assert rejected.pk not in rows and old.pk not in rows


def test_periodic_run_raises_one_alert_and_emails_supervisors_once(world, django_capture_on_commit_callbacks):
    _history(world)
    burst = _burst_today(world)
    with django_capture_on_commit_callbacks(execute=True):
        result = run_periodic_jobs(NOW)
    assert result["bursts"] == 1
    alert = BurstAlert.objects.get()
    assert (alert.category, alert.territory) == (world["heating"], world["engels"])  # village rolled up
    assert alert.count == 6 and sorted(alert.case_ids) == sorted(c.pk for c in burst)
    mails = _burst_mails()
    assert len(mails) == 1
    assert mails[0].to == [world["supervisor"].email]
    assert "Отопление" in mails[0].subject and "Энгельсский район" in mails[0].subject
    assert burst[0].number in mails[0].body

    # Later the same day: one more case updates the alert; no second alert, no second email.
    extra = make_case(
        category=world["heating"], territory=world["engels"], created_at=NOW + timedelta(minutes=30)
    )
    with django_capture_on_commit_callbacks(execute=True):
        again = run_periodic_jobs(NOW + timedelta(hours=1))
    assert again["bursts"] == 0
    assert BurstAlert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.count == 7 and extra.pk in alert.case_ids
    assert len(_burst_mails()) == 1


def test_quiet_day_raises_no_alert(world, django_capture_on_commit_callbacks):
    _history(world)
    _burst_today(world, n=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_periodic_jobs(NOW)["bursts"] == 0
    assert not BurstAlert.objects.exists() and not _burst_mails()


# --- the supervisors' page -------------------------------------------------------------------------


@pytest.fixture
def alert(world: dict[str, Any], django_capture_on_commit_callbacks: Any) -> BurstAlert:
    _history(world)
    _burst_today(world)
    with django_capture_on_commit_callbacks(execute=True):
        run_periodic_jobs(NOW)
    return BurstAlert.objects.get()


def test_supervisor_sees_open_alert_with_counts_and_its_cases(client, world, alert):
    client.force_login(world["supervisor"])
    response = client.get(reverse("cases:bursts"))
    assert response.status_code == 200
    assert [a.pk for a in response.context["open_alerts"]] == [alert.pk]
    page = response.content.decode()
    assert "Отопление" in page and "Энгельсский район" in page
    assert f'<strong class="burst-count">{alert.count}</strong>' in page
    for case_id in alert.case_ids:
        assert reverse("cases:detail", args=[case_id]) in page
    assert reverse("cases:bursts") in page  # the nav link for center roles


def test_acknowledged_alert_leaves_the_open_list(client, world, alert):
    client.force_login(world["moderator"])
    response = client.post(reverse("cases:burst-acknowledge", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world["moderator"] and alert.acknowledged_at is not None
    page = client.get(reverse("cases:bursts"))
    assert page.context["open_alerts"] == []
    assert [a.pk for a in page.context["handled"]] == [alert.pk]
    client.post(reverse("cases:burst-acknowledge", args=[alert.pk]))  # twice: the first one stays
    first = alert.acknowledged_at
    alert.refresh_from_db()
    assert alert.acknowledged_at == first


@pytest.mark.parametrize("role", ["executor", "analyst"])
def test_bursts_page_is_forbidden_outside_the_center(client, world, alert, role):
    client.force_login(world[role])
    assert client.get(reverse("cases:bursts")).status_code == 403
    assert client.post(reverse("cases:burst-acknowledge", args=[alert.pk])).status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
    queue = client.get(reverse("cases:queue")).content.decode()
    assert reverse("cases:bursts") not in queue


def test_acknowledging_a_missing_alert_is_404(client, world):
    client.force_login(world["supervisor"])
    assert client.post(reverse("cases:burst-acknowledge", args=[999999])).status_code == 404


def test_anonymous_user_is_sent_to_login(client, world):
    response = client.get(reverse("cases:bursts"))
    assert response.status_code == 302 and "login" in response["Location"]
