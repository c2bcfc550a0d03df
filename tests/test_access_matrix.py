"""The access matrix generated from the URL conf (issue 11, first rows): every URL of the project
(the admin aside, guarded by the admin site) has an entry here — a new URL without one fails —
and is requested with real objects by an anonymous visitor (GET and POST) and by an analyst.

Anonymous: a public URL answers without a server error; every other URL sends to the login page or
answers 401/403/404/405, never the page. Analyst: aggregates only (PRODUCT.md), so no case list,
card, action or API case answers 200.
Executor of another agency, deputy of another office: no case page, action or API answer of a case
that is not theirs. Observer: no election page but their own station's (another station's card
included). Coordinator of another faction: no page, spreadsheet or API answer shows a meeting of a
faction they do not coordinate, its voters or their questions."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.testing.factories import make_agency, make_case, make_user

pytestmark = pytest.mark.django_db

PUBLIC = {
    "",
    "set_language",
    "accounts:login",
    "accounts:logout",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_set",
    "public:appeal",
    "public:map",
    "public:problem",
    "public:problem-photo",  # a public problem's photo no moderator hid; 404 otherwise
    "public:status",
    "public:rate",
    "open311:root",
    "open311:discovery",
    "open311:services",
    "open311:service",
    "open311:requests",
    "open311:request",
    "open311:token",
    "deputies:directory",
    "deputies:statistics",
    "deputies:responsiveness",
    "deputies:deputy",
    "deputies:reply",
    "intake:webhook",  # signed by the sender (HMAC), refused without the signature
    "intake:max-webhook",  # MAX's X-Max-Bot-Api-Secret header, 403 without it
    "healthz",
    "readyz",
    "api-schema",
    "api-docs",
}
STAFF = {
    "accounts:profile",
    *(
        f"cases:{n}"
        for n in [
            "queue",
            "confirm",
            "bursts",
            "burst-acknowledge",
            "detail",
            "message-photo",
            "retry-reply",
            "inline-edit",
            "inline-row",
            "moderate",
            "assign",
            "start",
            "answer",
            "redirect",
            "escalate",
            "merge",
            "reject",
            "rate",
            "close",
            "reopen",
            "approve",
            "return",
            "publish",
            "place",
            "interim",
            "extend",
            "note",
        ]
    ),
    "intake:monitoring",
    "intake:monitoring-new",
    "intake:monitoring-preview",
    "intake:monitoring-edit",
    "intake:pages",
    "intake:page",
    "intake:page-make-case",
    "intake:photo-visibility",
    *(
        f"analytics:{n}"
        for n in [
            "index",
            "heatmap",
            "heatmap-data",
            "heatmap-hex",
            "dynamics",
            "agencies",
            "agency",
            "summary",
            "summary-xlsx",
            "summary-pdf",
        ]
    ),
    "deputies:rating",
    *(
        f"elections:{n}"
        for n in [
            "dashboard",
            "station",
            "find_station",
            "station_detail",
            "observers",
            "incidents",
            "incident",
            "incidents_xlsx",
            "photo",
            "events",
            "questions",
            "questions_xlsx",
            "sessions",
            "calls",
            "home_voting_xlsx",
            "event",
        ]
    ),
    "callcenter:form",
    *(
        f"api:{n}"
        for n in [
            "api-root",
            "case-list",
            "case-detail",
            "category-list",
            "category-detail",
            "territory-list",
            "territory-detail",
            "agency-list",
            "agency-detail",
            "deputy-list",
            "deputy-rating",
            "deputy-detail",
            "election-station-list",
            "election-station-detail",
            "election-report-list",
            "election-report-detail",
            "election-incident-list",
            "election-incident-detail",
            "election-dashboard-list",
            "election-violation-type-list",
            "election-violation-type-detail",
        ]
    ),
    "ops:health",
    "metrics",
}
ANONYMOUS_REFUSALS = {401, 403, 404, 405}


def _routes() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern but the admin's."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                name = pattern.name or ""
                found.append((f"{namespace}:{name}" if namespace else name, prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return [(name, route) for name, route in found if not route.startswith("admin/")]


def _path(route: str, values: dict[str, str]) -> str:
    """A real path for a route: each parameter filled with a real object's value."""
    path = route.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "1"), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values.get(m.group(1), "1"), path)
    return "/" + path


