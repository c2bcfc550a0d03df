import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from otklik.cases.choices import AnswerStatus, CaseStatus
from otklik.cases.lifecycle import (
    ANSWER_TRANSITIONS,
    TRANSITIONS,
    IllegalAnswerTransition,
    IllegalTransition,
    answer_sources,
    can_transition,
    check_answer_transition,
    check_transition,
)


def test_every_status_has_a_transition_entry():
    assert set(TRANSITIONS) == set(CaseStatus.values)
    for targets in TRANSITIONS.values():
        assert targets <= set(CaseStatus.values)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (CaseStatus.NEW, CaseStatus.MODERATION),
        (CaseStatus.MODERATION, CaseStatus.ASSIGNED),
        (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS),
        (CaseStatus.IN_PROGRESS, CaseStatus.ANSWERED),
        (CaseStatus.ANSWERED, CaseStatus.APPROVED),
        (CaseStatus.APPROVED, CaseStatus.PUBLISHED),
        (CaseStatus.PUBLISHED, CaseStatus.CLOSED),
        (CaseStatus.CLOSED, CaseStatus.REOPENED),
        (CaseStatus.REOPENED, CaseStatus.IN_PROGRESS),
    ],
)
def test_main_road_is_allowed(current, target):
    assert can_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (CaseStatus.NEW, CaseStatus.PUBLISHED),
        (CaseStatus.MODERATION, CaseStatus.ANSWERED),
        (CaseStatus.CLOSED, CaseStatus.ASSIGNED),
        (CaseStatus.MERGED, CaseStatus.REOPENED),
        (CaseStatus.ANSWERED, CaseStatus.PUBLISHED),
        (CaseStatus.REJECTED, CaseStatus.ASSIGNED),
    ],
)
def test_illegal_transition_raises_a_clear_error(current, target):
    with pytest.raises(IllegalTransition) as exc:
        check_transition(current, target)
    message = str(exc.value)
    assert str(CaseStatus(current).label) in message and str(CaseStatus(target).label) in message


def test_merged_is_final():
    assert TRANSITIONS[CaseStatus.MERGED] == frozenset()


# --- answers -------------------------------------------------------------------------------------


def test_every_answer_status_has_a_transition_entry():
    assert set(ANSWER_TRANSITIONS) == set(AnswerStatus.values)


def test_an_answer_is_approved_and_published_or_returned_and_never_after_publication():
    assert answer_sources(AnswerStatus.APPROVED) == {AnswerStatus.DRAFT}
    assert answer_sources(AnswerStatus.RETURNED) == {AnswerStatus.DRAFT, AnswerStatus.APPROVED}
    assert answer_sources(AnswerStatus.PUBLISHED) == {AnswerStatus.APPROVED}
    assert ANSWER_TRANSITIONS[AnswerStatus.PUBLISHED] == ANSWER_TRANSITIONS[AnswerStatus.RETURNED] == set()


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        (AnswerStatus.APPROVED, AnswerStatus.APPROVED, "Only a draft answer can be approved."),
        (AnswerStatus.PUBLISHED, AnswerStatus.RETURNED, "This answer can no longer be returned."),
        (AnswerStatus.DRAFT, AnswerStatus.PUBLISHED, "Only an approved answer can be published."),
    ],
)
def test_an_illegal_answer_transition_is_a_clear_validation_error(current, target, message):
    with pytest.raises(IllegalAnswerTransition) as caught, translation.override("en"):
        check_answer_transition(current, target)
    assert isinstance(caught.value, ValidationError) and caught.value.messages == [message]
