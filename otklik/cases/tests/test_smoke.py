import pytest

from otklik.cases.choices import CaseStatus
from otklik.testing.factories import make_case


@pytest.mark.django_db
def test_case_gets_a_number():
    case = make_case()
    assert case.number.endswith(f"{case.pk:06d}")
    assert case.status == CaseStatus.NEW
