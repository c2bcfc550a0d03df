"""Election day in a real browser: the observer reports turnout and a violation with a photo from
their station; the lawyer sees it on the situational center's dashboard, takes it up and closes it."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.accounts.models import User
from otklik.directory.choices import TerritoryKind
from otklik.elections import reports
from otklik.elections.models import (
    ChecklistQuestion,
    Commission,
    Election,
    ExitPollOption,
    Incident,
    IncidentStatus,
    Observer,
    PollingStation,
    Protocol,
    Report,
)
from otklik.testing.factories import make_territory, make_user, square
from tests.browser.session import fits, log_in, log_out, photo_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_observer_reports_and_a_lawyer_resolves(
    live_server: Any, page: Any, screenshots: Path, settings: Any, media_root: Path, tmp_path: Path
) -> None:
    election = Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    ChecklistQuestion.objects.create(election=election, text="Ящики показаны пустыми и опечатаны?", order=1)
    first = ExitPollOption.objects.create(election=election, name="Кандидат А", order=1)
    ExitPollOption.objects.create(election=election, name="Кандидат Б", order=2)
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    district = make_territory("Энгельсский район", parent=region, geometry=square(46.0, 51.3))
    make_territory("Балаковский район", parent=region, geometry=square(47.6, 51.9))
    engels = Commission.objects.create(name="ТИК Энгельсская", territory=district)
    mine = PollingStation.objects.create(
        number=1001,
        commission=engels,
        registered_voters=1200,
        lat=51.48,
        lon=46.11,
        address="Энгельс, школа № 3",
    )
    other = PollingStation.objects.create(
        number=1002,
        commission=engels,
        registered_voters=900,
        lat=51.5,
        lon=46.2,
        address="Энгельс, школа № 9",
    )
    Observer.objects.create(user=make_user(Role.OBSERVER, username="observer"), station=mine)
    Observer.objects.create(user=make_user(Role.OBSERVER, username="second"), station=other)
    settings.OTKLIK_ELECTIONS_REFRESH_SECONDS = 1  # the dashboard fetches fresh figures every second
    make_user(Role.LAWYER, username="lawyer", first_name="Юлия", last_name="Юристова")
    photo = photo_file(tmp_path / "urn.png", color="navy")
    base = live_server.url

    page.set_viewport_size({"width": 390, "height": 844})  # observers report from their phones
    log_in(page, base, "observer")  # lands on their station
    page.wait_for_selector('[data-testid="my-station"]')
    assert page.locator('[data-testid="opening-checklist"] input[type=radio]').count() == 2
    page.screenshot(path=str(screenshots / "elections-00-observer-phone.png"), full_page=True)
    fits(page)
    assert "УИК № 1001" in page.inner_text("h1")
    page.check('input[name=kind][value="turnout"]')
    page.fill("#id_turnout", "240")
    page.click('[data-testid="report-form"] button[type=submit]')
    page.wait_for_selector(".flash-item.success")
    page.check('input[name=kind][value="violation"]')
    page.select_option("#id_violation_type", label="Вброс бюллетеней")
    page.fill("#id_text", "В 11:20 в стационарный ящик опустили пачку бюллетеней, председатель не реагирует")
    page.set_input_files("#id_photo", str(photo))
    page.click('[data-testid="report-form"] button[type=submit]')
    page.wait_for_selector(".flash-item.success")
    assert page.locator('[data-testid="my-reports"] li').count() == 2
    page.fill(f"#id_option_{first.pk}", "34")
    page.fill("#id_declined", "5")
    page.click('[data-testid="exit-poll-form"] button[type=submit]')
    page.wait_for_selector(".flash-item.success")
    page.screenshot(path=str(screenshots / "elections-01-observer.png"), full_page=True)
    log_out(page)
    page.set_viewport_size({"width": 1440, "height": 900})

    log_in(page, base, "lawyer")  # lands on the dashboard
    page.wait_for_selector('[data-testid="el-kpis"]')
    assert page.inner_text('[data-testid="el-incidents"]') == "1"
    assert page.inner_text('[data-testid="el-turnout"]').startswith("20")  # 240 of 1,200
    assert "Кандидат А" in page.inner_text('[data-testid="exit-poll"]')
    # One district with stations; both stations on the map, the observer's open with an incident.
    page.wait_for_selector('.el-map.map-ready[data-territories="1"][data-stations="2"]')
    assert page.get_attribute("#election-map", "data-open") == "1"
    assert page.get_attribute("#election-map", "data-waiting") == "1"
    assert page.get_attribute("#election-map", "data-alarm") == "1"
    assert page.locator("#election-map canvas").count() == 1  # drawn on a canvas: ~2,800 stations stay fast
    assert "Вброс бюллетеней" in page.inner_text('[data-testid="el-incident-list"]')
    # The map's filter by type: campaigning rings no station, stuffing the observer's.
    page.select_option('[data-testid="el-map-type"]', label="Агитация в день голосования")
    page.wait_for_selector('#election-map[data-alarm="0"]')
    page.select_option('[data-testid="el-map-type"]', label="Вброс бюллетеней")
    page.wait_for_selector('#election-map[data-alarm="1"]')
    page.screenshot(path=str(screenshots / "elections-02-dashboard.png"), full_page=True)
    # Live: the second station opens; the figures and the map follow without reloading the page.
    page.evaluate("window.notReloaded = true")
    reports.file_report(observer=User.objects.get(username="second"), election=election, kind="opened")
    page.wait_for_selector('[data-testid="el-opened"]:text-is("2")')
    page.wait_for_selector('#election-map[data-open="2"][data-waiting="0"]')
    assert page.evaluate("window.notReloaded") is True
    # "What is going on at 1001?": the station's page from the dashboard's search box.
    page.fill("#el-find-number", "1001")
    page.click('[data-testid="find-station"] button')
    page.wait_for_selector('[data-testid="station-reports"]')
    assert page.inner_text('[data-testid="station-incidents"]') == "1"
    assert page.locator('[data-testid="station-reports"] li[data-report]').count() == 2
    page.screenshot(path=str(screenshots / "elections-02b-station.png"), full_page=True)
    page.go_back()
    page.wait_for_selector('[data-testid="el-kpis"]')
    incident = Incident.objects.get()
    page.click(f'tr[data-incident="{incident.pk}"] a')
    page.wait_for_selector('[data-testid="incident"]')
    assert page.locator('[data-testid="incident-photo"]').count() == 1
    page.click('[data-testid="incident-take"]')
    page.wait_for_selector(".flash-item.success")
    page.select_option("#id_status", "resolved")
    page.fill("#id_resolution", "Жалоба подана в ТИК, бюллетени признаны недействительными, составлен акт.")
    page.click('[data-testid="incident-close"] button[type=submit]')
    page.wait_for_selector('[data-testid="incident-resolution"]')
    page.screenshot(path=str(screenshots / "elections-03-incident.png"), full_page=True)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.lawyer is not None

    # After the polls close: the commissions' protocols against the observers' final turnout.
    evening = timezone.make_aware(datetime.combine(election.day, time(19, 50)))
    Report.objects.create(election=election, station=other, kind="turnout", turnout=500, created_at=evening)
    Protocol.objects.create(election=election, station=other, registered=900, issued=640, valid=630, votes={})
    page.goto(f"{base}/elections/")
    page.wait_for_selector('[data-testid="el-protocols"] tr[data-discrepancy="1002"]')
    panel = page.locator('[data-testid="el-protocols"]')
    panel.screenshot(path=str(screenshots / "elections-07-protocols.png"))


def test_a_question_at_a_meeting_becomes_an_appeal_to_the_deputy(
    live_server: Any, page: Any, screenshots: Path
) -> None:
    from datetime import timedelta

    from otklik.deputies.services import make_deputy
    from otklik.elections.models import CampaignEvent

    deputy = make_deputy("Иванов Пётр Сергеевич", council="Саратовская областная дума")
    event = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        starts_at=timezone.now() + timedelta(hours=2),
        place="Дом культуры, Энгельс",
        attendance=85,
    )
    make_user(Role.SUPERVISOR, username="chief")
    election = Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    station = PollingStation.objects.create(
        number=1001, commission=Commission.objects.create(name="ТИК Энгельсская"), registered_voters=900
    )
    log_in(page, live_server.url, "chief")

    # The hotline: a voter's call about a violation goes to the lawyers.
    page.goto(f"{live_server.url}/elections/")
    page.click('[data-testid="el-tab-calls"]')
    page.check('input[name=kind][value="violation"]')
    page.select_option("#id_violation_type", label="Давление на избирателей, подкуп")
    page.fill("#id_phone", "+7 927 555-12-34")
    page.fill("#id_station", "1001")
    page.fill("#id_text", "У входа на участок раздают продуктовые наборы")
    page.click('[data-testid="call-form"] button[type=submit]')
    page.wait_for_selector(".flash-item.success")
    page.screenshot(path=str(screenshots / "elections-05-hotline.png"), full_page=True)
    assert Incident.objects.get().report.station == station and election.calls.count() == 1

    page.click('[data-testid="el-tab-events"]')
    page.click(f'tr[data-event="{event.pk}"] a')
    page.wait_for_selector('[data-testid="question-form"]')
    page.fill("#id_text", "Когда отремонтируют дорогу до районной больницы?")
    page.fill("#id_asked_by", "Татьяна")
    page.click('[data-testid="question-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="question-to-appeal"]')
    page.click('[data-testid="question-to-appeal"]')
    page.wait_for_selector('[data-testid="question-case"]')
    page.screenshot(path=str(screenshots / "elections-04-meeting.png"), full_page=True)
    page.click('[data-testid="question-case"]')
    page.wait_for_selector("#case-card")
    card = page.inner_text("#case-card")
    assert "Когда отремонтируют дорогу" in card and "Иванов Пётр Сергеевич" in card  # the deputy's office


def test_an_imported_observer_sets_a_password_by_the_invitation(
    live_server: Any, page: Any, screenshots: Path, tmp_path: Path
) -> None:
    from otklik.elections.observers import import_observers

    Election.objects.create(name="Выборы депутатов областной думы", day=timezone.localdate())
    commission = Commission.objects.create(name="ТИК Энгельсская")
    PollingStation.objects.create(number=1001, commission=commission, registered_voters=1200)
    table = tmp_path / "observers.csv"
    table.write_text(
        "station,full_name,phone\n1001,Иванова Анна Сергеевна,8 927 000-11-22\n", encoding="utf-8"
    )
    link = import_observers(table, send_email=False).invitations[0].link
    page.goto(live_server.url + link.removeprefix("http://127.0.0.1:8000"))
    page.wait_for_selector('[data-testid="password-set"]')
    assert "obs79270001122" in page.inner_text(".login-card")
    page.fill("#id_new_password1", "Урна-1001-Энгельс")
    page.fill("#id_new_password2", "Урна-1001-Энгельс")
    page.screenshot(path=str(screenshots / "elections-06-invitation.png"), full_page=True)
    page.click('[data-testid="password-set"] button[type=submit]')
    page.wait_for_selector('[data-testid="my-station"]')  # signed in, on her station
    assert "УИК № 1001" in page.inner_text("h1")
