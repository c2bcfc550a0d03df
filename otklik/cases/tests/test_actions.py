"""The case loop through actions: each step changes status, writes history and notifies."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import AnswerKind, AnswerStatus, CaseStatus, EventKind
from otklik.cases.lifecycle import IllegalAnswerTransition, IllegalTransition
from otklik.cases.models import AppendOnlyError, Case, CaseEvent
from otklik.testing.factories import (
    make_agency,
    make_case,
    make_category,
    make_rule,
    make_territory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    district = make_territory("Энгельсский район")
    category = make_category("Отопление")
    agency = make_agency("Администрация Энгельсского района")
    other = make_agency("Облводоресурс")
    make_rule(agency, category=category, territory=district)
    return {
        "district": district,
        "category": category,
        "agency": agency,
        "other": other,
        "moderator": make_user(Role.MODERATOR),
        "supervisor": make_user(Role.SUPERVISOR),
        "executor": make_user(Role.EXECUTOR, agency=agency),
        "stranger": make_user(Role.EXECUTOR, agency=other),
        "analyst": make_user(Role.ANALYST),
    }


def statuses(case):
    return list(case.events.exclude(to_status="").values_list("to_status", flat=True))


def test_full_loop_to_published_closed_and_reopened(world, django_capture_on_commit_callbacks):
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.moderate_case(
            case, world["moderator"], category=world["category"], territory=world["district"]
        )
    assert case.status == CaseStatus.ASSIGNED
    assert case.agency == world["agency"]  # routed by the rule
    assert case.deadline_at is not None and case.deadline_at > case.assigned_at
    assert any(world["executor"].email in m.to for m in mail.outbox)

    case = actions.start_work(case, world["executor"])
    interim = actions.write_answer(
        case, world["executor"], text="Заявка передана в аварийную службу.", kind=AnswerKind.INTERIM
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.first_answer_at is not None
    assert interim.status == AnswerStatus.DRAFT

    final = actions.write_answer(
        case, world["executor"], text="Отопление восстановлено 12 марта, котельная работает."
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ANSWERED and case.answer_working_minutes is not None

    actions.approve_answer(final, world["moderator"])
    actions.publish_answer(final, world["moderator"])
    case.refresh_from_db()
    final.refresh_from_db()
    assert case.status == CaseStatus.PUBLISHED and final.status == AnswerStatus.PUBLISHED
    assert final.publish_result["sent"] is False  # staging: nothing leaves the machine in tests

    actions.rate_case(case, score=5, comment="Спасибо")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_at is not None

    case = actions.reopen_case(case, world["moderator"], reason="Снова холодные батареи")
    assert case.status == CaseStatus.REOPENED and case.reopen_count == 1
    assert statuses(case) == [
        CaseStatus.MODERATION,
        CaseStatus.ASSIGNED,
        CaseStatus.IN_PROGRESS,
        CaseStatus.ANSWERED,
        CaseStatus.APPROVED,
        CaseStatus.PUBLISHED,
        CaseStatus.CLOSED,
        CaseStatus.REOPENED,
    ]


def test_low_rating_with_reopen_restarts_the_deadline(world):
    case = make_case(agency=world["agency"], status=CaseStatus.PUBLISHED)
    old = timezone.now() - timedelta(days=3)
    actions.rate_case(case, score=1, comment="Ничего не сделано", reopen=True)
    case.refresh_from_db()
    assert case.status == CaseStatus.REOPENED
    assert case.assigned_at > old and case.deadline_at > case.assigned_at
    assert case.ratings.get().score == 1


def test_illegal_transition_is_an_error_and_changes_nothing(world):
    case = make_case(agency=world["agency"], status=CaseStatus.CLOSED)
    with pytest.raises(IllegalTransition):
        actions.start_work(case, world["executor"])
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert not case.events.exists()


def test_executor_cannot_act_on_another_agencys_case(world):
    case = make_case(agency=world["agency"], status=CaseStatus.ASSIGNED)
    with pytest.raises(PermissionDenied):
        actions.start_work(case, world["stranger"])
    with pytest.raises(PermissionDenied):
        actions.write_answer(case, world["stranger"], text="Чужой ответ на чужое обращение")


def test_executor_and_analyst_cannot_moderate(world):
    case = make_case()
    for user in (world["executor"], world["analyst"]):
        with pytest.raises(PermissionDenied):
            actions.moderate_case(case, user, category=world["category"], territory=world["district"])


def test_returned_answer_goes_back_to_work(world, django_capture_on_commit_callbacks):
    case = make_case(agency=world["agency"], status=CaseStatus.IN_PROGRESS)
    answer = actions.write_answer(case, world["executor"], text="Работы будут выполнены.")
    # The answer-quality check is kept with the answer: no date here, so flagged.
    assert answer.quality_score is not None and answer.quality_score < 1 and "no_date" in answer.quality_flags
    with django_capture_on_commit_callbacks(execute=True):
        actions.return_answer(answer, world["moderator"], comment="Нет срока и конкретики")
    case.refresh_from_db()
    answer.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and answer.status == AnswerStatus.RETURNED
    assert any("доработку" in m.subject for m in mail.outbox)
    with pytest.raises(ValidationError):
        actions.publish_answer(answer, world["moderator"])


def test_the_center_reviews_an_answer_and_a_move_the_lifecycle_refuses_changes_nothing(world):
    at = timezone.now() - timedelta(hours=1)
    case = make_case(agency=world["agency"], status=CaseStatus.IN_PROGRESS)
    answer = actions.write_answer(case, world["executor"], text="Подача воды восстановлена 3 марта.")
    with pytest.raises(IllegalAnswerTransition):  # a draft is approved before it is published
        actions.publish_answer(answer, world["moderator"], now=at)
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.DRAFT and answer.published_at is None
    assert not case.events.filter(kind=EventKind.ANSWER_PUBLISHED).exists()

    actions.return_answer(answer, world["moderator"], comment="Укажите адрес", now=at)
    answer.refresh_from_db()
    assert (answer.status, answer.reviewed_by, answer.reviewed_at, answer.review_comment) == (
        AnswerStatus.RETURNED,
        world["moderator"],
        at,
        "Укажите адрес",
    )
    again = actions.write_answer(
        case, world["executor"], text="Подача воды по ул. Ленина, 5 восстановлена 3 марта."
    )
    actions.approve_answer(again, world["supervisor"], now=at + timedelta(minutes=5))
    again.refresh_from_db()
    assert (again.status, again.reviewed_by, again.reviewed_at, again.review_comment) == (
        AnswerStatus.APPROVED,
        world["supervisor"],
        at + timedelta(minutes=5),
        "",
    )
    with pytest.raises(IllegalAnswerTransition):  # approved once is enough
        actions.approve_answer(again, world["moderator"])
    actions.publish_answer(again, world["moderator"], now=at + timedelta(minutes=9))
    again.refresh_from_db()
    assert (again.status, again.published_at, again.reviewed_by) == (
        AnswerStatus.PUBLISHED,
        at + timedelta(minutes=9),
        world["supervisor"],
    )


def test_executor_redirect_hands_case_back_to_center(world):
    case = make_case(agency=world["agency"], status=CaseStatus.ASSIGNED)
    case = actions.redirect_case(case, world["executor"], reason="Это вопрос водоканала")
    assert case.status == CaseStatus.REDIRECTED
    case = actions.assign_case(case, world["moderator"], world["other"])
    assert case.status == CaseStatus.ASSIGNED and case.agency == world["other"]


def test_redirect_needs_a_reason(world):
    case = make_case(agency=world["agency"], status=CaseStatus.ASSIGNED)
    with pytest.raises(ValidationError):
        actions.redirect_case(case, world["executor"], reason=" ")


def test_merge_moves_messages_and_counts_authors(world):
    target = make_case(text="Яма на дороге по ул. Ленина")
    dup = make_case(text="Огромная яма на Ленина")
    actions.merge_cases(dup, target, world["moderator"])
    dup.refresh_from_db()
    target.refresh_from_db()
    assert dup.status == CaseStatus.MERGED and dup.merged_into == target
    assert target.message_count == 2 and target.author_count == 2
    assert target.events.filter(kind=EventKind.MESSAGE_ATTACHED).exists()
    with pytest.raises(ValidationError):
        actions.merge_cases(target, target, world["moderator"])


def test_reject_needs_reason_and_closes(world):
    case = make_case(text="Купите окна недорого")
    with pytest.raises(ValidationError):
        actions.reject_case(case, world["moderator"], reason="")
    case = actions.reject_case(case, world["moderator"], reason="Реклама")
    assert case.status == CaseStatus.REJECTED and case.closed_at is not None


def test_overdue_case_is_marked_and_escalated_once(world, django_capture_on_commit_callbacks):
    case = make_case(
        agency=world["agency"], status=CaseStatus.ASSIGNED, deadline_at=timezone.now() - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.mark_overdue() == [case.pk]
    case.refresh_from_db()
    assert case.is_overdue and case.status == CaseStatus.ESCALATED
    assert any(world["supervisor"].email in m.to for m in mail.outbox)
    assert actions.mark_overdue() == []
    assert case.events.filter(kind=EventKind.ESCALATED).count() == 1


def test_history_is_append_only(world):
    case = make_case()
    actions.send_to_moderation(case)
    event = CaseEvent.objects.get(case=case)
    event.comment = "подчистка"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_history_records_who_and_before_after(world):
    case = make_case()
    actions.moderate_case(case, world["moderator"], category=world["category"], territory=world["district"])
    moderated = case.events.get(kind=EventKind.MODERATED)
    assert moderated.actor == world["moderator"]
    assert moderated.before["category"] is None
    assert moderated.after["category"]["id"] == world["category"].pk
    assert (
        Case.objects.get(pk=case.pk).events.filter(kind=EventKind.ASSIGNED, actor=world["moderator"]).exists()
    )


def test_confirming_suggestions_routes_each_case_as_its_moderation_form_would(world):
    suggested = dict(
        suggested_category=world["category"],
        suggested_territory=world["district"],
        suggested_agency=world["other"],  # the pipeline's agency wins over the rule, as in the form
    )
    waiting = make_case(status=CaseStatus.MODERATION, **suggested)
    fresh = make_case(**suggested)  # still NEW: moderation and assignment in one go
    no_agency = make_case(status=CaseStatus.MODERATION, suggested_category=world["category"])
    no_category = make_case(status=CaseStatus.MODERATION, suggested_agency=world["agency"])
    already = actions.moderate_case(
        make_case(**suggested), world["moderator"], category=world["category"], territory=world["district"]
    )
    assert actions.can_confirm_suggestion(waiting) and not actions.can_confirm_suggestion(no_agency)
    assert not actions.can_confirm_suggestion(already)

    result = actions.confirm_suggestions(
        [waiting, fresh, no_agency, no_category, already], world["moderator"]
    )

    assert [c.pk for c in result.confirmed] == [waiting.pk, fresh.pk]
    for case in result.confirmed:
        case.refresh_from_db()
        assert case.status == CaseStatus.ASSIGNED and case.agency == world["other"]
        assert case.category == world["category"] and case.territory == world["district"]
        assert case.deadline_at is not None
        moderated = case.events.get(kind=EventKind.MODERATED)
        assert moderated.actor == world["moderator"] and moderated.after["agency"]["id"] == world["other"].pk
    assert {c.pk: reason for c, reason in result.skipped} == {  # the site speaks Russian by default
        no_agency.pk: "исполнитель не предложен",
        no_category.pk: "категория не предложена",
        already.pk: "обращение уже не ждёт модерации",
    }
    no_agency.refresh_from_db()
    assert no_agency.status == CaseStatus.MODERATION and no_agency.agency is None


def test_only_the_center_confirms_suggestions(world):
    case = make_case(
        status=CaseStatus.MODERATION, suggested_category=world["category"], suggested_agency=world["agency"]
    )
    for user in (world["executor"], world["analyst"]):
        with pytest.raises(PermissionDenied):
            actions.confirm_suggestions([case], user)
    case.refresh_from_db()
    assert case.status == CaseStatus.MODERATION
