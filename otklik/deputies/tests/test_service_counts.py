"""«Мой депутат»'s service figures from their rollups (:mod:`otklik.deputies.service_counts`) equal the
same figures counted straight from the cases and visits, after a full build and after every kind of
change the incremental refresh must follow: an appeal answered, merged, moved to another place, to
another deputy or away from the deputies; a deputy of another faction, region or constituency, or
gone; visits counted today and rows added for a past day; a week's edge in local time; every reach
(the center, a faction's headquarters, a regional coordinator)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.deputies import service_counts, services, statistics
from otklik.deputies.models import AppealFact, Deputy, PageVisit, ServiceWeek
from otklik.deputies.services import Reach
from otklik.directory.choices import Channel, TerritoryKind
from otklik.directory.models import Territory
from otklik.testing.factories import PASSWORD, make_case, make_territory, make_user

pytestmark = pytest.mark.django_db

WEEKS = 6


def _district(territory: Territory | None) -> Territory | None:
    """The ancestor right under the region (a region itself stays)."""
    if territory is None:
        return None
    while territory.parent_id is not None and territory.parent.parent_id is not None:
        territory = territory.parent
    return territory


def counted_straight(reach: Reach, first: date, last: date) -> dict:
    """The figures from the cases and visits themselves, one row at a time."""
    tz = timezone.get_current_timezone()
    deputies = {d.office_id: d for d in reach.deputies()}
    total = defaultdict(int)
    weeks: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    districts: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    channels: dict[str, int] = defaultdict(int)
    for case in Case.objects.filter(agency__in=list(deputies)).exclude(status=CaseStatus.MERGED):
        week = statistics.monday(case.created_at.astimezone(tz).date())
        if not first <= week <= last:
            continue
        deputy = deputies[case.agency_id]
        place = case.territory or deputy.territories.order_by("name", "pk").first()
        district = _district(place)
        answered = case.answered_at is not None
        on_time = answered and (case.deadline_at is None or case.answered_at <= case.deadline_at)
        for figures in (total, weeks[week], districts[district.pk if district else 0]):
            figures["appeals"] += 1
            figures["answered"] += answered
            figures["on_time"] += on_time
            figures["calls"] += case.channel == Channel.PHONE
        channels[case.channel] += 1
    visible = [d.pk for d in deputies.values()]
    for visit in PageVisit.objects.filter(deputy__in=visible):
        week = statistics.monday(visit.day)
        if first <= week <= last and visit.count:
            total["visits"] += visit.count
            weeks[week]["visits"] += visit.count
    return {
        "total": dict(total),
        "weeks": {w.strftime("%d.%m.%Y"): dict(f) for w, f in weeks.items()},
        "districts": {pk: dict(f) for pk, f in districts.items()},
        "channels": dict(channels),
        "deputies": len(deputies),
    }


def from_rollups(reach: Reach, first: date, last: date) -> dict:
    found = statistics.service_stats(reach, first, last, fresh=True)

    def figures(f: statistics.Figures, *, visits: bool = True) -> dict:
        out = {"appeals": f.appeals, "answered": f.answered, "on_time": f.on_time, "calls": f.calls}
        if visits:
            out["visits"] = f.visits
        return {k: v for k, v in out.items() if v}

    return {
        "total": figures(found.total),
        "weeks": {w.label: figures(w) for w in found.weeks},
        # by label, each label's figures in a sorted list: districts of two regions may share a name
        "districts": _by_label((d.label, figures(d, visits=False)) for d in found.districts),
        "channels": {code: n for code, _label, n in found.channels},
        "deputies": found.deputies,
    }


def _nonzero(counted: dict) -> dict:
    names = statistics.district_labels([pk for pk in counted["districts"] if pk])
    return {
        **counted,
        "total": {k: v for k, v in counted["total"].items() if v},
        "weeks": {w: {k: v for k, v in f.items() if v} for w, f in counted["weeks"].items()},
        "districts": _by_label(
            (names.get(pk, ""), {k: v for k, v in f.items() if v}) for pk, f in counted["districts"].items()
        ),
    }


def _by_label(rows) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for label, figures in rows:
        out[label].append(sorted(figures.items()))
    return {label: sorted(found) for label, found in out.items()}


@pytest.fixture
def world(council):
    """Appeals to two deputies of two factions in two regions over six weeks, in every state."""
    now = timezone.now()
    ivanov, petrova = council["ivanov"], council["petrova"]
    other_region = make_territory("Самарская область", kind=TerritoryKind.REGION)
    samara = make_territory("Городской округ Самара", kind=TerritoryKind.OKRUG, parent=other_region)
    Deputy.objects.filter(pk=petrova.pk).update(region=other_region)
    made = {
        "on_time": make_case(
            agency=ivanov.office,
            channel=Channel.DEPUTY,
            territory=council["engels"],
            created_at=now - timedelta(days=3),
            answered_at=now - timedelta(days=1),
            deadline_at=now,
        ),
        "late": make_case(
            agency=ivanov.office,
            channel=Channel.PHONE,
            created_at=now - timedelta(days=15),
            answered_at=now,
            deadline_at=now - timedelta(days=2),
        ),
        "no_deadline": make_case(
            agency=ivanov.office, channel=Channel.EMAIL, created_at=now - timedelta(days=22), answered_at=now
        ),
        "open": make_case(agency=petrova.office, channel=Channel.PHONE, territory=samara, created_at=now),
        "merged": make_case(
            agency=petrova.office, channel=Channel.PHONE, created_at=now, status=CaseStatus.MERGED
        ),
        "old": make_case(agency=ivanov.office, channel=Channel.PHONE, created_at=now - timedelta(weeks=10)),
        "not_a_deputy": make_case(agency=council["housing"], channel=Channel.PHONE, created_at=now),
    }
    PageVisit.objects.create(deputy=ivanov, day=timezone.localdate(), count=30)
    PageVisit.objects.create(deputy=petrova, day=timezone.localdate() - timedelta(days=7), count=12)
    PageVisit.objects.create(deputy=petrova, day=timezone.localdate() - timedelta(weeks=9), count=5)
    return {**council, **made, "other_region": other_region, "samara": samara}


def _reaches(world) -> list[Reach]:
    return [
        Reach(),
        Reach(factions=(world["party"].pk,)),
        Reach(factions=(world["party"].pk, world["other"].pk), regions=(world["other_region"].pk,)),
        Reach(factions=()),
    ]


def assert_equal_everywhere(world) -> None:
    today = timezone.localdate()
    last = statistics.monday(today)
    for reach in _reaches(world):
        for first in (last - timedelta(weeks=WEEKS - 1), last - timedelta(weeks=11), last):
            assert from_rollups(reach, first, last) == _nonzero(counted_straight(reach, first, last)), (
                reach,
                first,
            )


def test_built_whole_the_figures_equal_the_cases(world):
    service_counts.refresh()
    assert_equal_everywhere(world)
    everyone = from_rollups(
        Reach(), statistics.monday(timezone.localdate()) - timedelta(weeks=5), timezone.localdate()
    )
    # Иванов's three appeals and Петрова's open call; the merged one, the old one and the
    # agency's own case are not counted.
    assert everyone["total"] == {"appeals": 4, "answered": 3, "on_time": 2, "calls": 2, "visits": 42}
    assert everyone["districts"] == {
        "Энгельсский район": [sorted({"appeals": 3, "answered": 3, "on_time": 2, "calls": 1}.items())],
        "Городской округ Самара": [sorted({"appeals": 1, "calls": 1}.items())],
    }


def test_every_change_is_followed_incrementally(world):
    service_counts.refresh()
    now = timezone.now()
    ivanov, petrova = world["ivanov"], world["petrova"]
    # An appeal answered late, one merged, one moved to another place and to another deputy, one
    # routed away from the deputies, one un-merged.
    case = world["open"]
    case.answered_at, case.deadline_at = now, now - timedelta(hours=1)
    case.save()
    Case.objects.get(pk=world["on_time"].pk).save()  # saved unchanged: counted once still
    merged = Case.objects.get(pk=world["late"].pk)
    merged.status = CaseStatus.MERGED
    merged.save()
    unmerged = Case.objects.get(pk=world["merged"].pk)
    unmerged.status = CaseStatus.IN_PROGRESS
    unmerged.save()
    moved = Case.objects.get(pk=world["no_deadline"].pk)
    moved.agency, moved.territory = petrova.office, world["balakovo_district"]
    moved.save()
    away = Case.objects.get(pk=world["on_time"].pk)
    away.agency = world["roads"]
    away.save()
    make_case(agency=ivanov.office, channel=Channel.DEPUTY, created_at=now)
    # Visits: today's counted again, a new row for a day two weeks ago.
    services.count_visit(ivanov)
    services.count_visit(petrova)
    PageVisit.objects.create(deputy=ivanov, day=timezone.localdate() - timedelta(days=14), count=7)
    done = service_counts.refresh()
    assert not done.full and done.deputies == 0
    assert_equal_everywhere(world)


def test_a_deputy_changed_elsewhere_is_counted_again(world):
    service_counts.refresh()
    ivanov, petrova = world["ivanov"], world["petrova"]
    # Bulk edits (no signal, no case saved): Иванов to the other faction and region, Петрова's
    # constituency gets a district (her appeals without a place count there now).
    Deputy.objects.filter(pk=ivanov.pk).update(faction=world["other"], region=world["other_region"])
    petrova.territories.add(world["balakovo_district"])
    make_case(agency=petrova.office, channel=Channel.EMAIL, created_at=timezone.now())
    done = service_counts.refresh()
    assert done.deputies == 2
    assert_equal_everywhere(world)
    # A deputy gone: their appeals and visits no longer count.
    Deputy.objects.filter(pk=petrova.pk).delete()
    service_counts.refresh()
    assert_equal_everywhere(world)
    assert (
        from_rollups(Reach(), timezone.localdate() - timedelta(weeks=5), timezone.localdate())["deputies"]
        == 1
    )


def test_the_week_is_the_local_one(world, settings):
    # 00:30 on a Monday in Saratov is still Sunday in UTC: the appeal counts in Monday's week.
    tz = timezone.get_current_timezone()
    monday = statistics.monday(timezone.localdate())
    early = datetime(monday.year, monday.month, monday.day, 0, 30, tzinfo=tz)
    late = early - timedelta(hours=1)  # 23:30 on Sunday: the week before
    this_week, week_before = monday.strftime("%d.%m.%Y"), (monday - timedelta(weeks=1)).strftime("%d.%m.%Y")

    def appeals_by_week() -> dict[str, int]:
        service_counts.refresh()
        weeks = from_rollups(Reach(), monday - timedelta(weeks=1), monday)["weeks"]
        return {label: weeks.get(label, {}).get("appeals", 0) for label in (this_week, week_before)}

    before = appeals_by_week()  # the fixture's own appeals fall by the day the test runs
    make_case(agency=world["ivanov"].office, channel=Channel.DEPUTY, created_at=early)
    make_case(agency=world["ivanov"].office, channel=Channel.DEPUTY, created_at=late)
    assert appeals_by_week() == {this_week: before[this_week] + 1, week_before: before[week_before] + 1}
    assert_equal_everywhere(world)


def test_a_rebuild_equals_the_increments(world):
    service_counts.refresh()
    case = Case.objects.get(pk=world["open"].pk)
    case.answered_at = timezone.now()
    case.save()
    Deputy.objects.filter(pk=world["ivanov"].pk).update(region=world["other_region"])
    service_counts.refresh()
    kept = sorted(
        ServiceWeek.objects.filter(appeals__gt=0).values_list(
            "week", "faction", "region", "district", "channel", "appeals", "answered", "on_time"
        )
    )
    service_counts.rebuild()
    assert (
        sorted(
            ServiceWeek.objects.values_list(
                "week", "faction", "region", "district", "channel", "appeals", "answered", "on_time"
            )
        )
        == kept
    )
    assert_equal_everywhere(world)


def test_the_page_shows_the_figures_of_the_reach(world, client):
    make_user(Role.SUPERVISOR, username="head")
    client.login(username="head", password=PASSWORD)
    page = client.get("/deputies/statistics/", {"weeks": 4})
    stats = page.context["stats"]
    last = statistics.monday(timezone.localdate())
    expected = counted_straight(Reach(), last - timedelta(weeks=3), last)
    assert page.status_code == 200
    assert (stats.total.appeals, stats.total.visits, stats.deputies) == (
        expected["total"]["appeals"],
        expected["total"]["visits"],
        2,
    )
    assert stats.date_from == last - timedelta(weeks=3)


def test_the_command_refreshes_and_rebuilds(world):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_service_figures", stdout=out)
    assert "full=True" in out.getvalue()  # the first run counts everything
    make_case(agency=world["ivanov"].office, channel=Channel.PHONE, created_at=timezone.now())
    call_command("refresh_service_figures", stdout=out)
    assert "full=False" in out.getvalue().splitlines()[-1]  # what changed only
    call_command("refresh_service_figures", "--rebuild", stdout=out)
    assert "full=True" in out.getvalue().splitlines()[-1]
    assert_equal_everywhere(world)


def test_districts_of_the_same_name_in_two_regions_stay_apart(world):
    # A "Городской округ Самара" under the other region too: two districts, two rows.
    twin = make_territory("Городской округ Самара", kind=TerritoryKind.OKRUG, parent=world["oblast"])
    make_case(agency=world["ivanov"].office, channel=Channel.PHONE, territory=twin, created_at=timezone.now())
    service_counts.refresh()
    assert_equal_everywhere(world)
    last = statistics.monday(timezone.localdate())
    found = from_rollups(Reach(), last - timedelta(weeks=WEEKS - 1), last)["districts"]
    # each row named with its region, so the head of the center can tell them apart
    assert set(found) >= {
        f"Городской округ Самара — {world['other_region'].name}",
        f"Городской округ Самара — {world['oblast'].name}",
    }
    assert "Городской округ Самара" not in found
    assert all(" — " not in label for label in found if "Самара" not in label)  # a unique name stays bare


def test_the_build_in_the_database_counts_each_appeal_as_the_recount_does(world):
    """The full build (``--rebuild``: INSERT … SELECT in the database) gives every appeal the fact the
    incremental recount computes in Python (:func:`service_counts.fact_of`), and weeks that are
    those facts' sums, equal to the increments: after edits, a merge and an un-merge, a move to
    another deputy and place, a deputy of another region, appeals without a place (the
    constituency's district, or none), a place under a district, both sides of a local week's edge."""
    service_counts.refresh()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    monday = statistics.monday(timezone.localdate())
    early = datetime(monday.year, monday.month, monday.day, 0, 30, tzinfo=tz)  # Sunday in UTC
    ivanov = world["ivanov"]
    for created in (early, early - timedelta(hours=1)):
        make_case(agency=ivanov.office, channel=Channel.DEPUTY, created_at=created)
    make_case(agency=ivanov.office, channel=Channel.WEB_FORM, territory=world["engels"], created_at=now)
    # Saved (not bulk-updated): the increments follow them, the rebuild must agree.
    for name, changes in (
        ("open", {"answered_at": now, "deadline_at": now - timedelta(hours=1)}),
        ("late", {"status": CaseStatus.MERGED}),
        ("merged", {"status": CaseStatus.IN_PROGRESS}),
        ("no_deadline", {"agency": world["petrova"].office, "territory": world["balakovo_district"]}),
    ):
        case = Case.objects.get(pk=world[name].pk)
        for field, value in changes.items():
            setattr(case, field, value)
        case.save()
    Deputy.objects.filter(pk=ivanov.pk).update(region=world["other_region"])
    service_counts.refresh()
    columns = (*service_counts.KEY, *service_counts.VALUES)
    increments = sorted(ServiceWeek.objects.filter(appeals__gt=0).values_list(*columns))

    built = service_counts.rebuild()

    district_of = service_counts.districts()
    by_office = {key[0]: (pk, key) for pk, key in service_counts.deputy_keys(district_of).items()}
    expected = service_counts._facts(Case.objects.values_list("pk", flat=True), by_office, district_of)
    assert {f.case_id: service_counts._stored(f) for f in AppealFact.objects.all()} == expected
    assert built.cases == len(expected) == 8
    assert {f.district for f in expected.values()} >= {world["engels_district"].pk, 0}
    sums: dict = defaultdict(lambda: [0, 0, 0])
    for fact in expected.values():
        service_counts._add(sums, fact, +1)
    weeks = sorted(ServiceWeek.objects.values_list(*columns))
    assert weeks == sorted((*key, *values) for key, values in sums.items()) == increments
    assert_equal_everywhere(world)
