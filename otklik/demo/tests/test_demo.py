from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from otklik.accounts.models import User
from otklik.cases.access import scope_cases
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case, CaseEvent, Rating
from otklik.cases.routing import route
from otklik.demo.agencies import municipal_administration_name, setup_agencies
from otklik.demo.run import demo_messages, load_reference_data
from otklik.demo.users import DEMO_LOGINS
from otklik.deputies.models import Deputy
from otklik.directory.models import Category, Territory
from otklik.directory.regions import load_shipped_region


@pytest.mark.django_db
def test_routing_sends_problems_to_the_right_agency():
    load_reference_data()
    region = load_shipped_region("saratov").region
    setup_agencies(region)
    saratov = Territory.objects.get(parent=region, name="Саратов")
    engels = Territory.objects.get(name="Энгельс")
    baltay_district = Territory.objects.get(parent=region, name="Балтайский район")
    potholes = Category.objects.get(code="roads-potholes")
    heating = Category.objects.get(code="housing-heating")
    lighting = Category.objects.get(code="amenities-lighting")
    assert route(potholes, saratov).agency.short_name == "Администрация г. Саратов"
    assert route(potholes, baltay_district).agency.short_name == "Минтранс"
    assert route(heating, engels).agency.short_name == "Теплосети"
    assert route(heating, baltay_district).agency.short_name == "Администрация Балтайского района"
    assert route(lighting, engels).agency.short_name == "Администрация Энгельсского района"
    assert route(Category.objects.get(code="health-ambulance"), engels).agency.short_name == "Минздрав"
    # Nothing else matches: the municipality's fallback, and outside every municipality the region's.
    assert route(None, baltay_district).agency.short_name == "Администрация Балтайского района"
    assert route(None, region).agency.short_name == "Управление по обращениям"
    assert municipal_administration_name(Territory.objects.get(name="ЗАТО Светлый"))[0] == (
        "Администрация городского округа ЗАТО Светлый"
    )


