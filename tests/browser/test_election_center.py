"""The situational center's newer pieces in a real browser, each walked as its role would: the
lawyer works the incidents by type of violation (on a wide screen and on a phone)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.elections import reports, violations
from otklik.elections.models import Commission, Election, Observer, PollingStation, ReportKind, ViolationType
from otklik.testing.factories import make_user
from tests.browser.session import fits, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _election_day() -> dict[str, Any]:
    election = Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    engels = Commission.objects.create(name="ТИК Энгельсская")
    balakovo = Commission.objects.create(name="ТИК Балаковская")
    stations = [
        PollingStation.objects.create(number=n, commission=c, registered_voters=900)
        for n, c in ((1001, engels), (1002, engels), (2001, balakovo))
    ]
    observers = []
    for n, station in enumerate(stations):
        user = make_user(Role.OBSERVER, username=f"obs{n}", first_name="Наблюдатель", last_name=f"№{n + 1}")
        observers.append(Observer.objects.create(user=user, station=station, phone=f"+7927000000{n}"))
    return {"election": election, "stations": stations, "observers": observers}


def test_a_lawyer_works_the_incidents_by_type(live_server: Any, page: Any, screenshots: Path) -> None:
    day = _election_day()
    violations.active_types()  # the reference list (a transactional test starts from empty tables)
    typed = {t.code: t for t in ViolationType.objects.all()}
    for observer, code, text in (
        (day["observers"][0], "stuffing", "Пачка бюллетеней в стационарном ящике при открытии"),
        (day["observers"][1], "campaigning", "У входа раздают листовки кандидата"),
        (day["observers"][2], "stuffing", "Вброс около 14:00, член УИК опускал бюллетени"),
        (day["observers"][2], "observers", "Наблюдателя не пускают к столу выдачи бюллетеней"),
    ):
        reports.file_report(
            observer=observer.user,
            election=day["election"],
            kind=ReportKind.VIOLATION,
            text=text,
            violation_type=typed[code],
        )
    make_user(Role.LAWYER, username="lawyer", first_name="Юлия", last_name="Юристова")
    log_in(page, live_server.url, "lawyer")
    page.click('[data-testid="el-tab-incidents"]')
    page.wait_for_selector('[data-testid="incident-table"]')
    assert page.inner_text('[data-testid="incident-count"]') == "4 инцидента"
    page.select_option("#id_type", label="Вброс бюллетеней")
    page.click('[data-testid="incident-filters"] button[type=submit]')
    page.wait_for_selector('[data-testid="incident-count"]:text-is("2 инцидента")')
    page.screenshot(path=str(screenshots / "elections-10-incidents-by-type.png"), full_page=True)
    # The wrong type is corrected on the incident's page.
    page.click('[data-testid="incident-table"] tbody tr:first-child a')
    page.wait_for_selector('[data-testid="incident-retype"]')
    page.select_option("#id_violation_type", label="Препятствование наблюдателям")
    page.click('[data-testid="incident-retype"] button[type=submit]')
    page.wait_for_selector('[data-testid="incident-type"]:has-text("Препятствование наблюдателям")')
    page.set_viewport_size({"width": 390, "height": 844})  # a lawyer on the road to the commission
    page.goto(f"{live_server.url}/elections/incidents/?status=open")
    page.wait_for_selector('[data-testid="incident-table"]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-11-incidents-phone.png"), full_page=True)


def test_an_operator_calls_a_silent_station_and_sees_the_coverage(
    live_server: Any, page: Any, screenshots: Path, monkeypatch: Any
) -> None:
    from datetime import datetime, time

    from otklik.elections import dashboard

    day = _election_day()
    # 10:30 on election day: nobody has reported the opening, every watched station is silent.
    ten_thirty = timezone.make_aware(datetime.combine(day["election"].day, time(10, 30)))
    monkeypatch.setattr(dashboard, "clock", lambda: ten_thirty)
    second = day["observers"][1]
    second.user.last_login = timezone.now()
    second.user.save()
    reports.file_report(
        observer=second.user, election=day["election"], kind=ReportKind.OPENED, now=ten_thirty
    )
    PollingStation.objects.create(
        number=2002, commission=day["stations"][2].commission, registered_voters=700
    )
    make_user(Role.SUPERVISOR, username="chief", first_name="Ирина", last_name="Старшая")
    log_in(page, live_server.url, "chief")
    page.goto(f"{live_server.url}/elections/")
    row = page.locator('[data-testid="el-silent-list"] tr[data-silent="1001"]')
    assert row.locator('a[href="tel:+79270000000"]').count() == 1  # click-to-call from the import's phone
    row.locator('[data-testid="log-call"]').click()
    page.wait_for_selector('[data-testid="observer-call-form"]')
    page.check('input[name=outcome][value="no_answer"]')
    page.click('[data-testid="observer-call-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="el-silent-list"]')  # back on the dashboard
    assert "Не отвечает" in page.inner_text('[data-testid="el-silent-list"] tr[data-silent="1001"]')
    page.screenshot(path=str(screenshots / "elections-12-silent-called.png"), full_page=True)

    page.click('[data-testid="el-tab-observers"]')
    page.wait_for_selector('[data-testid="coverage-table"]')
    assert page.inner_text('[data-testid="cov-never"]') == "2"  # of three observers, one signed in
    assert "2002" in page.inner_text('[data-testid="uncovered"]')
    assert "Не отвечает" in page.inner_text('[data-testid="call-log"]')
    page.screenshot(path=str(screenshots / "elections-13-observers.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector('[data-testid="coverage-table"]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-14-observers-phone.png"), full_page=True)