@pytest.fixture
def world() -> dict:
    agency = make_agency("Водоканал")
    case = make_case(agency=agency, status=CaseStatus.ASSIGNED)
    return {
        "case": case,
        "values": {
            "case_id": str(case.pk),
            "pk": str(case.pk),
            "number": case.number or "1",
            "fmt": "json",
            "format": "json",
            "code": "x",
            "token": "x",
            "uidb64": "x",
            "delivery_id": "1",
            "alert_id": "1",
            "query_id": "1",
            "agency_id": str(agency.pk),
        },
        "analyst": make_user(Role.ANALYST, username="analyst"),
    }


def test_every_url_has_an_entry_in_the_matrix():
    names = {name for name, _route in _routes()}
    assert names - PUBLIC - STAFF == set(), "add the new URLs to tests/test_access_matrix.py"
    assert (PUBLIC | STAFF) - names == set(), "URLs gone: remove them from the matrix"


def test_an_anonymous_visitor_gets_no_staff_page_and_no_server_error(client, world):
    wrong: list[str] = []
    for name, route in _routes():
        path = _path(route, world["values"])
        answer = client.get(path)
        if answer.status_code >= 500:
            wrong.append(f"GET {path} ({name}): {answer.status_code}")
        if name in STAFF:
            for method in ("get", "post"):
                answer = getattr(client, method)(path)
                sent_to_login = answer.status_code == 302 and "/accounts/login/" in answer["Location"]
                if not sent_to_login and answer.status_code not in ANONYMOUS_REFUSALS:
                    wrong.append(f"{method.upper()} {path} ({name}): {answer.status_code}")
    assert wrong == []


def test_an_analyst_reads_no_case(client, world):
    client.force_login(world["analyst"])
    wrong = []
    for name, route in _routes():
        if name.startswith("cases:") or name.startswith("api:case-"):
            path = _path(route, world["values"])
            answer = client.get(path)
            empty_list = (
                name == "api:case-list" and answer.status_code == 200 and not answer.json()["results"]
            )
            if answer.status_code == 200 and not empty_list:
                wrong.append(f"GET {path} ({name})")
    assert wrong == []


def _case_pages_open_to(client, user, case, values) -> list[str]:
    """The case URLs (pages, actions, API) that answer 200 to ``user`` for ``case``, or that list it."""
    client.force_login(user)
    opened = []
    for name, route in _routes():
        if name.startswith("cases:") or name.startswith("api:case-"):
            path = _path(route, {**values, "case_id": str(case.pk), "pk": str(case.pk)})
            answer = client.get(path)
            if name == "api:case-list" and answer.status_code == 200:
                if case.pk in {row["id"] for row in answer.json()["results"]}:
                    opened.append(f"GET {path} ({name}) lists it")
            elif name == "cases:queue" and answer.status_code == 200:
                if f"/cases/{case.pk}/" in answer.content.decode():
                    opened.append(f"GET {path} ({name}) lists it")
            elif answer.status_code == 200:
                opened.append(f"GET {path} ({name})")
    return opened


def test_an_executor_of_another_agency_opens_no_case_of_this_one(client, world):
    other = make_agency("Управление дорог")
    executor = make_user(Role.EXECUTOR, agency=other, username="roads-executor")
    assert _case_pages_open_to(client, executor, world["case"], world["values"]) == []


def test_a_deputy_of_another_office_opens_no_appeal_to_this_one(client, world):
    from otklik.directory.choices import AgencyKind

    office = make_agency("Приёмная депутата Иванова", kind=AgencyKind.DEPUTY)
    other_office = make_agency("Приёмная депутата Петровой", kind=AgencyKind.DEPUTY)
    appeal = make_case(agency=office, status=CaseStatus.ASSIGNED, addressed_to=office)
    deputy = make_user(Role.EXECUTOR, agency=other_office, username="petrova")
    assert _case_pages_open_to(client, deputy, appeal, world["values"]) == []
    own = make_user(Role.EXECUTOR, agency=office, username="ivanov")
    assert _case_pages_open_to(client, own, appeal, world["values"]) != []  # the check can see a page


