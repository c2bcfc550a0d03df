"""Deputies: the directory, an appeal to a deputy (a case of the deputy's reception office), the
deputy seeing only appeals to them, page visits, and the rating with its access rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case, Rating
from otklik.deputies import services
from otklik.deputies.models import PageVisit
from otklik.directory.choices import AgencyKind, Channel
from otklik.intake.models import DeadLetter
from otklik.intake.pipeline import run_batch
from otklik.public.tests.appeal_data import TEXT, form_data
from otklik.testing.factories import PASSWORD, make_case, make_user

pytestmark = pytest.mark.django_db


def test_a_deputy_has_a_reception_office_of_their_own(council):
    office = council["ivanov"].office
    assert office.kind == AgencyKind.DEPUTY and office.name == "Приёмная депутата Иванов Пётр Сергеевич"
    assert council["petrova"].office != office


def test_the_directory_finds_deputies_by_district_level_faction_and_name(client, council):
    def names(**params) -> list[str]:
        response = client.get("/deputies/", params)
        assert response.status_code == 200
        return [d.full_name for d in response.context["deputies"]]

    assert names() == ["Иванов Пётр Сергеевич", "Петрова Анна Викторовна"]
    assert names(territory=str(council["engels_district"].pk)) == ["Иванов Пётр Сергеевич"]
    assert names(level="municipal") == ["Петрова Анна Викторовна"]
    assert names(faction=str(council["party"].pk)) == ["Иванов Пётр Сергеевич"]
    assert names(q="петрова") == ["Петрова Анна Викторовна"]
    assert names(level="nonsense", faction="x") == names()  # bad filters are ignored


def test_an_appeal_from_the_deputys_page_goes_to_the_deputys_office(client, council):
    url = f"/deputies/{council['ivanov'].pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, form_data())
    assert response.status_code == 302 and response["Location"].startswith("/public/status/")
    case = Case.objects.get()
    assert case.channel == Channel.DEPUTY and case.agency == council["ivanov"].office
    assert case.status == CaseStatus.ASSIGNED and case.deadline_at is not None
    message = case.messages.get()
    assert message.source.code == "deputy-portal"
    assert message.raw["addressed_to"] == council["ivanov"].office.pk
    # The same form sent again is the same appeal.
    again = form_data(form_token=message.external_id.removeprefix("form-"))
    assert client.post(url, again).status_code == 302 and Case.objects.count() == 1


def test_an_appeal_to_a_deputy_is_never_joined_to_another_agencys_case(client, council):
    assert client.post("/public/appeal/", form_data()).status_code == 302  # the same text to the center
    assert client.post(f"/deputies/{council['ivanov'].pk}/", form_data()).status_code == 302
    agencies = set(Case.objects.values_list("agency", flat=True))
    assert council["ivanov"].office.pk in agencies and Case.objects.count() == 2


def test_an_unknown_addressed_agency_is_a_dead_letter(council):
    now = timezone.now().isoformat()
    result = run_batch(
        [{"external_id": "x1", "text": TEXT, "posted_at": now, "addressed_to": "999999"}],
        source=council["source"],
    )
    assert result.dead_letters == 1 and "no active agency 999999" in DeadLetter.objects.get().reason


def test_a_deputy_sees_and_opens_only_the_appeals_to_them(client, council):
    mine = make_case(agency=council["ivanov"].office, status=CaseStatus.ASSIGNED, channel=Channel.DEPUTY)
    theirs = make_case(agency=council["petrova"].office, status=CaseStatus.ASSIGNED, channel=Channel.DEPUTY)
    client.login(username="ivanov", password=PASSWORD)
    listed = {c.number for c in client.get("/cases/").context["cases"]}
    assert listed == {mine.number}
    assert client.get(f"/cases/{mine.pk}/").status_code == 200
    assert client.get(f"/cases/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/cases/{theirs.pk}/").status_code == 404
    assert client.get("/deputies/rating/").status_code == 403  # the rating is for the party and the center


def test_page_visits_are_counted_per_day(client, council):
    for _ in range(3):
        client.get(f"/deputies/{council['ivanov'].pk}/")
    client.post(f"/deputies/{council['ivanov'].pk}/", form_data())  # sending is not a visit
    assert PageVisit.objects.get(deputy=council["ivanov"]).count == 3


def _record(office, *, n: int, answered: int, on_time: int, reopened: int, good: int, bad: int) -> None:
    now = timezone.now()
    for i in range(n):
        done = i < answered
        case = make_case(
            agency=office,
            channel=Channel.DEPUTY,
            status=CaseStatus.CLOSED if done else CaseStatus.ASSIGNED,
            created_at=now - timedelta(days=10),
            deadline_at=now - timedelta(days=8) if i >= on_time else now + timedelta(days=5),
            answered_at=now - timedelta(days=7) if done else None,
            reopen_count=1 if i < reopened else 0,
            answer_working_minutes=600 if done else None,
        )
        if i < good:
            Rating.objects.create(case=case, score=5)
        elif i < good + bad:
            Rating.objects.create(case=case, score=1)


def test_the_rating_is_robust_to_a_handful_of_appeals(council):
    sidorov = services.make_deputy("Сидоров Олег Ильич", council="Саратовская областная дума")
    # Иванов: 40 appeals, every one answered on time, none reopened, 36 of 36 ratings good.
    _record(council["ivanov"].office, n=40, answered=40, on_time=40, reopened=0, good=36, bad=0)
    # Петрова: the same perfect record on 2 appeals — on little evidence.
    _record(council["petrova"].office, n=2, answered=2, on_time=2, reopened=0, good=2, bad=0)
    # Сидоров: 20 appeals, half answered, half of those late, two reopened, 3 good of 8 ratings.
    _record(sidorov.office, n=20, answered=10, on_time=5, reopened=2, good=3, bad=5)
    rebuild_rollups()
    rows = services.rating(services.Deputy.objects.all(), services.rating_scope(30))
    assert [r.deputy.full_name for r in rows] == [
        "Иванов Пётр Сергеевич",
        "Петрова Анна Викторовна",  # perfect too, but two appeals are not yet proof
        "Сидоров Олег Ильич",
    ]
    ivanov, petrova, worst = rows
    assert ivanov.kpi.received == 40 and worst.shares["responsiveness"] == pytest.approx(10 / 20)
    assert worst.shares["speed"] == pytest.approx(5 / 10) and worst.shares["quality"] == pytest.approx(8 / 10)
    assert worst.shares["feedback"] == pytest.approx(3 / 8)
    assert petrova.shares == {
        "responsiveness": 1.0,
        "speed": 1.0,
        "quality": 1.0,
        "feedback": 1.0,
        "replied": None,  # nobody was asked yet
        "concrete": None,  # no published answer in the system
    }
    assert ivanov.score is not None and petrova.score is not None and worst.score is not None
    assert ivanov.score > petrova.score > worst.score and petrova.score < 95


def test_who_sees_the_rating(client, council):
    _record(council["ivanov"].office, n=3, answered=3, on_time=3, reopened=0, good=2, bad=0)
    rebuild_rollups()
    coordinator = make_user(Role.COORDINATOR, username="coord")
    council["party"].coordinators.add(coordinator)
    client.login(username="coord", password=PASSWORD)
    assert client.get("/cases/").url == "/deputies/rating/"  # a coordinator lands on the rating
    response = client.get("/deputies/rating/")
    assert response.status_code == 200
    assert [r.deputy for r in response.context["rows"]] == [council["ivanov"]]  # only the own faction

    make_user(Role.ANALYST, username="analyst")
    client.login(username="analyst", password=PASSWORD)
    response = client.get("/deputies/rating/", {"days": "90"})
    assert {r.deputy for r in response.context["rows"]} == {council["ivanov"], council["petrova"]}
    assert response.context["days"] == 90

    client.logout()
    assert client.get("/deputies/rating/").status_code == 302  # to the login page


def test_a_deputys_public_page_shows_the_record_of_the_last_year(client, council):
    _record(council["ivanov"].office, n=4, answered=3, on_time=2, reopened=0, good=1, bad=1)
    rebuild_rollups()
    record = client.get(f"/deputies/{council['ivanov'].pk}/").context["record"]
    assert (record.received, record.answered_pct, record.ratings) == (4, 75.0, 2)
    assert record.on_time_pct == pytest.approx(66.7) and record.satisfaction_pct == 50.0


def test_a_call_to_the_call_center_can_be_an_appeal_to_a_deputy(client, council):
    from otklik.intake.tests.test_callcenter import call

    make_user(Role.MODERATOR, username="operator")
    client.login(username="operator", password=PASSWORD)
    page = client.get("/callcenter/")
    assert council["ivanov"].office in page.context["form"].fields["deputy_office"].queryset
    response = client.post("/callcenter/", call(deputy_office=str(council["ivanov"].office.pk)))
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.PHONE and case.agency == council["ivanov"].office
    assert case.status == CaseStatus.ASSIGNED
    # a call to the center (no deputy chosen) is routed as before
    client.post(
        "/callcenter/", call(transcript="Во дворе дома 3 на улице Мира яма на дороге, машины бьют колёса")
    )
    assert Case.objects.exclude(agency=council["ivanov"].office).count() == 1
    client.post(f"/deputies/{council['ivanov'].pk}/", form_data())
    rebuild_rollups()
    row = next(
        r
        for r in services.rating(services.Deputy.objects.all(), services.rating_scope(30))
        if r.deputy == council["ivanov"]
    )
    assert (row.portal, row.calls, row.received) == (1, 1, 2)  # the portal's statistics: page and phone


def test_the_api_lists_deputies_and_gives_the_rating_to_those_who_may_see_it(client, council):
    make_user(Role.ANALYST, username="analyst")
    client.login(username="analyst", password=PASSWORD)
    listed = client.get("/api/deputies/").json()["results"]
    assert [d["full_name"] for d in listed] == ["Иванов Пётр Сергеевич", "Петрова Анна Викторовна"]
    assert listed[0]["office"] == council["ivanov"].office.pk and listed[0]["faction"] == "Созидание"
    rating = client.get("/api/deputies/rating/", {"days": "90"}).json()
    assert rating["days"] == 90 and {r["full_name"] for r in rating["results"]} == {
        "Иванов Пётр Сергеевич",
        "Петрова Анна Викторовна",
    }
    client.login(username="ivanov", password=PASSWORD)
    assert client.get("/api/deputies/rating/").status_code == 403
    assert client.get("/api/schema/").status_code == 200


def test_formal_non_answers_lower_the_concrete_share(council):
    from otklik.cases.choices import AnswerKind, AnswerStatus
    from otklik.cases.models import Answer

    concrete = (
        "Направил депутатский запрос в администрацию района. Освещение на улице Тельмана восстановлено "
        "14 марта, опоры заменены подрядчиком."
    )
    formal = "Ваше обращение рассмотрено. Информация принята к сведению, вопрос находится на контроле."
    for office, texts in (
        (council["ivanov"].office, [concrete] * 3),
        (council["petrova"].office, [formal, concrete]),
    ):
        for text in texts:
            case = make_case(agency=office, channel=Channel.DEPUTY, status=CaseStatus.CLOSED, text=TEXT)
            Answer.objects.create(case=case, kind=AnswerKind.FINAL, status=AnswerStatus.PUBLISHED, text=text)
    Answer.objects.create(  # a draft does not count
        case=Case.objects.filter(agency=council["petrova"].office).first(),
        kind=AnswerKind.FINAL,
        status=AnswerStatus.DRAFT,
        text=formal,
    )
    rebuild_rollups()
    rows = {r.deputy: r for r in services.rating(services.Deputy.objects.all(), services.rating_scope(30))}
    ivanov, petrova = rows[council["ivanov"]], rows[council["petrova"]]
    assert (ivanov.kpi.concrete, ivanov.kpi.published, ivanov.shares["concrete"]) == (3, 3, 1.0)
    assert (petrova.kpi.concrete, petrova.kpi.published, petrova.shares["concrete"]) == (1, 2, 0.5)
    # Answers written before the check was kept were assessed once, and kept.
    assert not Answer.objects.filter(status=AnswerStatus.PUBLISHED, quality_score__isnull=True).exists()
    assert "boilerplate" in Answer.objects.get(status=AnswerStatus.PUBLISHED, text=formal).quality_flags


def test_answering_few_appeals_cannot_rank_first(council):
    """A deputy who answered 4 of 10 appeals, each perfectly, ranks below one who answered 17 of
    20 with some late, one reopened and a few bad ratings: the score rewards answering."""
    sidorov = services.make_deputy("Сидоров Олег Ильич", council="Саратовская областная дума")
    _record(council["ivanov"].office, n=10, answered=4, on_time=4, reopened=0, good=4, bad=0)
    _record(sidorov.office, n=20, answered=17, on_time=14, reopened=1, good=10, bad=4)
    rebuild_rollups()
    rows = services.rating(services.Deputy.objects.all(), services.rating_scope(30))
    ranked = [r for r in rows if r.score is not None]
    assert [r.deputy.full_name for r in ranked] == ["Сидоров Олег Ильич", "Иванов Пётр Сергеевич"]
    few = ranked[1]
    assert few.shares["responsiveness"] == pytest.approx(0.4) and few.shares["feedback"] == 1.0
    # The score is at most the share of appeals answered (smoothed toward the table's mean).
    assert few.score is not None and few.score < 100 * (4 + services.PRIOR * 21 / 30) / (10 + services.PRIOR)
