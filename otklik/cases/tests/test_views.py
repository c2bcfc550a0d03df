"""Operator UI: scoping of every page and action, the queue's filters, the card, errors, language."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus
from otklik.cases.lifecycle import IllegalTransition
from otklik.cases.models import Case, CaseEvent
from otklik.cases.urls import ACTION_VIEWS
from otklik.directory.choices import Channel, TerritoryKind
from otklik.testing.factories import (
    PASSWORD,
    make_agency,
    make_case,
    make_category,
    make_policy,
    make_rule,
    make_territory,
    make_user,
)

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[45.9, 51.5], [46.1, 51.5], [46.1, 51.6], [45.9, 51.6], [45.9, 51.5]]],
}


@pytest.fixture
def region() -> dict[str, Any]:
    district = make_territory("Энгельсский район", geometry=SQUARE, lat=51.55, lon=46.0)
    other_district = make_territory("Балаковский район")
    village = make_territory("село Квасниковка", kind=TerritoryKind.SETTLEMENT, parent=district)
    utilities = make_category("ЖКХ", code="zhkh")
    hot_water = make_category("Горячая вода", code="hot-water", parent=utilities)
    roads = make_category("Дороги", code="roads")
    agency_a = make_agency("Администрация Энгельсского района")
    agency_b = make_agency("Министерство транспорта")
    make_rule(agency_a, category=utilities, territory=district)
    make_rule(agency_b, category=roads)
    make_policy(1, name="Соцсети: 1 рабочий день")
    return {
        "district": district,
        "other_district": other_district,
        "village": village,
        "utilities": utilities,
        "hot_water": hot_water,
        "roads": roads,
        "agency_a": agency_a,
        "agency_b": agency_b,
        "moderator": make_user(Role.MODERATOR, first_name="Мария", last_name="Модераторова"),
        "executor_a": make_user(Role.EXECUTOR, agency=agency_a),
        "executor_b": make_user(Role.EXECUTOR, agency=agency_b),
        "analyst": make_user(Role.ANALYST),
    }


def _messages(response: Any) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _numbers(response: Any) -> set[str]:
    return {case.number for case in response.context["cases"]}


# --- scoping -------------------------------------------------------------------------------------

SCOPED_URLS = ["detail", *ACTION_VIEWS]


@pytest.mark.parametrize("url_name", SCOPED_URLS)
def test_executor_gets_404_for_other_agency_case_on_every_url(client, region, url_name):
    case = make_case(agency=region["agency_b"], status=CaseStatus.ASSIGNED, category=region["roads"])
    client.force_login(region["executor_a"])
    url = reverse(f"cases:{url_name}", args=[case.pk])
    response = (
        client.get(url) if url_name == "detail" else client.post(url, {"reason": "не наше", "text": "x" * 20})
    )
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    assert not CaseEvent.objects.filter(case=case).exists()


def test_executor_opens_own_agency_case(client, region):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    client.force_login(region["executor_a"])
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    assert response.context["case"] == case
    actions = [spec.name for spec, _form in response.context["actions"]]
    assert actions == ["start", "answer", "redirect", "note"]


def test_executor_queue_lists_only_own_agency_cases(client, region):
    own = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    make_case(agency=region["agency_b"], status=CaseStatus.ASSIGNED)
    make_case(status=CaseStatus.MODERATION)
    client.force_login(region["executor_a"])
    response = client.get(reverse("cases:queue"))
    assert _numbers(response) == {own.number}
    assert response.context["tabs"][-1]["count"] == 1


def test_anonymous_user_is_sent_to_login(client, region):
    case = make_case()
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- errors ---------------------------------------------------------------------------------------


def test_illegal_transition_shows_clear_error_and_changes_nothing(client, region):
    case = make_case(status=CaseStatus.MODERATION)
    events_before = CaseEvent.objects.filter(case=case).count()
    client.force_login(region["moderator"])
    response = client.post(reverse("cases:close", args=[case.pk]), follow=True)
    assert response.status_code == 200
    with translation.override("ru"):
        expected = str(IllegalTransition(CaseStatus.MODERATION, CaseStatus.CLOSED))
    assert ("error", expected) in [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert expected in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.MODERATION
    assert case.closed_at is None
    assert CaseEvent.objects.filter(case=case).count() == events_before


def test_invalid_form_shows_error_and_changes_nothing(client, region):
    case = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["moderator"])
    response = client.post(reverse("cases:reject", args=[case.pk]), {"reason": ""})
    assert response.status_code == 302
    assert [level for level, _text in _messages(response)] == ["error"]
    case.refresh_from_db()
    assert case.status == CaseStatus.MODERATION


def test_analyst_opens_no_case_card_and_cannot_post_actions(client, region):
    """PRODUCT.md: analysts see aggregates with personal data masked, never a case (issue 11)."""
    case = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["analyst"])
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code in {403, 404}
    for name, data in [
        ("assign", {"agency": region["agency_a"].pk}),
        ("reject", {"reason": "спам"}),
        ("moderate", {"category": region["hot_water"].pk, "territory": region["district"].pk}),
    ]:
        client.post(reverse(f"cases:{name}", args=[case.pk]), data)
    case.refresh_from_db()
    assert case.status == CaseStatus.MODERATION
    assert case.agency is None
    assert not CaseEvent.objects.filter(case=case).exists()


def test_executor_cannot_run_center_actions_on_own_case(client, region):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    client.force_login(region["executor_a"])
    response = client.post(reverse("cases:assign", args=[case.pk]), {"agency": region["agency_b"].pk})
    assert [level for level, _text in _messages(response)] == ["error"]
    case.refresh_from_db()
    assert case.agency == region["agency_a"]


def test_get_on_action_url_is_not_allowed(client, region):
    case = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["moderator"])
    assert client.get(reverse("cases:close", args=[case.pk])).status_code == 405


# --- the whole loop through the card --------------------------------------------------------------


def test_case_goes_through_the_whole_loop_on_the_card(client, region):
    case = make_case(
        status=CaseStatus.MODERATION,
        suggested_category=region["hot_water"],
        suggested_territory=region["village"],
        category_confidence=0.42,
    )
    moderator, executor = region["moderator"], region["executor_a"]
    client.force_login(moderator)
    card = client.get(reverse("cases:detail", args=[case.pk]))
    assert [spec.name for spec, _f in card.context["actions"]] == [
        "moderate",
        "assign",
        "merge",
        "reject",
        "note",
    ]
    # The agency is preselected from the routing rules for the suggested category and place.
    form = next(form for spec, form in card.context["actions"] if spec.name == "moderate")
    assert form.initial["agency"] == region["agency_a"].pk

    client.post(
        reverse("cases:moderate", args=[case.pk]),
        {
            "category": region["hot_water"].pk,
            "territory": region["village"].pk,
            "agency": region["agency_a"].pk,
        },
    )
    case.refresh_from_db()
    assert (case.status, case.agency) == (CaseStatus.ASSIGNED, region["agency_a"])
    assert case.deadline_at is not None

    client.force_login(executor)
    client.post(reverse("cases:start", args=[case.pk]))
    client.post(
        reverse("cases:answer", args=[case.pk]),
        {"kind": AnswerKind.FINAL, "text": "Подача горячей воды восстановлена."},
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ANSWERED
    answer = case.answers.get()

    client.force_login(moderator)
    card = client.get(reverse("cases:detail", args=[case.pk]))
    assert [spec.name for spec, _f in card.context["answers"][0].ui_actions] == ["approve", "return"]
    client.post(reverse("cases:approve", args=[case.pk]), {"answer": answer.pk})
    client.post(reverse("cases:publish", args=[case.pk]), {"answer": answer.pk})
    case.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED
    response = client.post(
        reverse("cases:rate", args=[case.pk]),
        {"score": 2, "comment": "Воды всё ещё нет", "reopen": "on"},
        follow=True,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert case.ratings.get().score == 2
    assert case.reopen_count == 1
    page = response.content.decode()
    assert "Воды всё ещё нет" in page
    assert 'class="badge st-reopened"' in page


def test_answer_actions_take_only_this_case_answers(client, region):
    other = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    foreign_answer = actions.write_answer(other, region["executor_a"], text="Ответ по другому обращению.")
    case = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["moderator"])
    response = client.post(reverse("cases:approve", args=[case.pk]), {"answer": foreign_answer.pk})
    assert [level for level, _text in _messages(response)] == ["error"]
    foreign_answer.refresh_from_db()
    assert foreign_answer.status == AnswerStatus.DRAFT


def test_merge_by_case_number(client, region):
    target = make_case(status=CaseStatus.MODERATION)
    duplicate = make_case(status=CaseStatus.MODERATION)
    client.force_login(region["moderator"])
    client.post(reverse("cases:merge", args=[duplicate.pk]), {"target": target.number})
    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert duplicate.status == CaseStatus.MERGED
    assert duplicate.merged_into == target
    assert target.message_count == 2


def test_executor_asks_for_redirection_with_a_reason(client, region):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    client.force_login(region["executor_a"])
    client.post(reverse("cases:redirect", args=[case.pk]), {"reason": "Это дорога регионального значения"})
    case.refresh_from_db()
    assert case.status == CaseStatus.REDIRECTED
    assert case.events.get(to_status=CaseStatus.REDIRECTED).comment == "Это дорога регионального значения"


def test_htmx_action_swaps_the_card(client, region):
    case = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    client.force_login(region["executor_a"])
    response = client.post(
        reverse("cases:start", args=[case.pk]), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="case-card"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="case-card"')
    assert "<html" not in body
    assert 'data-status="in_progress"' in body


# --- the card -------------------------------------------------------------------------------------


def test_card_shows_messages_map_suggestion_and_history(client, region):
    case = make_case(
        status=CaseStatus.MODERATION,
        territory=region["village"],
        lat=51.55,
        lon=46.0,
        suggested_category=region["hot_water"],
        category_confidence=0.87,
        understanding={"matched_terms": ["горячая вода", "нет воды"], "version": "rules-1"},
    )
    actions.assign_case(case, region["moderator"], region["agency_a"], comment="по правилу")
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:detail", args=[case.pk]))
    page = response.content.decode()
    map_data = response.context["map_data"]
    assert map_data["geometry"] == SQUARE
    assert map_data["area"] == "Энгельсский район"
    assert map_data["point"] == [51.55, 46.0]
    assert 'id="case-map-data"' in page
    assert "leaflet/leaflet.js" in page
    assert "87%" in page
    assert "горячая вода" in page
    assert "rules-1" not in page  # the model's version is internal: in the case's data, not on the card
    assert "по правилу" in page
    assert "Нет горячей воды третий день" in page
    assert 'data-deadline="' in page


def test_overdue_case_is_highlighted(client, region):
    case = make_case(
        agency=region["agency_a"], status=CaseStatus.ASSIGNED, deadline_at=timezone.now() - timedelta(hours=3)
    )
    client.force_login(region["moderator"])
    card = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "is-late" in card
    queue = client.get(reverse("cases:queue")).content.decode()
    assert 'class="row-late' in queue


# --- the queue ------------------------------------------------------------------------------------


@pytest.fixture
def queue_cases(region) -> dict[str, Case]:
    now = timezone.now()
    return {
        "water": make_case(
            status=CaseStatus.MODERATION,
            category=region["hot_water"],
            territory=region["village"],
            channel=Channel.VK,
            text="Нет горячей воды в доме на Тельмана",
            created_at=now - timedelta(hours=1),
        ),
        "road": make_case(
            status=CaseStatus.ASSIGNED,
            category=region["roads"],
            territory=region["other_district"],
            agency=region["agency_b"],
            channel=Channel.TELEGRAM,
            text="Яма на дороге у школы",
            deadline_at=now + timedelta(days=2),
            created_at=now - timedelta(hours=2),
        ),
        "late": make_case(
            status=CaseStatus.IN_PROGRESS,
            category=region["utilities"],
            territory=region["district"],
            agency=region["agency_a"],
            channel=Channel.EMAIL,
            text="Не вывозят мусор",
            deadline_at=now - timedelta(hours=5),
            created_at=now - timedelta(days=3),
        ),
        "done": make_case(
            status=CaseStatus.CLOSED,
            category=region["roads"],
            agency=region["agency_b"],
            channel=Channel.VK,
            text="Починили светофор",
            created_at=now - timedelta(days=9),
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"water", "road", "late", "done"}),
        ({"status": CaseStatus.ASSIGNED}, {"road"}),
        ({"tab": "moderation"}, {"water"}),
        ({"tab": "in_progress"}, {"late"}),
        ({"tab": "overdue"}, {"late"}),
        ({"overdue": "on"}, {"late"}),
        ({"category": "utilities"}, {"water", "late"}),
        ({"category": "hot_water"}, {"water"}),
        ({"territory": "district"}, {"water", "late"}),
        ({"agency": "agency_b"}, {"road", "done"}),
        ({"channel": Channel.VK}, {"water", "done"}),
        ({"q": "мусор"}, {"late"}),
        ({"q": "ТЕЛЬМАНА"}, {"water"}),
        ({"channel": Channel.VK, "category": "roads"}, {"done"}),
        ({"category": "not-a-number"}, {"water", "road", "late", "done"}),
    ],
)
def test_queue_filters_return_the_right_rows(client, region, queue_cases, params, expected):
    query = {key: (region[value].pk if value in region else value) for key, value in params.items()}
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:queue"), query)
    assert response.status_code == 200
    assert _numbers(response) == {queue_cases[key].number for key in expected}


def test_queue_search_by_number(client, region, queue_cases):
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:queue"), {"q": queue_cases["road"].number})
    assert _numbers(response) == {queue_cases["road"].number}


def test_queue_tab_counts_follow_other_filters(client, region, queue_cases):
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:queue"), {"channel": Channel.VK})
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"moderation": 1, "assigned": 0, "in_progress": 0, "approval": 0, "overdue": 0, "all": 2}


def test_queue_counts_stop_at_the_cap_and_say_more(client, region, queue_cases, monkeypatch):
    """The "all" tab and the paginator count at most COUNT_CAP cases, never the whole history; the
    working tabs count exactly (they read only cases at work)."""
    from otklik.cases import filters

    monkeypatch.setattr(filters, "COUNT_CAP", 3)
    for _ in range(4):
        make_case(status=CaseStatus.CLOSED, with_message=False)
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:queue"))
    tabs = {tab["key"]: tab for tab in response.context["tabs"]}
    assert (tabs["all"]["count"], tabs["all"]["more"]) == (3, True)
    waiting = Case.objects.filter(status__in=filters.TAB_STATUSES["moderation"]).count()
    assert tabs["moderation"]["count"] == waiting and not tabs["moderation"]["more"]
    assert response.context["page"].paginator.count == 3 and response.context["total_more"]
    body = response.content.decode()
    assert "3+" in body and "более 3 обращения" in body
    moderation = client.get(reverse("cases:queue"), {"tab": "moderation"})
    assert moderation.context["page"].paginator.count == waiting and not moderation.context["total_more"]


@pytest.mark.parametrize(
    ("sort", "first"),
    [("newest", "water"), ("deadline", "late"), ("messages", "road")],
)
def test_queue_sorts(client, region, queue_cases, sort, first):
    Case.objects.filter(pk=queue_cases["road"].pk).update(message_count=7)
    client.force_login(region["moderator"])
    response = client.get(reverse("cases:queue"), {"sort": sort})
    assert response.context["cases"][0].number == queue_cases[first].number


def test_queue_pages_by_fifty(client, region):
    for _ in range(51):
        make_case(with_message=False)
    client.force_login(region["moderator"])
    first = client.get(reverse("cases:queue"))
    second = client.get(reverse("cases:queue"), {"page": 2})
    assert len(first.context["cases"]) == 50
    assert len(second.context["cases"]) == 1


def test_queue_htmx_request_returns_only_the_results(client, region, queue_cases):
    client.force_login(region["moderator"])
    response = client.get(
        reverse("cases:queue"), {"tab": "moderation"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results"
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="queue-table"' in body
    assert 'hx-swap-oob="true"' in body
    assert queue_cases["water"].number in body
    assert queue_cases["road"].number not in body
    full = client.get(reverse("cases:queue"), {"tab": "moderation"}).content.decode()
    assert "<html" in full and 'id="queue-filters"' in full


def _count_queue_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_does_not_grow_with_rows(client, region, django_assert_max_num_queries):
    client.force_login(region["executor_a"])
    make_case(
        agency=region["agency_a"],
        status=CaseStatus.ASSIGNED,
        category=region["hot_water"],
        territory=region["village"],
    )
    client.get(reverse("cases:queue"))  # the first request builds the process caches (the form's options)
    one_row = _count_queue_queries(client)
    for n in range(30):
        make_case(
            agency=region["agency_a"],
            status=CaseStatus.ASSIGNED,
            category=region["hot_water"] if n % 2 else region["utilities"],
            territory=region["village"] if n % 3 else region["district"],
        )
    with django_assert_max_num_queries(10):
        many_rows = _count_queue_queries(client)
    assert many_rows == one_row


# --- login and language ---------------------------------------------------------------------------


def test_login_page_and_login_work(client, region):
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(
        reverse("accounts:login"),
        {"username": region["moderator"].username, "password": PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert "Мария Модераторова" in response.content.decode()


def test_wrong_password_shows_error(client, region):
    response = client.post(
        reverse("accounts:login"), {"username": region["moderator"].username, "password": "x"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


def test_logout_is_a_post(client, region):
    client.force_login(region["moderator"])
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("cases:queue")).status_code == 302


def test_language_switch_to_english(client, region):
    client.force_login(region["moderator"])
    page = client.get(reverse("cases:queue")).content.decode()
    assert '<html lang="ru">' in page
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("cases:queue")}, follow=True
    )
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Incoming queue" in page
    assert 'value="en" class="active"' in page


def test_executor_header_shows_role_and_agency(client, region):
    client.force_login(region["executor_a"])
    page = client.get(reverse("cases:queue"), HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Администрация Энгельсского района" in page
    with translation.override("ru"):
        assert str(Role.EXECUTOR.label) in page


def _count_card_queries(client: Any, case: Case) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_card_query_count_does_not_grow_with_history(client, region, django_assert_max_num_queries):
    moderator, executor = region["moderator"], region["executor_a"]
    short = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED)
    actions.write_answer(
        short, executor, text="Промежуточный ответ: выехала бригада.", kind=AnswerKind.INTERIM
    )
    long = make_case(agency=region["agency_a"], status=CaseStatus.ASSIGNED, territory=region["village"])
    for n in range(4):
        actions.write_answer(long, executor, text=f"Промежуточный ответ номер {n}.", kind=AnswerKind.INTERIM)
    answer = actions.write_answer(long, executor, text="Окончательный ответ: всё починили.")
    actions.approve_answer(answer, moderator)
    client.force_login(moderator)
    baseline = _count_card_queries(client, short)
    with django_assert_max_num_queries(16):
        assert _count_card_queries(client, long) <= baseline + 2  # the territory's parents, once each


@pytest.mark.django_db
def test_queue_sorts_urgent_first_and_least_certain_first(client):
    from otklik.accounts.choices import Role
    from otklik.testing.factories import PASSWORD, make_case, make_user

    calm = make_case(text="Не убран снег во дворе", category_confidence=0.9)
    urgent = make_case(text="Сильный запах газа в подъезде", is_urgent=True, category_confidence=0.95)
    unsure = make_case(text="Что-то непонятное", category_confidence=0.2)
    user = make_user(Role.MODERATOR)
    client.login(username=user.username, password=PASSWORD)
    ids = lambda resp: [c.pk for c in resp.context["cases"]]  # noqa: E731
    by_urgency = ids(client.get("/cases/", {"tab": "all", "sort": "urgent"}))
    assert by_urgency[0] == urgent.pk
    by_doubt = ids(client.get("/cases/", {"tab": "all", "sort": "uncertain"}))
    assert by_doubt[:2] == [unsure.pk, calm.pk]


def test_queue_shows_the_pipelines_suggestions_until_a_moderator_decides(client, region):
    waiting = _awaiting(region, category_confidence=0.87)
    decided = _awaiting(
        region,
        status=CaseStatus.ASSIGNED,
        category=region["utilities"],
        territory=region["district"],
        agency=region["agency_b"],
    )
    moderator = make_user(Role.MODERATOR)
    client.force_login(moderator)
    with translation.override("ru"):
        html = client.get("/cases/", {"tab": "all"}).content.decode()
    waiting_row = html.split(f'data-case="{waiting.number}"')[1].split("</tr>")[0]
    decided_row = html.split(f'data-case="{decided.number}"')[1].split("</tr>")[0]
    assert 'data-testid="suggested-category"' in waiting_row and region["hot_water"].name in waiting_row
    assert "87" in waiting_row and region["village"].name in waiting_row
    assert str(region["agency_a"]) in waiting_row
    assert 'title="Предложено автоматической обработкой"' in waiting_row
    # a decided case shows the decision, not the suggestion
    assert region["utilities"].name in decided_row and "suggested" not in decided_row


def _awaiting(region: dict[str, Any], **kw: Any) -> Case:
    """A case the pipeline suggested hot water, the village and agency A for (``kw`` overrides)."""
    suggested = {
        "status": CaseStatus.MODERATION,
        "suggested_category": region["hot_water"],
        "suggested_territory": region["village"],
        "suggested_agency": region["agency_a"],
        # sure enough to be accepted in bulk (the rules' threshold: OTKLIK_AUTO_ROUTE_CONFIDENCE)
        "category_confidence": 0.95,
    }
    return make_case(**{**suggested, **kw})


def test_moderator_accepts_ticked_suggestions_from_the_queue(client, region):
    first, second, untouched = _awaiting(region), _awaiting(region), _awaiting(region)
    half = make_case(status=CaseStatus.MODERATION, suggested_category=region["roads"])  # no agency
    client.force_login(region["moderator"])
    queue = client.get("/cases/", {"tab": "moderation"})
    html = queue.content.decode()
    assert queue.context["confirmable"] == {first.pk, second.pk, untouched.pk}
    assert 'data-testid="confirm-form"' in html and html.count('class="bulk-pick"') == 3

    back = "/cases/?tab=moderation&sort=uncertain"
    response = client.post(
        "/cases/confirm/", {"case": [first.pk, second.pk, half.pk], "next": back}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert response.status_code == 302 and response["Location"] == back
    levels = dict(_messages(response))
    assert levels["success"] == "2 обращения подтверждены и направлены."
    assert levels["warning"] == f"Не подтверждены: {half.number}: исполнитель не предложен."
    for case in (first, second):
        case.refresh_from_db()
        assert case.status == CaseStatus.ASSIGNED and case.agency == region["agency_a"]
        assert case.category == region["hot_water"] and case.territory == region["village"]
    untouched.refresh_from_db()
    half.refresh_from_db()
    assert untouched.status == half.status == CaseStatus.MODERATION


def test_confirming_from_the_queue_is_for_the_center_only(client, region):
    own = _awaiting(region)
    client.force_login(region["executor_a"])
    queue = client.get("/cases/", {"tab": "all"})
    assert queue.context["confirmable"] == set() and b"confirm-form" not in queue.content
    response = client.post("/cases/confirm/", {"case": [own.pk]})
    assert response.status_code == 302 and [level for level, _ in _messages(response)] == ["error"]
    own.refresh_from_db()
    assert own.status == CaseStatus.MODERATION and own.agency is None


def test_confirm_needs_ticks_and_never_redirects_off_site(client, region):
    client.force_login(region["moderator"])
    response = client.post("/cases/confirm/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:queue")
    assert [level for level, _ in _messages(response)] == ["error"]
    assert client.get("/cases/confirm/").status_code == 405


def test_queue_filters_match_the_suggestion_while_nothing_is_decided(client, region):
    waiting = _awaiting(region)  # suggested: hot water, the village, agency A
    decided = _awaiting(
        region,
        status=CaseStatus.ASSIGNED,
        category=region["roads"],
        territory=region["other_district"],
        agency=region["agency_b"],
    )
    client.force_login(region["moderator"])

    def numbers(**params: Any) -> set[str]:
        return _numbers(client.get("/cases/", {"tab": "all", **params}))

    assert numbers(category=region["hot_water"].pk) == {waiting.number}
    assert numbers(category=region["utilities"].pk) == {waiting.number}  # a top category covers its own
    assert numbers(territory=region["district"].pk) == {waiting.number}  # a district covers its villages
    assert numbers(agency=region["agency_a"].pk) == {waiting.number}
    assert numbers(category=region["roads"].pk) == numbers(agency=region["agency_b"].pk) == {decided.number}