@pytest.mark.django_db
def test_demo_command_builds_a_working_region(client):
    out = StringIO()
    with CaptureQueriesContext(connection) as ctx:
        call_command("demo", messages=300, weeks=2, seed=5, stdout=out)
    output = out.getvalue()
    # PostgreSQL is left with the statistics of what was loaded; SQLite is not asked
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        [ours] = [sql for sql in analyzed if '"intake_message"' in sql]  # the rollups analyze theirs too
        assert '"cases_case"' in ours and '"cases_caseevent"' in ours
    else:
        assert analyzed == []
    for login in DEMO_LOGINS:
        assert f"{login.username:<12} {login.password}" in output

    assert demo_messages().count() == 300
    # most new cases arrive categorized and placed by the pipeline, with the why on record
    arrived = [c.understanding for c in Case.objects.exclude(status=CaseStatus.MERGED)]
    categorized = [u for u in arrived if u["scores"] and u["version"] and u["decided_by"]]
    placed = [u for u in arrived if u["place"].get("precision", "none") != "none" and u["place"]["matched"]]
    assert len(categorized) >= 0.8 * len(arrived) and len(placed) >= 0.8 * len(arrived)
    assert all(u["matched_terms"] for u in categorized if u["decided_by"] == "rules")
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.CLOSED, CaseStatus.PUBLISHED} & statuses
    assert (
        len(
            statuses
            & {
                CaseStatus.MODERATION,
                CaseStatus.ASSIGNED,
                CaseStatus.IN_PROGRESS,
                CaseStatus.ESCALATED,
                CaseStatus.ANSWERED,
            }
        )
        >= 2
    )
    assert len(statuses) >= 5
    assert Rating.objects.exists()
    # The history is backdated: nothing after the demo's end (now), no answer before its case.
    assert not CaseEvent.objects.filter(created_at__gt=timezone.now()).exists()
    answers = CaseEvent.objects.filter(kind=EventKind.ANSWER_WRITTEN).select_related("case")
    assert answers.exists() and all(e.created_at >= e.case.created_at for e in answers)

    # Running again changes nothing; --reset builds it anew.
    cases = Case.objects.count()
    call_command("demo", messages=300, weeks=2, seed=5, stdout=StringIO())
    assert demo_messages().count() == 300 and Case.objects.count() == cases
    call_command("demo", messages=300, weeks=2, seed=5, reset=True, stdout=StringIO())
    assert demo_messages().count() == 300
    assert Case.objects.filter(messages__isnull=True).exclude(status=CaseStatus.MERGED).count() == 0

    for login in DEMO_LOGINS:
        assert client.login(username=login.username, password=login.password), login.username
        client.logout()
    assert User.objects.get(username="admin").is_superuser

    for username in ("engels", "vodokanal", "mintrans"):
        executor = User.objects.get(username=username)
        visible = scope_cases(Case.objects.all(), executor)
        assert set(visible.values_list("agency_id", flat=True)) <= {executor.agency_id}
    engels = User.objects.get(username="engels")
    assert Case.objects.visible_to(engels).exists()
    assert Case.objects.visible_to(engels).count() < Case.objects.count()

    # The deputies: the "deputy" login answers for one reception office and sees only its appeals;
    # some appeals were answered and rated; the coordinator's faction has deputies to rank.
    deputy = User.objects.get(username="deputy")
    appeals = Case.objects.visible_to(deputy)
    assert appeals.exists() and set(appeals.values_list("agency_id", flat=True)) == {deputy.agency_id}
    assert appeals.filter(channel="deputy", ratings__isnull=False).exists()
    coordinator = User.objects.get(username="coordinator")
    assert coordinator.coordinated_factions.get().deputies.count() >= 2
    assert not Deputy.objects.filter(territories__isnull=True).exists()  # each has a constituency's district
    # The rating rewards answering: the first deputy answered at least the median share of appeals.
    from otklik.deputies import services as deputy_services

    ranked = [
        r
        for r in deputy_services.rating(Deputy.objects.all(), deputy_services.rating_scope())
        if r.score is not None
    ]
    shares = sorted(r.shares["responsiveness"] or 0 for r in ranked)
    assert (ranked[0].shares["responsiveness"] or 0) >= shares[len(shares) // 2]
    # The campaign meetings' questions were understood, some answered, some turned into appeals.
    from otklik.elections.models import EventQuestion

    assert EventQuestion.objects.filter(understood_at__isnull=False).count() >= 10
    assert EventQuestion.objects.filter(answered_at__isnull=False).exists()
    assert EventQuestion.objects.filter(case__isnull=False).exists()
    # Residents were asked two weeks on whether a reply came; the public table has figures.
    from otklik.deputies.models import ReplyCheck

    assert ReplyCheck.objects.exclude(reply="").exists()
    table = client.get("/deputies/responsiveness/").context["rows"]
    assert sum(r.replies.enough for r in table) >= 3  # a share for most deputies, not "too few answers"

    # Election day: the observer is bound to a station of the demo's election, the lawyer sees it.
    from otklik.elections.models import Election, Observer, PollingStation

    observer = Observer.objects.select_related("station").get(user__username="observer")
    assert observer.station.number == 1001 and Election.objects.filter(is_active=True).exists()
    client.login(username="lawyer", password="lawyer-demo")
    board = client.get("/elections/").context["board"]
    # The opening checklist was answered at every station that opened (none before 8:00 local).
    from otklik.elections.models import Report

    opened = Report.objects.filter(kind="opened").count()
    checklist = client.get("/elections/").context["checklist"]
    assert len(checklist) == 3 and all(row.answered == opened for row in checklist)
    # Every demo station is on the map, inside its district's box.
    assert len(board.points) == board.total_stations == 40
    for point in board.points:
        station = PollingStation.objects.select_related("commission__territory").get(number=point["n"])
        min_lon, min_lat, max_lon, max_lat = station.commission.territory.bbox
        assert (
            min_lat - 0.02 <= point["lat"] <= max_lat + 0.02
            and min_lon - 0.03 <= point["lon"] <= max_lon + 0.03
        )
    # Observers with phones at nearly every station (a few uncovered, a few never signed in).
    from otklik.elections import coordination

    coverage = coordination.coverage()
    assert coverage.total_observers > 40 and 0 < coverage.total_uncovered < 10
    assert 0 < coverage.total_never_signed_in < coverage.total_observers / 3
    assert not Observer.objects.filter(phone="").exists()
    client.login(username="observer", password="observer-demo")
    assert client.get("/elections/station/").context["station"] == observer.station
