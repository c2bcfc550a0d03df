"""Election day: observers report from their own station only, violations become incidents for the
lawyers, the dashboard counts turnout by hour and by commission, stations import from CEC tables."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from otklik.accounts.choices import Role
from otklik.directory.choices import TerritoryKind
from otklik.elections import dashboard, reports, stations
from otklik.elections.models import (
    Commission,
    Election,
    Incident,
    IncidentStatus,
    Observer,
    PollingStation,
    Report,
    ReportKind,
    ViolationType,
)
from otklik.testing.factories import PASSWORD, make_territory, make_user

pytestmark = pytest.mark.django_db

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ru_elections_uik_results"
SPB = SHARED.parent / "spb_uik_2021"


def at(d: dict, hour: int, minute: int = 0) -> datetime:
    t = d["today"]
    return datetime(t.year, t.month, t.day, hour, minute, tzinfo=timezone.get_current_timezone())


def png(name: str = "ballot-box.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_an_observer_reports_from_their_own_station(day):
    e, anna, turnout = day["election"], day["anna"], ReportKind.TURNOUT
    reports.file_report(observer=anna, election=e, kind=ReportKind.OPENED, now=at(day, 8))
    reports.file_report(observer=anna, election=e, kind=ReportKind.TURNOUT, turnout=120, now=at(day, 10))
    assert set(Report.objects.values_list("station", flat=True)) == {day["s1"].pk}
    with pytest.raises(ValidationError, match="больше числа избирателей в списке \\(1000\\)"):
        reports.file_report(observer=anna, election=e, kind=ReportKind.TURNOUT, turnout=1200, now=at(day, 11))
    with pytest.raises(ValidationError, match="не может уменьшиться"):
        reports.file_report(observer=anna, election=e, kind=turnout, turnout=100, now=at(day, 11))
    with pytest.raises(ValidationError, match="сколько избирателей проголосовало"):
        reports.file_report(observer=anna, election=e, kind=ReportKind.TURNOUT, now=at(day, 11))
    with pytest.raises(PermissionDenied):
        reports.file_report(observer=day["lawyer"], election=e, kind=ReportKind.OPENED)


def test_a_violation_with_a_photo_goes_to_the_lawyers(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.file_report(
            observer=day["anna"],
            election=day["election"],
            kind=ReportKind.VIOLATION,
            text="Вброс: в урну опустили пачку бюллетеней в 11:20",
            photo=png(),
            now=at(day, 11, 25),
        )
    assert report.photo.name.endswith(".png") and report.incident.status == IncidentStatus.NEW
    assert any(day["lawyer"].email in m.to and "УИК № 101" in m.subject for m in mail.outbox)
    with pytest.raises(ValidationError, match="Опишите нарушение"):
        reports.file_report(
            observer=day["anna"], election=day["election"], kind=ReportKind.VIOLATION, text="вброс"
        )
    not_a_photo = SimpleUploadedFile("act.png", b"%PDF-1.4 not an image", content_type="image/png")
    with pytest.raises(ValidationError, match="не похож на фото"):
        reports.file_report(
            observer=day["anna"],
            election=day["election"],
            kind=ReportKind.VIOLATION,
            text="Ещё нарушение на участке",
            photo=not_a_photo,
        )

    incident = report.incident
    with pytest.raises(PermissionDenied):
        reports.take_incident(incident, day["anna"])
    incident = reports.take_incident(incident, day["lawyer"])
    assert incident.status == IncidentStatus.IN_WORK and incident.lawyer == day["lawyer"]
    incident = reports.close_incident(
        incident,
        day["lawyer"],
        status=IncidentStatus.RESOLVED,
        resolution="Жалоба подана в ТИК, акт составлен.",
    )
    assert incident.status == IncidentStatus.RESOLVED
    with pytest.raises(ValidationError, match="уже закрыт"):
        reports.take_incident(incident, day["lawyer"])


def test_an_observer_sees_only_their_station(client, day):
    theirs = reports.file_report(
        observer=day["boris"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text="Наблюдателя не пускают в помещение",
        photo=png(),
    )
    client.login(username="anna", password=PASSWORD)
    assert client.get("/cases/").url == "/elections/station/"  # an observer lands on their station
    page = client.get("/elections/station/")
    assert page.status_code == 200 and page.context["station"] == day["s1"]
    assert theirs not in page.context["reports"]
    assert client.get(f"/elections/reports/{theirs.pk}/photo/").status_code == 404
    assert client.get("/elections/").status_code == 403
    assert client.get(f"/elections/incidents/{theirs.incident.pk}/").status_code == 403
    # The form has no station field: a report always goes to the observer's own station.
    response = client.post(
        "/elections/station/", {"kind": "turnout", "turnout": "50", "station": str(day["s3"].pk)}
    )
    assert response.status_code == 302
    assert Report.objects.filter(author=day["anna"]).get().station == day["s1"]

    client.login(username="boris", password=PASSWORD)
    photo = client.get(f"/elections/reports/{theirs.pk}/photo/")
    assert photo.status_code == 200 and b"".join(photo.streaming_content).startswith(b"\x89PNG")

    client.login(username="lawyer", password=PASSWORD)
    assert client.get("/cases/").url == "/elections/"
    assert client.get(f"/elections/reports/{theirs.pk}/photo/").status_code == 200
    assert client.get("/elections/station/").status_code == 403

    make_user(Role.ANALYST, username="analyst")
    client.login(username="analyst", password=PASSWORD)
    assert client.get("/elections/").status_code == 403


def test_the_observers_form_and_the_lawyers_page(client, day):
    client.login(username="anna", password=PASSWORD)
    bad = client.post("/elections/station/", {"kind": "turnout", "turnout": "5000"})
    assert bad.status_code == 400 and not Report.objects.exists()
    assert bad.context["form"].non_field_errors()  # the reason is shown on the form
    sent = client.post(
        "/elections/station/",
        {"kind": "violation", "text": "Председатель УИК не даёт снимать процедуру подсчёта", "photo": png()},
    )
    assert sent.status_code == 400 and sent.context["form"].errors["violation_type"]  # the type is asked for
    observers = ViolationType.objects.get(code="observers")
    sent = client.post(
        "/elections/station/",
        {
            "kind": "violation",
            "violation_type": observers.pk,
            "text": "Председатель УИК не даёт снимать процедуру подсчёта",
            "photo": png(),
        },
    )
    assert sent.status_code == 302
    incident = Incident.objects.get()
    assert incident.report.violation_type == observers
    client.login(username="lawyer", password=PASSWORD)
    assert client.post(f"/elections/incidents/{incident.pk}/", {"action": "take"}).status_code == 302
    closed = client.post(
        f"/elections/incidents/{incident.pk}/",
        {"action": "close", "status": "unfounded", "resolution": "Съёмка разрешена, председатель извинился."},
    )
    assert closed.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.UNFOUNDED and incident.lawyer == day["lawyer"]
    client.login(username="chief", password=PASSWORD)
    page = client.get(f"/elections/incidents/{incident.pk}/")
    assert page.status_code == 200 and b"incident-take" not in page.content  # the center watches, lawyers act


def test_the_dashboard_counts_turnout_by_hour_and_by_commission(client, day):
    e = day["election"]
    for who in ("anna", "boris"):
        reports.file_report(observer=day[who], election=e, kind=ReportKind.OPENED, now=at(day, 8))
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=100, now=at(day, 10)
    )
    reports.file_report(
        observer=day["boris"], election=e, kind=ReportKind.TURNOUT, turnout=80, now=at(day, 11)
    )
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=300, now=at(day, 12)
    )
    reports.file_report(
        observer=day["boris"],
        election=e,
        kind=ReportKind.VIOLATION,
        text="Агитация у входа на участок",
        now=at(day, 12, 30),
    )
    board = dashboard.build(e, now=at(day, 13))
    hours = dict(board.hours)
    assert hours[9] is None and hours[10] == 10.0  # 100 of 1,000 at the only reporting station
    assert hours[11] == pytest.approx(round(100 * 180 / 1800, 1)) and hours[13] == pytest.approx(
        round(100 * 380 / 1800, 1)
    )
    assert 14 not in hours  # the future is not drawn
    rows = {r.commission.name: r for r in board.rows}
    assert (rows["ТИК Энгельсская"].stations, rows["ТИК Энгельсская"].opened) == (2, 1)
    assert rows["ТИК Энгельсская"].turnout_pct == 30.0  # 300 of 1,000 (the station without reports aside)
    assert rows["ТИК Балаковская"].open_incidents == 1 and board.total_incidents == 1
    assert board.turnout_pct == pytest.approx(round(100 * 380 / 1800, 1))

    # The map's figures: per territory the commissions serve (a commission without one is left out).
    engels = make_territory("Энгельсский район", parent=make_territory("Область", kind=TerritoryKind.REGION))
    Commission.objects.filter(name="ТИК Энгельсская").update(territory=engels)
    cells = dashboard.by_territory(dashboard.build(e, now=at(day, 13)))
    assert cells == [{"id": engels.pk, "stations": 2, "opened": 1, "incidents": 0, "turnout": 30.0}]

    # New incidents come first for the lawyers, then those in work.
    reports.take_incident(board.incidents[0], day["lawyer"])
    later = reports.file_report(
        observer=day["anna"],
        election=e,
        kind=ReportKind.VIOLATION,
        text="Очередь у урны, давка",
        now=at(day, 12, 40),
    )
    board = dashboard.build(e, now=at(day, 13))
    assert [i.status for i in board.incidents] == [IncidentStatus.NEW, IncidentStatus.IN_WORK]
    assert board.incidents[0] == later.incident

    client.login(username="chief", password=PASSWORD)
    page = client.get("/elections/")
    assert page.status_code == 200 and page.context["board"].total_stations == 3


def test_stations_import_from_a_cec_table(tmp_path):
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    table = tmp_path / "uik.csv"
    table.write_text(
        'region,tik,uik,"Число избирателей, включенных в список избирателей"\n'
        "Саратовская область,Энгельсская,УИК №1001,1520.0\n"
        "Саратовская область,Энгельсская,УИК №1002,980.0\n"
        "Саратовская область,Балаковская,УИК №1101,2010.0\n"
        "Саратовская область,Балаковская,без номера,10\n"
        "Курская область,Курская городская,УИК №1,900\n",
        encoding="utf-8",
    )
    result = stations.import_stations(table, region="Саратовская область")
    assert (result.stations, result.commissions, len(result.skipped)) == (3, 2, 1)
    assert PollingStation.objects.get(number=1001).registered_voters == 1520
    assert Commission.objects.get(name="ТИК Энгельсская").territory == engels
    again = stations.import_stations(table, region="Саратовская область")
    assert (again.stations, again.updated) == (0, 3)


@pytest.mark.skipif(not SHARED.exists(), reason="the CEC tables live in ../shared/data (not shipped)")
def test_the_real_saratov_table_imports_every_station():
    result = stations.import_stations(SHARED / "2024_target_regions.csv", region="Саратовская область")
    assert result.stations > 1500 and not result.skipped
    assert PollingStation.objects.filter(registered_voters__gt=0).count() == result.stations


def test_a_station_registry_puts_stations_on_the_map_without_touching_voters(tmp_path):
    region = make_territory("Санкт-Петербург", kind=TerritoryKind.REGION)
    central = make_territory("Центральный район", parent=region)
    results = tmp_path / "results.csv"
    results.write_text(
        "uik,tik,registered_voters\n"
        "2218.0,Территориальная избирательная комиссия №64  ,1918\n"
        "2219.0,Территориальная избирательная комиссия №64,2100\n",
        encoding="utf-8",
    )
    first = stations.import_stations(results)
    assert (first.stations, first.commissions, first.placed) == (2, 1, 0)
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "uik,tik,venue_name,district,street,building,latitude,longitude\n"
        "2218.0,64,ФГБОУ ВО СПбГЭУ,Центральный район,улица Марата,дом 27,59.927178,30.352271\n"
        "2219.0,64,ГБОУ СОШ № 1,Центральный район,улица Марата,дом 30,,\n"  # no coordinates: kept off the map
        "2220.0,64,ГБОУ СОШ № 2,Центральный район,Невский проспект,дом 1,159.9,30.3\n"  # not on Earth
        ",,Законодательное собрание,,Исаакиевская площадь,дом 6,,\n"  # not a polling station
        "2218,64,ФГБОУ ВО СПбГЭУ,Центральный район,улица Марата,дом 27а,59.9272,30.3523\n",
        encoding="utf-8",
    )
    second = stations.import_stations(registry, region="Санкт-Петербург")
    assert (second.stations, second.updated, second.commissions, second.placed) == (0, 2, 0, 1)
    assert [s.split(":")[0] for s in second.skipped] == ["line 4", "line 5"]
    assert second.repeated == ["line 6: УИК № 2218 again (line 2); this row wins"]
    marata = PollingStation.objects.get(number=2218)
    assert (marata.registered_voters, marata.lat, marata.lon) == (1918, 59.9272, 30.3523)
    assert marata.address == "ФГБОУ ВО СПбГЭУ, улица Марата, дом 27а"
    assert marata.commission.name == "ТИК № 64" and marata.commission.territory == central
    assert PollingStation.objects.get(number=2219).lat is None
    with pytest.raises(ValidationError, match="--region"):
        stations.import_stations(
            SHARED / "2024_target_regions.csv" if SHARED.exists() else _regional(tmp_path)
        )


def _regional(tmp_path: Path) -> Path:
    table = tmp_path / "regional.csv"
    table.write_text("region,tik,uik\nСаратовская область,Энгельсская,1\n", encoding="utf-8")
    return table


@pytest.mark.skipif(not SPB.exists(), reason="the station registry lives in ../shared/data (not shipped)")
def test_the_real_saint_petersburg_registry_places_its_stations():
    registry = stations.import_stations(SPB / "spb_polling_stations_2021.csv")
    assert registry.stations > 1900 and registry.placed > 0.98 * registry.stations
    assert len(registry.skipped) < 60  # rows of venues with no commission (the parliament, …)
    results = stations.import_stations(SPB / "spb_duma2021_party_list_by_uik.csv")
    assert results.updated > 1900 and results.commissions == 0  # "№24" and "24" are one commission
    placed = PollingStation.objects.filter(lat__isnull=False)
    assert placed.filter(registered_voters__gt=0).count() > 0.95 * placed.count()
    in_city = placed.filter(lat__gt=59.6, lat__lt=60.3, lon__gt=29.4, lon__lt=30.8)
    abroad = placed.exclude(pk__in=in_city.values("pk"))  # the stations at consulates (Bonn, Sofia, …)
    assert abroad.count() < 10 and all(s.number >= 8000 for s in abroad)


def test_no_election_no_reports(client, day):
    Election.objects.update(is_active=False)
    client.login(username="anna", password=PASSWORD)
    assert client.get("/elections/station/").context["election"] is None
    client.login(username="chief", password=PASSWORD)
    assert b"no-election" in client.get("/elections/").content


def test_the_map_shows_each_placed_station_and_refreshes_without_the_geometry(client, day):
    PollingStation.objects.filter(pk=day["s1"].pk).update(lat=51.49, lon=46.12, address="Энгельс, школа № 3")
    PollingStation.objects.filter(pk=day["s3"].pk).update(lat=52.02, lon=47.78, address="</script> &")
    e = day["election"]
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=250, now=at(day, 10)
    )
    reports.file_report(
        observer=day["boris"],
        election=e,
        kind=ReportKind.VIOLATION,
        text="Группу избирателей привезли на автобусе голосовать по открепительным",
        now=at(day, 10, 30),
    )
    points = {p["n"]: p for p in dashboard.build(e, now=at(day, 11)).points}
    assert set(points) == {101, 201}  # station 102 has no coordinates: in the tables, not on the map
    assert points[101] == {
        "n": 101,
        "lat": 51.49,
        "lon": 46.12,
        "state": "open",  # a turnout report means it is open
        "turnout": 25.0,
        "incidents": 0,
        "address": "Энгельс, школа № 3",
        "c": day["s1"].commission_id,
        "silent": False,
    }
    assert (points[201]["state"], points[201]["turnout"], points[201]["incidents"]) == ("waiting", None, 1)

    client.login(username="chief", password=PASSWORD)
    full = client.get("/elections/")
    assert b'id="election-map-config"' in full.content and b'id="election-live"' in full.content
    refresh = client.get("/elections/", HTTP_HX_REQUEST="true")
    assert b'id="election-live"' in refresh.content and b'id="election-map-config"' not in refresh.content
    live = refresh.context["map_data"]
    assert [p["n"] for p in live["stations"]] == [101, 201]
    assert live["commissions"] == {
        day["s1"].commission_id: "ТИК Энгельсская",
        day["s3"].commission_id: "ТИК Балаковская",
    }
    # The data travels as UTF-8, not \u-escaped (a big region's stations are half a megabyte less).
    assert '"address":"Энгельс, школа № 3"' in refresh.content.decode()
    assert '"address":"\\u003C/script\\u003E \\u0026"' in refresh.content.decode()  # cannot close the script


def test_the_center_opens_a_station_and_observers_only_their_own(client, day):
    e = day["election"]
    Observer.objects.filter(user=day["anna"]).update(phone="+7 927 000-11-22")
    reports.file_report(observer=day["anna"], election=e, kind=ReportKind.OPENED, now=at(day, 8))
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=120, now=at(day, 10)
    )
    reports.file_report(
        observer=day["anna"],
        election=e,
        kind=ReportKind.VIOLATION,
        text="Председатель комиссии не пускает наблюдателя к сейфу с бюллетенями",
        now=at(day, 10, 5),
    )
    record = dashboard.station_record(day["s1"], e)
    assert (record.state, record.turnout, record.turnout_pct, record.open_incidents) == ("open", 120, 12.0, 1)
    assert [r.kind for r in record.reports] == ["violation", "turnout", "opened"]  # newest first
    assert [o.user for o in record.observers] == [day["anna"]]

    client.login(username="chief", password=PASSWORD)
    page = client.get("/elections/stations/101/")
    assert page.status_code == 200 and b"+7 927 000-11-22" in page.content
    assert client.get("/elections/stations/", {"number": "УИК № 201"}).url == "/elections/stations/201/"
    missing = client.get("/elections/stations/", {"number": "9999"}, follow=True)
    assert "Нет участка с таким номером." in missing.content.decode()
    assert client.get("/elections/stations/9999/").status_code == 404

    client.login(username="anna", password=PASSWORD)  # her own station: her page
    assert client.get("/elections/stations/101/").url == "/elections/station/"
    assert client.get("/elections/stations/201/").status_code == 403  # someone else's: no
    client.login(username="lawyer", password=PASSWORD)
    assert client.get("/elections/stations/201/").status_code == 200


def test_the_observers_form_sent_twice_makes_one_report(client, day):
    client.login(username="anna", password=PASSWORD)
    form = client.get("/elections/station/").context["form"]
    client_id = form.initial["client_id"]
    assert len(client_id) == 32
    for _ in range(2):  # a double tap, a reload that re-posts
        client.post("/elections/station/", {"kind": "opened", "client_id": client_id})
    assert Report.objects.filter(author=day["anna"]).count() == 1
    assert client.get("/elections/station/").context["form"].initial["client_id"] != client_id


def test_silent_stations_are_listed_for_the_center_to_call(day):
    e = day["election"]
    Observer.objects.filter(user=day["boris"]).update(phone="+79270005566")
    assert [(s.station.number, s.reason) for s in dashboard.build(e, now=at(day, 8, 10)).silent] == []
    early = dashboard.build(e, now=at(day, 8, 30)).silent  # nobody has opened: both watched stations
    assert [(s.station.number, s.reason) for s in early] == [(101, "not_opened"), (201, "not_opened")]
    assert early[1].phones == ("+79270005566",)  # 102 has no observer and no report: not watched
    for who in ("anna", "boris"):
        reports.file_report(observer=day[who], election=e, kind=ReportKind.OPENED, now=at(day, 8, 40))
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=90, now=at(day, 10)
    )
    board = dashboard.build(e, now=at(day, 10, 45))
    assert [(s.station.number, s.reason, s.since) for s in board.silent] == [(201, "quiet", at(day, 8, 40))]
    assert {p["n"]: p["silent"] for p in board.points} == {}  # no coordinates in this fixture
    later = dashboard.build(e, now=at(day, 12, 30)).silent
    assert [s.station.number for s in later] == [201, 101]  # the longest silence first
    reports.file_report(observer=day["anna"], election=e, kind=ReportKind.CLOSED, now=at(day, 20, 5))
    assert [(s.station.number, s.reason) for s in dashboard.build(e, now=at(day, 20, 40)).silent] == [
        (201, "not_closed")
    ]
    # The dashboard lists them with the observers' phones (the page rendered at 20:40).
    from django.template.loader import render_to_string

    html = render_to_string(
        "elections/dashboard.html",
        {"board": dashboard.build(e, now=at(day, 20, 40)), "refresh_seconds": 60},
    )
    assert 'data-silent="201"' in html and "tel:+79270005566" in html and "нет сообщения о закрытии" in html


def test_the_incidents_download_as_a_spreadsheet(client, day):
    from io import BytesIO

    from openpyxl import load_workbook

    report = reports.file_report(
        observer=day["boris"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text="Посторонние фотографируют заполненные бюллетени",
        photo=png(),
        now=at(day, 11, 5),
    )
    reports.close_incident(
        reports.take_incident(report.incident, day["lawyer"]),
        day["lawyer"],
        status=IncidentStatus.RESOLVED,
        resolution="Составлен акт, жалоба в ТИК",
    )
    client.login(username="lawyer", password=PASSWORD)
    response = client.get("/elections/incidents.xlsx")
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 1
    number, station, commission, _address, at_, observer, kind, text, photo, status, lawyer, resolution, _ = (
        rows[0]
    )
    assert kind == "Другое"  # «посторонние фотографируют» names no type
    assert (number, station, commission, observer, status) == (
        report.incident.pk,
        201,
        "ТИК Балаковская",
        "boris",
        "Решено",
    )
    assert at_.hour == 11 and text.startswith("Посторонние") and resolution == "Составлен акт, жалоба в ТИК"
    assert photo.endswith(f"/elections/reports/{report.pk}/photo/") and lawyer == "lawyer"
    assert sheet["A3"].value == "№"
    client.login(username="anna", password=PASSWORD)
    assert client.get("/elections/incidents.xlsx").status_code == 403  # observers do not


def test_the_opening_checklist(client, day, django_capture_on_commit_callbacks):
    from otklik.elections.models import ChecklistQuestion

    e = day["election"]
    sealed = ChecklistQuestion.objects.create(election=e, text="Ящики показаны пустыми и опечатаны?", order=1)
    lists = ChecklistQuestion.objects.create(
        election=e, text="Списки избирателей выложены?", order=2, critical=False
    )
    client.login(username="anna", password=PASSWORD)
    page = client.get("/elections/station/")
    assert b'data-testid="opening-checklist"' in page.content
    unanswered = client.post("/elections/station/", {"kind": "opened", f"check_{sealed.pk}": "yes"})
    assert unanswered.status_code == 400 and "чек-лист" in unanswered.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/elections/station/", {"kind": "opened", f"check_{sealed.pk}": "no", f"check_{lists.pk}": "no"}
        )
    opened = Report.objects.get(kind=ReportKind.OPENED)
    assert opened.checklist == {str(sealed.pk): False, str(lists.pk): False}
    # Only the critical "no" becomes an incident for the lawyers.
    incident = Incident.objects.get()
    assert "Ящики показаны пустыми" in incident.report.text and "Списки" not in incident.report.text
    reports.file_report(
        observer=day["boris"], election=e, kind=ReportKind.OPENED, checklist={sealed.pk: True, lists.pk: True}
    )
    rows = {r.question: r for r in dashboard.checklist_summary(e)}
    assert (rows[sealed].answered, rows[sealed].yes_pct, rows[sealed].no) == (2, 50.0, [day["s1"]])
    with pytest.raises(ValidationError):
        reports.file_report(
            observer=day["boris"], election=e, kind=ReportKind.OPENED, checklist={999999: True}
        )
    client.login(username="chief", password=PASSWORD)
    assert b'data-testid="el-checklist"' in client.get("/elections/").content