def test_an_observer_of_another_station_opens_nothing_of_it_nor_the_centers_pages(client, world):
    from otklik.elections.models import Commission, Observer, PollingStation

    commission = Commission.objects.create(name="ТИК Энгельсская")
    own = PollingStation.objects.create(number=101, commission=commission, registered_voters=1000)
    other = PollingStation.objects.create(number=201, commission=commission, registered_voters=800)
    anna = make_user(Role.OBSERVER, username="anna")
    Observer.objects.create(user=anna, station=own)
    client.force_login(anna)
    values = {**world["values"], "number": str(other.number)}
    opened = []
    for name, route in _routes():
        if name.startswith("elections:") and name != "elections:station":  # her own station's page
            path = _path(route, values)
            if client.get(path).status_code == 200:
                opened.append(f"GET {path} ({name})")
    assert opened == []


def _meeting_leaks(client, values: dict[str, str], asked: list[dict[str, str]]) -> list[str]:
    """The elections, deputies and API answers (each URL with each of ``asked``'s parameters) that
    show the meeting ``values["pk"]``: its page, its voter or their question (the marks below)."""
    leaked = []
    for name, route in _routes():
        if name.split(":")[0] in ("elections", "deputies", "api"):
            path = _path(route, values)
            for params in asked:
                answer = client.get(path, params)
                if answer.status_code >= 500:
                    leaked.append(f"GET {path} ({name}): {answer.status_code}")
                if name == "elections:event" and answer.status_code == 200:
                    leaked.append(f"GET {path} ({name})")
                body = answer.content.decode("utf-8", "replace") if answer.status_code == 200 else ""
                if any(mark in body for mark in ("Воронцова", "качели", "+79270001122")):
                    leaked.append(f"GET {path} {params} ({name}) shows the meeting's voter or question")
    return leaked


def test_a_coordinator_of_another_faction_reads_nothing_of_its_meetings(client, world):
    from datetime import timedelta

    from django.utils import timezone

    from otklik.deputies.models import Faction
    from otklik.deputies.services import make_deputy
    from otklik.elections import campaign
    from otklik.elections.models import CampaignEvent

    ours = Faction.objects.create(name="Первая фракция")
    theirs = Faction.objects.create(name="Вторая фракция")
    deputy = make_deputy("Иванов Пётр Сергеевич", council="Областная дума", faction=ours)
    meeting = CampaignEvent.objects.create(
        candidate=deputy.full_name, deputy=deputy, starts_at=timezone.now() - timedelta(days=2), place="ДК"
    )
    campaign.record_question(
        meeting,
        text="Когда починят качели во дворе школы?",
        asked_by="Воронцова Ирина",
        contact="+79270001122",
    )
    coordinator = make_user(Role.COORDINATOR, username="other-coordinator")
    theirs.coordinators.add(coordinator)
    client.force_login(coordinator)
    assert _meeting_leaks(client, {**world["values"], "pk": str(meeting.pk)}, [{"when": "all"}]) == []
    # The check can see: the faction's own coordinator reads the meeting's page.
    own = make_user(Role.COORDINATOR, username="own-coordinator")
    ours.coordinators.add(own)
    client.force_login(own)
    assert "Воронцова" in client.get(f"/elections/events/{meeting.pk}/").content.decode()


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.SUPERVISOR, Role.EXECUTOR, Role.OBSERVER])
def test_no_url_answers_a_signed_in_role_with_a_server_error(client, world, role):
    client.force_login(make_user(role, username=f"sweep-{role}"))
    errors = []
    for name, route in _routes():
        path = _path(route, world["values"])
        answer = client.get(path)
        if answer.status_code >= 500:
            errors.append(f"GET {path} ({name}): {answer.status_code}")
    assert errors == []


def test_a_regional_coordinator_reads_no_other_regions_rating(client, world):
    """A coordinator bound to a region: neither the rating, nor the service's figures, nor the API's
    rating shows another region's deputies; asking for that region is refused."""
    from otklik.deputies.models import Faction, RegionalCoordinator
    from otklik.deputies.services import make_deputy
    from otklik.directory.choices import TerritoryKind
    from otklik.testing.factories import make_territory

    saratov = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    samara = make_territory("Самарская область", kind=TerritoryKind.REGION)
    party = Faction.objects.create(name="Фракция «Созидание»")
    make_deputy("Иванов Пётр Сергеевич", council="Саратовская областная дума", region=saratov, faction=party)
    make_deputy("Орлов Игорь Семёнович", council="Самарская губернская дума", region=samara, faction=party)
    coordinator = make_user(Role.COORDINATOR, username="samara-coordinator")
    party.coordinators.add(coordinator)
    RegionalCoordinator.objects.create(user=coordinator, region=samara)
    client.force_login(coordinator)
    leaked = []
    for name, route in _routes():
        # the rating's pages and API (the directory and deputy list are public: names, no figures)
        if name in ("deputies:rating", "deputies:statistics", "api:deputy-rating"):
            path = _path(route, world["values"])
            for params in ({}, {"region": str(saratov.pk)}):
                answer = client.get(path, params)
                body = answer.content.decode("utf-8", "replace") if answer.status_code == 200 else ""
                if "Иванов" in body:
                    leaked.append(f"GET {path} {params} ({name})")
    assert leaked == []
    assert client.get("/deputies/rating/", {"region": str(saratov.pk)}).status_code == 403
    assert "Орлов" in client.get("/deputies/rating/").content.decode()  # the check can see


