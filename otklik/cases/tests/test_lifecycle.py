import pytest

from otklik.cases.choices import CaseStatus
from otklik.cases.lifecycle import TRANSITIONS, IllegalTransition, can_transition, check_transition


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
