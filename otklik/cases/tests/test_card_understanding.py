"""The case card's understanding aids: answer quality before approval, similar past cases (scoped),
picking the place on the map, and the urgent notification when a moderator marks a case urgent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions, similar
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus, EventKind
from otklik.cases.models import Answer, Case, CaseEvent
from otklik.cases.tasks import run_periodic_jobs
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_territory,
    make_user,
)

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[45.9, 51.5], [46.1, 51.5], [46.1, 51.6], [45.9, 51.6], [45.9, 51.5]]],
}
BOILERPLATE = "Ваше обращение рассмотрено, информация принята к сведению."
CONCRETE = (
    "14 марта бригада устранила аварию на сетях по улице Тельмана, подача горячей воды "
    "в дом 12 возобновлена 15 марта в 10:00."
)
QUESTION = "Третий день нет горячей воды в доме 12 на улице Тельмана, когда дадут горячую воду?"


@pytest.fixture(autouse=True)
def _fresh_similar_index() -> Any:
    similar.invalidate()
    yield
    similar.invalidate()


@pytest.fixture
def region() -> dict[str, Any]:
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION, lat=51.5, lon=46.0)
    district = make_territory("Энгельсский район", geometry=SQUARE, lat=51.55, lon=46.0, parent=oblast)
    agency_a = make_agency("Администрация Энгельсского района")
    agency_b = make_agency("Министерство транспорта")
    return {
        "oblast": oblast,
        "district": district,
        "utilities": make_category("ЖКХ", code="zhkh"),
        "agency_a": agency_a,
        "agency_b": agency_b,
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "executor_a": make_user(Role.EXECUTOR, agency=agency_a),
        "executor_b": make_user(Role.EXECUTOR, agency=agency_b),
        "analyst": make_user(Role.ANALYST),
    }


def _card(client: Any, user: Any, case: Case) -> Any:
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response


def _answered_case(region: dict[str, Any], text: str) -> tuple[Case, Answer]:
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    answer = actions.write_answer(case, region["executor_a"], text=text)
    return case, answer


# --- answer quality --------------------------------------------------------------------------------


def test_boilerplate_answer_is_flagged_before_approval(client, region):
    case, _answer = _answered_case(region, BOILERPLATE)
    response = _card(client, region["moderator"], case)
    quality = response.context["answers"][0].quality
    assert not quality.passes
    assert "boilerplate" in quality.flags
    page = response.content.decode()
    assert 'class="answer-quality warn"' in page
    assert "информация принята к сведению" in page  # the words behind the flag are shown


def test_concrete_answer_is_not_flagged(client, region):
    case, _answer = _answered_case(region, CONCRETE)
    response = _card(client, region["moderator"], case)
    assert response.context["answers"][0].quality.passes
    page = response.content.decode()
    assert 'class="answer-quality ok"' in page
    assert "answer-quality warn" not in page


def test_interim_draft_is_assessed_and_approved_answer_is_not(client, region):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    interim = actions.write_answer(case, region["executor_a"], text=BOILERPLATE, kind=AnswerKind.INTERIM)
    final = actions.write_answer(case, region["executor_a"], text=CONCRETE)
    actions.approve_answer(final, region["moderator"])
    response = _card(client, region["moderator"], case)
    by_pk = {a.pk: a for a in response.context["answers"]}
    assert by_pk[interim.pk].quality is not None and not by_pk[interim.pk].quality.passes
    assert by_pk[final.pk].quality is None  # approved already: nothing to decide
    assert response.content.decode().count('data-testid="answer-quality"') == 1


def _count_queries(client: Any, case: Case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    return len(ctx.captured_queries)


def test_answer_quality_adds_no_query_per_answer(client, region):
    one = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    actions.write_answer(one, region["executor_a"], text=BOILERPLATE, kind=AnswerKind.INTERIM)
    many = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    for n in range(5):
        actions.write_answer(
            many, region["executor_a"], text=f"{BOILERPLATE} Номер {n}.", kind=AnswerKind.INTERIM
        )
    client.force_login(region["moderator"])
    _count_queries(client, one)  # warm caches (the similar-cases index)
    assert _count_queries(client, many) == _count_queries(client, one)


# --- similar past cases ----------------------------------------------------------------------------


def _past(agency: Any, text: str, answer: str) -> Case:
    case = make_case(agency=agency, status=CaseStatus.PUBLISHED, text=text)
    Answer.objects.create(
        case=case,
        kind=AnswerKind.FINAL,
        status=AnswerStatus.PUBLISHED,
        text=answer,
        published_at=timezone.now(),
    )
    return case


@pytest.fixture
def past(region: dict[str, Any]) -> dict[str, Case]:
    return {
        "a_water": _past(
            region["agency_a"],
            "Нет горячей воды в доме на улице Тельмана уже неделю",
            "Авария на сетях горячего водоснабжения устранена 3 марта, подача воды возобновлена.",
        ),
        "b_water": _past(
            region["agency_b"],
            "Горячей воды нет в доме на улице Тельмана, сколько можно ждать",
            "Горячая вода подана 5 марта после замены участка трубы.",
        ),
        "a_roads": _past(
            region["agency_a"],
            "Огромная яма на дороге у остановки, машины бьют колёса",
            "Яма заделана литым асфальтом 10 апреля.",
        ),
    }


def test_executor_sees_only_own_agency_similar_cases(client, region, past):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    response = _card(client, region["executor_a"], case)
    shown = [s.case_id for s in response.context["similar_cases"]]
    assert shown == [past["a_water"].pk]
    assert past["b_water"].pk not in shown  # another agency's case never leaks
    page = response.content.decode()
    assert 'data-testid="use-as-draft"' in page  # the executor can answer: the draft button is there
    assert "Авария на сетях горячего водоснабжения устранена" in page


def test_moderator_sees_similar_cases_of_every_agency_best_first(client, region, past):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    response = _card(client, region["moderator"], case)
    shown = [s.case_id for s in response.context["similar_cases"]]
    assert set(shown) == {past["a_water"].pk, past["b_water"].pk}  # the pothole is not similar
    assert 'data-testid="use-as-draft"' not in response.content.decode()  # moderators do not answer


def test_case_is_never_its_own_similar_case(client, region, past):
    response = _card(client, region["moderator"], past["a_water"])
    assert response.context["similar_cases"] == []  # published: nothing to answer any more
    case = make_case(status=CaseStatus.MODERATION, text=past["a_water"].text)
    shown = [s.case_id for s in _card(client, region["moderator"], case).context["similar_cases"]]
    assert case.pk not in shown and past["a_water"].pk in shown


def test_periodic_job_rebuilds_the_index_for_new_published_answers(region, past):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text="Не вывозят мусор во дворе")
    assert similar.similar_for(case, region["moderator"]) == []
    assert run_periodic_jobs()["similar_index_rebuilt"] is False  # built above, nothing changed
    garbage = _past(region["agency_a"], "Мусор во дворе не вывозят вторую неделю", "Мусор вывезен 2 мая.")
    assert similar.similar_for(case, region["moderator"]) == []  # a request does not wait for a rebuild
    assert run_periodic_jobs()["similar_index_rebuilt"] is True
    assert [s.case_id for s in similar.similar_for(case, region["moderator"])] == [garbage.pk]


def test_request_rebuilds_the_index_when_answers_disappeared(region, past):
    moderator = region["moderator"]
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    assert past["b_water"].pk in [s.case_id for s in similar.similar_for(case, moderator)]
    Answer.objects.filter(case=past["b_water"]).delete()
    assert past["b_water"].pk not in [s.case_id for s in similar.similar_for(case, moderator)]


def test_the_moderators_card_never_links_a_deleted_case(client, region, past):
    # the center's similar cases are not scoped by a query (they may open every case): a deleted
    # case must leave the index at the next request all the same
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    shown = [s.case_id for s in _card(client, region["moderator"], case).context["similar_cases"]]
    assert past["b_water"].pk in shown
    past["b_water"].delete()
    shown = [s.case_id for s in _card(client, region["moderator"], case).context["similar_cases"]]
    assert shown == [past["a_water"].pk]


def test_similar_index_is_rebuilt_after_its_ttl(region, past, monkeypatch):
    similar.get_index()
    assert similar.refresh() is False
    monkeypatch.setattr(similar.index, "max_age", 0)
    assert similar.refresh() is True


def _asked(monkeypatch: Any) -> list[str]:
    """The texts the similar-cases index is asked about from now on."""
    from otklik.understanding.quality import SimilarCaseIndex

    texts: list[str] = []
    query = SimilarCaseIndex.query

    def counted(self: Any, text: str, **kwargs: Any) -> Any:
        texts.append(text)
        return query(self, text, **kwargs)

    monkeypatch.setattr(SimilarCaseIndex, "query", counted)
    return texts


def _shown(client: Any, user: Any, case: Case) -> list[int]:
    return [s.case_id for s in _card(client, user, case).context["similar_cases"]]


def test_a_card_opened_again_does_not_ask_the_index_again(client, region, past, monkeypatch):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    asked = _asked(monkeypatch)
    first = _shown(client, region["moderator"], case)
    assert first and asked == [QUESTION]
    assert _shown(client, region["moderator"], case) == first and asked == [QUESTION]
    # the same answer, scoped for each user: the executor still sees only their agency's case
    assert _shown(client, region["executor_a"], case) == [past["a_water"].pk] and asked == [QUESTION]
    other = make_case(status=CaseStatus.MODERATION, text=QUESTION)  # same text, another case
    assert _shown(client, region["moderator"], other) == first and len(asked) == 2


def test_a_changed_text_is_asked_again(client, region, past, monkeypatch):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    asked = _asked(monkeypatch)
    assert past["a_water"].pk in _shown(client, region["moderator"], case)
    Case.objects.filter(pk=case.pk).update(text="Яма на дороге у остановки, бьют колёса")
    assert _shown(client, region["moderator"], case) == [past["a_roads"].pk] and len(asked) == 2


def test_a_newly_answered_case_shows_on_a_card_opened_before(client, region, past):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text="Не вывозят мусор во дворе")
    assert _shown(client, region["moderator"], case) == []
    garbage = _past(region["agency_a"], "Мусор во дворе не вывозят вторую неделю", "Мусор вывезен 2 мая.")
    assert run_periodic_jobs()["similar_index_rebuilt"] is True
    assert _shown(client, region["moderator"], case) == [garbage.pk]


def test_a_withdrawn_answer_leaves_a_card_opened_before(client, region, past):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    assert past["b_water"].pk in _shown(client, region["moderator"], case)
    Answer.objects.filter(case=past["b_water"]).update(status=AnswerStatus.APPROVED)  # no signal: a bulk
    answer = Answer.objects.get(case=past["a_water"])
    answer.status = AnswerStatus.APPROVED  # withdrawn through the model: the index is stale
    answer.save()
    assert _shown(client, region["moderator"], case) == []


def test_the_card_shows_a_case_joined_a_moment_ago(client, region, past):
    """The moderator joins a duplicate into a case whose card they just opened: the card shows the
    joined messages at once, the duplicate's card the case it went into, and the similar cases as a
    fresh index gives them."""
    moderator = region["moderator"]
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    duplicate = make_case(status=CaseStatus.MODERATION, text="Горячей воды нет, Тельмана 12, дети без воды")
    before = _shown(client, moderator, case)
    _shown(client, moderator, duplicate)
    response = client.post(reverse("cases:merge", args=[duplicate.pk]), {"target": case.number})
    assert response.status_code == 302
    assert Case.objects.get(pk=duplicate.pk).status == CaseStatus.MERGED
    page = _card(client, moderator, case)
    assert "Тельмана 12, дети без воды" in page.content.decode()
    assert [s.case_id for s in page.context["similar_cases"]] == before
    similar.invalidate()
    assert _shown(client, moderator, case) == before
    joined = _card(client, moderator, duplicate)
    assert joined.context["similar_cases"] == [] and case.number in joined.content.decode()


def test_the_kept_answers_are_bounded(region, past, monkeypatch):
    monkeypatch.setattr(similar.asked, "size", 3)
    for n in range(6):
        case = make_case(status=CaseStatus.MODERATION, text=f"{QUESTION} {n}")
        similar.similar_for(case, region["moderator"])
    assert len(similar.asked.kept) == 3


def test_the_executors_draft_is_made_once_a_day_for_the_same_sources(client, region, past, monkeypatch):
    from datetime import date

    from otklik.understanding.answer_draft import make_draft

    made: list[date] = []

    def counted(text: str, sources: Any, *, answered_on: date) -> Any:
        made.append(answered_on)
        return make_draft(text, sources, answered_on=answered_on)

    monkeypatch.setattr(similar, "make_draft", counted)
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, text=QUESTION)
    first = _card(client, region["executor_a"], case).context["answer_draft"]
    assert first is not None and first.source_case_id == past["a_water"].pk and len(made) == 1
    assert _card(client, region["executor_a"], case).context["answer_draft"] == first and len(made) == 1
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(similar.timezone, "localdate", lambda: tomorrow)
    assert _card(client, region["executor_a"], case).context["answer_draft"] is not None
    assert made[-1] == tomorrow and len(made) == 2


# --- picking the place on the map --------------------------------------------------------------


def _unplaced(region: dict[str, Any], **kw: Any) -> Case:
    return make_case(
        status=CaseStatus.MODERATION,
        understanding={"place": {"matched": [], "precision": "none", "address": ""}},
        **kw,
    )


def test_card_offers_to_pick_the_place_when_it_is_unknown(client, region):
    case = _unplaced(region)
    response = _card(client, region["moderator"], case)
    assert response.context["place_action"] is not None
    map_data = response.context["map_data"]
    assert map_data["pick"] is True
    assert map_data["area"] == "Саратовская область" and map_data["center"] == [51.5, 46.0]
    assert 'data-testid="action-place"' in response.content.decode()


def test_card_does_not_offer_picking_for_a_placed_case_or_to_an_executor(client, region):
    placed = make_case(
        status=CaseStatus.MODERATION,
        lat=51.55,
        lon=46.0,
        understanding={"place": {"precision": "point"}},
    )
    assert _card(client, region["moderator"], placed).context["place_action"] is None
    own = _unplaced(region, agency=region["agency_a"])
    response = _card(client, region["executor_a"], own)
    assert response.context["place_action"] is None
    assert 'data-testid="action-place"' not in response.content.decode()


def test_region_level_place_is_offered_for_picking(client, region):
    case = make_case(
        status=CaseStatus.MODERATION,
        lat=51.5,
        lon=46.0,
        suggested_territory=region["oblast"],
        understanding={"place": {"precision": "region"}},
    )
    assert _card(client, region["moderator"], case).context["place_action"] is not None


def test_moderator_sets_the_point_and_the_territory_follows_from_the_polygon(client, region):
    case = _unplaced(region)
    client.force_login(region["moderator"])
    response = client.post(reverse("cases:place", args=[case.pk]), {"lat": "51.55", "lon": "46.02"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.lat, case.lon) == (51.55, 46.02)
    assert case.territory == region["district"]
    assert case.suggested_territory == region["district"]  # it was empty
    assert case.understanding["place"]["precision"] == "point"
    event = CaseEvent.objects.get(case=case, kind=EventKind.MODERATED)
    assert event.actor == region["moderator"]
    assert event.before["lat"] is None and event.before["territory"] is None
    assert event.after["territory"]["id"] == region["district"].pk
    assert _card(client, region["moderator"], case).context["place_action"] is None  # placed now


def test_point_outside_every_polygon_keeps_the_territory(region):
    case = _unplaced(region, territory=region["oblast"])
    actions.set_case_place(case, region["supervisor"], lat=55.75, lon=37.62)
    case.refresh_from_db()
    assert (case.lat, case.lon) == (55.75, 37.62)
    assert case.territory == region["oblast"]


def test_set_place_keeps_a_suggested_territory_and_accepts_a_given_one(region):
    other = make_territory("Балаковский район", parent=region["oblast"])
    case = _unplaced(region, suggested_territory=other)
    actions.set_case_place(case, region["moderator"], lat=51.55, lon=46.02, territory=other)
    case.refresh_from_db()
    assert case.territory == other and case.suggested_territory == other


def test_executor_of_another_agency_gets_404_on_set_place(client, region):
    case = _unplaced(region, agency=region["agency_b"])
    client.force_login(region["executor_a"])
    response = client.post(reverse("cases:place", args=[case.pk]), {"lat": "51.55", "lon": "46.02"})
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.lat is None and not CaseEvent.objects.filter(case=case).exists()


@pytest.mark.parametrize("role", ["executor_a", "analyst"])
def test_non_center_users_cannot_set_place(client, region, role):
    case = _unplaced(region, agency=region["agency_a"])
    client.force_login(region[role])
    client.post(reverse("cases:place", args=[case.pk]), {"lat": "51.55", "lon": "46.02"})
    case.refresh_from_db()
    assert case.lat is None and case.territory is None
    with pytest.raises(PermissionDenied):
        actions.set_case_place(case, region[role], lat=51.55, lon=46.02)


def test_invalid_coordinates_change_nothing(client, region):
    case = _unplaced(region)
    client.force_login(region["moderator"])
    client.post(reverse("cases:place", args=[case.pk]), {"lat": "951", "lon": "46"})
    case.refresh_from_db()
    assert case.lat is None
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.MODERATED).exists()


# --- urgent --------------------------------------------------------------------------------------


def test_moderator_marking_a_case_urgent_notifies_moderators_and_supervisors(
    client, region, django_capture_on_commit_callbacks
):
    case = make_case(
        status=CaseStatus.MODERATION,
        text="Сильно пахнет газом в подъезде дома 5",
        understanding={"urgency": {"kinds": ["gas"], "terms": ["пахнет газом"]}},
    )
    client.force_login(region["moderator"])
    data = {"category": region["utilities"].pk, "territory": region["district"].pk, "is_urgent": "on"}
    data["agency"] = region["agency_a"].pk
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("cases:moderate", args=[case.pk]), data)
    case.refresh_from_db()
    assert case.is_urgent
    urgent = [m for m in mail.outbox if m.subject == f"Срочно: {case.number}"]
    assert len(urgent) == 1
    assert set(urgent[0].to) == {region["moderator"].email, region["supervisor"].email}
    assert "запах газа" in urgent[0].body and "пахнет газом" in urgent[0].body  # the kind in words


def test_no_urgent_notification_when_the_case_was_urgent_already_or_is_not(
    client, region, django_capture_on_commit_callbacks
):
    urgent = make_case(status=CaseStatus.MODERATION, is_urgent=True)
    plain = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["moderator"])
    with django_capture_on_commit_callbacks(execute=True):
        for case, flag in ((urgent, "on"), (plain, "")):
            client.post(
                reverse("cases:moderate", args=[case.pk]),
                {"category": region["utilities"].pk, "agency": region["agency_a"].pk, "is_urgent": flag},
            )
    assert not [m for m in mail.outbox if m.subject.startswith("Срочно")]