def test_a_call_operator_reaches_the_observers_pages_and_no_other_election_page(
    client, world, settings, tmp_path
):
    """The call-center operator calls observers (any station's page, the observers' page, the
    hotline) but opens no dashboard, incident, campaign meeting or video session; and no page or
    API answer shows them what an observer's report says or its photo, only that it came in
    (docs/decisions/0009-call-operators-see-reports-status.md)."""
    from django.utils import timezone

    from otklik.elections import reports
    from otklik.elections.models import Commission, Election, Observer, PollingStation, ReportKind
    from otklik.elections.tests.test_elections import png

    settings.MEDIA_ROOT = tmp_path / "media"
    election = Election.objects.create(name="Выборы", day=timezone.localdate())
    commission = Commission.objects.create(name="ТИК Энгельсская")
    station = PollingStation.objects.create(number=301, commission=commission, registered_voters=900)
    olga = make_user(Role.OBSERVER, username="olga")
    Observer.objects.create(user=olga, station=station, phone="+79270000301")
    report = reports.file_report(
        observer=olga,
        election=election,
        kind=ReportKind.VIOLATION,
        text="Член комиссии Сидоров уносит сейф-пакет",
        photo=png(),
    )
    client.force_login(make_user(Role.CALL_OPERATOR, username="hotline"))
    values = {**world["values"], "number": str(station.number), "pk": str(report.pk)}
    opened, leaked = set(), []
    for name, route in _routes():
        if not name.startswith(("elections:", "api:election-")):
            continue
        path = _path(route, values)
        answer = client.get(path, {"number": "301"})
        if answer.status_code != 200:
            continue
        opened.add(name)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        if "Сидоров".encode() in body or f"reports/{report.pk}/photo".encode() in body:
            leaked.append(name)
    assert opened == {
        "elections:station_detail",
        "elections:observers",
        "elections:calls",
        "elections:home_voting_xlsx",
        "api:election-report-list",  # empty for them
        "api:election-violation-type-list",
    }
    assert leaked == []
    assert client.get("/api/elections/reports/").json()["count"] == 0
    assert f'data-report="{report.pk}"' in client.get("/elections/stations/301/").content.decode()


def test_a_regional_coordinator_reads_nothing_of_another_regions_meetings(client, world):
    """Their own faction's meeting held in another region: no page, spreadsheet or API answer shows
    it, its voters or their questions, whatever region is asked for."""
    from datetime import timedelta

    from django.utils import timezone

    from otklik.deputies.models import Faction, RegionalCoordinator
    from otklik.deputies.services import make_deputy
    from otklik.directory.choices import TerritoryKind
    from otklik.elections import campaign
    from otklik.elections.models import CampaignEvent
    from otklik.testing.factories import make_territory

    saratov = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    samara = make_territory("Самарская область", kind=TerritoryKind.REGION)
    party = Faction.objects.create(name="Фракция «Созидание»")
    deputy = make_deputy(
        "Иванов Пётр Сергеевич", council="Саратовская областная дума", region=saratov, faction=party
    )
    meeting = CampaignEvent.objects.create(
        candidate=deputy.full_name,
        deputy=deputy,
        territory=make_territory("Энгельсский район", parent=saratov),
        starts_at=timezone.now() - timedelta(days=2),
        place="ДК",
    )
    campaign.record_question(
        meeting,
        text="Когда починят качели во дворе школы?",
        asked_by="Воронцова Ирина",
        contact="+79270001122",
    )
    coordinator = make_user(Role.COORDINATOR, username="samara-coordinator")
    party.coordinators.add(coordinator)
    RegionalCoordinator.objects.create(user=coordinator, region=samara)
    client.force_login(coordinator)
    values = {**world["values"], "pk": str(meeting.pk)}
    asked = [{"when": "all"}, {"when": "all", "region": str(saratov.pk)}]
    assert _meeting_leaks(client, values, asked) == []
    # The check can see: the party's headquarters (bound to no region) reads the meeting's page.
    hq = make_user(Role.COORDINATOR, username="party-hq")
    party.coordinators.add(hq)
    client.force_login(hq)
    assert "Воронцова" in client.get(f"/elections/events/{meeting.pk}/").content.decode()


