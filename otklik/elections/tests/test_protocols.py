"""The commissions' protocols: imported from a CEC table, checked against the observers' final
turnout (stations where the protocol counts more voters than the observer saw) and the exit poll."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from otklik.elections import protocols, reports
from otklik.elections.models import ExitPollOption, PollingStation, Protocol, ReportKind
from otklik.testing.factories import PASSWORD

from .test_elections import SHARED, at

pytestmark = pytest.mark.django_db

HEADER = (
    'region,tik,uik,"Число избирателей, включенных в список избирателей",'
    '"Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно",'
    '"Число избирательных бюллетеней, выданных в помещении для голосования в день голосования",'
    '"Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования",'
    "Число недействительных избирательных бюллетеней,Число действительных избирательных бюллетеней,"
    "Кандидат А,Кандидат Б\n"
)


def table(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "protocols.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_protocols_are_checked_against_the_observers_and_the_exit_poll(tmp_path, day, client):
    e = day["election"]
    for who, turnout in (("anna", 400), ("boris", 500)):
        reports.file_report(observer=day[who], election=e, kind=ReportKind.OPENED, now=at(day, 8))
        reports.file_report(
            observer=day[who], election=e, kind=ReportKind.TURNOUT, turnout=turnout, now=at(day, 19, 50)
        )
    reports.file_report(
        observer=day["anna"], election=e, kind=ReportKind.TURNOUT, turnout=410, now=at(day, 19, 55)
    )
    a = ExitPollOption.objects.create(election=e, name="Кандидат А", order=1)
    b = ExitPollOption.objects.create(election=e, name="Кандидат Б", order=2)
    from otklik.elections.exit_polls import enter_sheet

    enter_sheet(observer=day["anna"], election=e, counts={a.pk: 30, b.pk: 70})
    enter_sheet(observer=day["boris"], election=e, counts={a.pk: 40, b.pk: 60})
    result = protocols.import_protocols(
        table(
            tmp_path,
            "Область,ТИК,УИК №101,1000,10,400,5,5,410,150,260\n"  # 415 issued vs 410 seen: fine
            "Область,ТИК,УИК №201,800,20,560,20,0,600,500,100\n"  # 600 issued vs 500 seen: +12.5 points
            "Область,ТИК,УИК №102,500,0,300,0,0,300,150,150\n"  # no observer's final figure: not compared
            "Область,ТИК,УИК №999,500,0,1,0,0,1,1,0\n"
            "Другая,ТИК,УИК №101,1,1,1,1,1,1,1,1\n",
        ),
        election=e,
        region="Область",
    )
    assert (result.protocols, result.options, result.skipped) == (
        3,
        ["Кандидат А", "Кандидат Б"],
        ["line 5: no polling station 'УИК №999'"],
    )
    assert Protocol.objects.get(station=day["s1"]).issued == 415
    report = protocols.check(e)
    assert (report.protocols, report.compared, report.turnout_pct) == (3, 2, round(100 * 1315 / 2300, 1))
    [gap] = report.discrepancies
    assert (gap.protocol.station.number, gap.observed, gap.extra, gap.gap_pct) == (201, 500, 100, 12.5)
    official = {o.name: o for o in report.options}
    assert official["Кандидат А"].official_pct == round(100 * 800 / 1310, 1)  # 61.1 % by the protocols
    assert official["Кандидат А"].exit_poll_pct == 35.0 and official["Кандидат А"].outside  # far off the poll

    # Station by station where the poll was taken: 201's protocol gives A 83.3 %, its respondents 40 %.
    assert [(g.protocol.station.number, g.option, g.gap_pp) for g in report.station_gaps] == [
        (201, "Кандидат А", 43.3),
        (201, "Кандидат Б", -43.3),
    ]
    client.login(username="chief", password=PASSWORD)
    api = client.get("/api/elections/dashboard/").json()["protocols"]
    assert [(g["station"], g["option"]) for g in api["station_gaps"]][:1] == [(201, "Кандидат А")]
    assert [(d["station"], d["gap_pct"]) for d in api["discrepancies"]] == [(201, 12.5)]
    assert [o["outside"] for o in api["options"] if o["name"] == "Кандидат А"] == [True]

    again = protocols.import_protocols(
        table(tmp_path, "Область,ТИК,УИК №201,800,0,500,0,0,500,250,250\n"), election=e, region="Область"
    )
    assert (again.protocols, again.replaced) == (0, 1) and protocols.check(e).discrepancies == []

    client.login(username="chief", password=PASSWORD)
    page = client.get("/elections/")
    assert b'data-testid="el-protocols"' in page.content and page.context["protocol_check"].protocols == 3


def test_the_command_needs_a_results_table(tmp_path, day):
    bad = tmp_path / "bad.csv"
    bad.write_text("uik,something\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not a CEC"):
        call_command("import_protocols", str(bad), stdout=StringIO())
    with pytest.raises(CommandError, match="--region"):
        call_command("import_protocols", str(table(tmp_path, "")), stdout=StringIO())


@pytest.mark.skipif(not SHARED.exists(), reason="the CEC tables live in ../shared/data (not shipped)")
def test_the_real_saratov_protocols_load_for_every_station():
    from django.utils import timezone

    from otklik.elections.models import Election
    from otklik.elections.stations import import_stations

    election = Election.objects.create(
        name="Выборы Президента РФ (2024, данные ЦИК)", day=timezone.localdate()
    )
    import_stations(SHARED / "2024_target_regions.csv", region="Саратовская область")
    out = StringIO()
    call_command(
        "import_protocols",
        str(SHARED / "2024_target_regions.csv"),
        "--region",
        "Саратовская область",
        stdout=out,
    )
    assert "Путин Владимир Владимирович" in out.getvalue()
    report = protocols.check(election)
    assert report.protocols == PollingStation.objects.count() > 1500 and 50 < (report.turnout_pct or 0) < 100
    assert abs(sum(o.official_pct for o in report.options) - 100) < 0.5
