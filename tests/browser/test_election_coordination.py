"""Issue 17, items 2 and 3, walked in a real browser as each role would, at 1440 and 390 px:

* a center operator calls an observer from a station's page (the imported phone as a ``tel:`` link)
  and logs the outcome; on a phone the silent stations' list and the station's page still fit;
* the coordinator reads the coverage of one commission (stations without an observer, observers
  who never signed in);
* the observer names the type of a violation on their form; the map filters its rings by that type
  on a phone too; the lawyer downloads the spreadsheet of one type's incidents for the complaints.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from otklik.accounts.choices import Role
from otklik.elections import reports, violations
from otklik.elections.models import (
    ObserverCall,
    ReportKind,
    ViolationType,
)
from otklik.testing.factories import make_user
from tests.browser.elections import election_region, silent_morning
from tests.browser.session import PHONE, WIDE, fits, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_calls_an_observer_from_the_station_page(
    live_server: Any, page: Any, screenshots: Path, monkeypatch: Any
) -> None:
    silent_morning(monkeypatch)
    make_user(Role.MODERATOR, username="operator", first_name="Ольга", last_name="Операторова")
    log_in(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/elections/")
    page.wait_for_selector('[data-testid="el-silent-list"]')
    assert page.inner_text('[data-testid="el-silent"]') == "2"
    # "What about 1002?": the station's page from the search box, its observer's phone a tel: link.
    page.fill("#el-find-number", "1002")
    page.click('[data-testid="find-station"] button')
    page.wait_for_selector('[data-testid="observer-call-form"]')
    phone = page.locator('[data-testid="station-observers"] a[data-testid="observer-phone"]')
    assert phone.get_attribute("href") == "tel:+79270000002"
    page.check('input[name=outcome][value="reached"]')
    page.fill("#id_note", "Наблюдатель на месте, забыл отправить открытие, сейчас отправит")
    page.click('[data-testid="observer-call-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="station-calls"] li[data-call]')
    logged = page.inner_text('[data-testid="station-calls"]')
    assert "Дозвонились" in logged and "Операторова" in logged and "забыл отправить" in logged
    call = ObserverCall.objects.get()
    assert (call.station.number, call.phone, call.caller.username) == (1002, "+79270000002", "operator")
    page.screenshot(path=str(screenshots / "elections-30-station-call-logged.png"), full_page=True)

    # The operator on a phone, away from the desk: the silent list with the call made, then 2001.
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/elections/")
    row = page.locator('[data-testid="el-silent-list"] tr[data-silent="1002"]')
    assert "Дозвонились" in row.inner_text()
    assert page.locator('[data-testid="el-silent-list"] a[href="tel:+79270000003"]').count() == 1
    fits(page)
    page.locator(".el-silent-panel").screenshot(path=str(screenshots / "elections-31-silent-phone.png"))
    page.locator('[data-testid="el-silent-list"] tr[data-silent="2001"] [data-testid="log-call"]').click()
    page.wait_for_selector('[data-testid="observer-call-form"]')
    page.check('input[name=outcome][value="no_answer"]')
    page.click('[data-testid="observer-call-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="el-silent-list"]')  # back on the list it started from
    assert "Не отвечает" in page.inner_text('[data-testid="el-silent-list"] tr[data-silent="2001"]')
    page.goto(f"{live_server.url}/elections/stations/2001/")
    page.wait_for_selector('[data-testid="station-calls"] li[data-call]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-32-station-phone.png"), full_page=True)


def test_a_coordinator_reads_one_commissions_coverage(
    live_server: Any, page: Any, screenshots: Path, monkeypatch: Any
) -> None:
    day = election_region(monkeypatch)
    ObserverCall.objects.create(
        election=day["election"],
        station=day["stations"][2001],
        observer=day["observers"][2001],
        phone="+79270000003",
        outcome="no_answer",
        called_at=day["moment"],
    )
    make_user(Role.SUPERVISOR, username="coord", first_name="Игорь", last_name="Координатов")
    log_in(page, live_server.url, "coord")
    page.goto(f"{live_server.url}/elections/observers/")
    page.wait_for_selector('[data-testid="coverage-table"]')
    assert page.inner_text('[data-testid="cov-stations"]') == "4"
    page.select_option("#id_commission", label="ТИК Балаковская")
    page.click('[data-testid="coverage-filters"] button[type=submit]')
    page.wait_for_selector('[data-testid="cov-stations"]:text-is("2")')
    assert page.inner_text('[data-testid="uncovered"]').split() == ["2002"]  # nobody observes 2002
    never = page.inner_text('[data-testid="never-signed-in"]')
    assert "Кузнецова" in never and "Петрова" not in never  # the other commission's left out
    assert "Не отвечает" in page.inner_text('[data-testid="call-log"]')
    page.screenshot(path=str(screenshots / "elections-33-coverage-commission.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_selector('[data-testid="never-signed-in"]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-34-coverage-commission-phone.png"), full_page=True)


def test_violation_types_from_the_observer_to_the_lawyers_spreadsheet(
    live_server: Any, page: Any, screenshots: Path, monkeypatch: Any
) -> None:
    day = election_region(monkeypatch, hour=11)
    violations.active_types()  # the reference list (a transactional test starts from empty tables)
    carousel = ViolationType.objects.get(code="carousel")
    reports.file_report(
        observer=day["observers"][2001].user,
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text="Агитатор раздаёт листовки у входа на участок",
        violation_type=ViolationType.objects.get(code="campaigning"),
        now=day["moment"],
    )
    base = live_server.url
    # The observer, on a phone, names the type of what they saw.
    page.set_viewport_size(PHONE)
    log_in(page, base, "obs1001")
    page.wait_for_selector('[data-testid="my-station"]')
    page.check('input[name=kind][value="violation"]')
    page.select_option("#id_violation_type", label=carousel.name)
    page.fill(
        "#id_text", "Одних и тех же людей привозят на автобусе третий раз, голосуют по бюллетеням извне"
    )
    fits(page)
    page.locator('[data-testid="report-form"]').screenshot(
        path=str(screenshots / "elections-35-observer-violation-type-phone.png")
    )
    page.click('[data-testid="report-form"] button[type=submit]')
    page.wait_for_selector(".flash-item.success")
    assert carousel.name in page.inner_text('[data-testid="my-reports"]')
    page.set_viewport_size(WIDE)  # the same form on an observer's laptop
    page.check('input[name=kind][value="violation"]')
    page.screenshot(path=str(screenshots / "elections-36-observer-violation-type.png"), full_page=True)
    log_out(page)

    # The lawyer on a phone: the map's rings filtered by type.
    make_user(Role.LAWYER, username="lawyer", first_name="Юлия", last_name="Юристова")
    page.set_viewport_size(PHONE)
    log_in(page, base, "lawyer")
    page.wait_for_selector('.el-map.map-ready[data-stations="4"]')
    assert page.get_attribute("#election-map", "data-alarm") == "2"
    page.select_option('[data-testid="el-map-type"]', label=carousel.name)
    page.wait_for_selector('#election-map[data-alarm="1"]')
    fits(page)
    page.screenshot(path=str(screenshots / "elections-37-map-filter-phone.png"), full_page=True)

    # At the desk: the incidents of one type, and their spreadsheet for the complaints.
    page.set_viewport_size(WIDE)
    page.goto(f"{base}/elections/incidents/")
    page.wait_for_selector('[data-testid="incident-table"]')
    page.select_option("#id_type", label=carousel.name)
    page.click('[data-testid="incident-filters"] button[type=submit]')
    page.wait_for_selector('[data-testid="incident-count"]:text-is("1 инцидент")')
    with page.expect_download() as download:
        page.click('[data-testid="incidents-xlsx"]')
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["Тип нарушения"] == carousel.name and record["Участок"] == 1001
    page.screenshot(path=str(screenshots / "elections-38-incidents-carousel.png"), full_page=True)