# The operator's day (issue 16): each URL that changes something acts for its roles only. A refused
# action may answer with a redirect and a message (the card's actions do), so what is checked is the
# effect: nothing changed for a role without the right, the change made for a role with it.
CENTER_ROLES = {Role.MODERATOR, Role.SUPERVISOR, Role.ADMINISTRATOR}
OPERATORS_DAY = {
    "extend": {Role.SUPERVISOR},  # 59-FZ's extension: a supervisor's decision
    "interim": CENTER_ROLES,
    "note": CENTER_ROLES | {"own-executor"},  # the case's own agency may leave a note too
    "inline-edit": CENTER_ROLES,
    "photo-visibility": CENTER_ROLES,
    "monitoring-new": CENTER_ROLES,
    "caller-lookup": CENTER_ROLES | {Role.CALL_OPERATOR},
}


def _operators_day_changes(client, agency) -> dict[str, bool]:
    """Do every issue-16 action once as the signed-in user, on fresh objects; which of them took effect."""
    from otklik.cases import actions
    from otklik.cases.models import CaseEvent
    from otklik.directory.choices import Channel
    from otklik.intake.models import MonitoringQuery
    from otklik.testing.factories import make_category

    case = actions.assign_case(make_case(text="Письмо: нет воды", channel=Channel.OFFICIAL), None, agency)
    waiting = make_case(text="Яма на дороге у дома 5", status=CaseStatus.MODERATION)
    message = waiting.messages.get()
    message.photo = "intake/photos/2026/12/pit.png"
    message.author_contact = "+7 927 555-12-34"
    message.save(update_fields=["photo", "author_contact"])
    category = make_category(f"Дороги {waiting.pk}")
    done: dict[str, bool] = {}

    client.post(f"/cases/{case.pk}/extend/", {"days": "1", "reason": "Нужна экспертиза"})
    case.refresh_from_db()
    done["extend"] = case.extended_days == 1
    for action, data in (("interim", {"hours": "4"}), ("note", {"text": "Проверить в пятницу"})):
        before = CaseEvent.objects.filter(case=case).count()
        client.post(f"/cases/{case.pk}/{action}/", data)
        done[action] = CaseEvent.objects.filter(case=case).count() > before
    client.post(f"/cases/{waiting.pk}/inline/", {"category": str(category.pk)})
    waiting.refresh_from_db()
    done["inline-edit"] = waiting.category_id == category.pk
    client.post(f"/intake/photos/{message.pk}/visibility/", {"hidden": "1"})
    message.refresh_from_db()
    done["photo-visibility"] = message.photo_hidden
    before = MonitoringQuery.objects.count()
    client.post("/intake/monitoring/new/", {"name": f"Вывоз мусора {waiting.pk}", "query": "мусор"})
    done["monitoring-new"] = MonitoringQuery.objects.count() > before
    done["caller-lookup"] = client.get("/callcenter/", {"caller": "+7 927 555-12-34"}).status_code == 200
    return done


@pytest.mark.parametrize("who", [*sorted(Role.values), "own-executor"])
def test_the_operators_day_acts_only_for_its_roles(client, world, who):
    from otklik.directory.defaults_deadlines import load_default_deadline_policies

    load_default_deadline_policies()
    agency = world["case"].agency
    if who == "own-executor":
        user = make_user(Role.EXECUTOR, agency=agency, username="own-executor")
    elif who == Role.EXECUTOR:
        user = make_user(Role.EXECUTOR, agency=make_agency("Управление дорог"), username="other-executor")
    else:
        user = make_user(who, username=f"day-{who}")
    client.force_login(user)
    done = _operators_day_changes(client, agency)
    expected = {action: who in roles for action, roles in OPERATORS_DAY.items()}
    assert done == expected
