"""The election day the elections tests share: an election today, two commissions, three stations,
two observers, a lawyer and a supervisor; uploads go to a temporary folder."""

from __future__ import annotations

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.elections.models import Commission, Election, Observer, PollingStation
from otklik.testing.factories import make_user


@pytest.fixture
def day(settings, tmp_path) -> dict:
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    election = Election.objects.create(name="Выборы депутатов областной думы", day=today)
    engels = Commission.objects.create(name="ТИК Энгельсская")
    balakovo = Commission.objects.create(name="ТИК Балаковская")
    s1 = PollingStation.objects.create(number=101, commission=engels, registered_voters=1000)
    s2 = PollingStation.objects.create(number=102, commission=engels, registered_voters=500)
    s3 = PollingStation.objects.create(number=201, commission=balakovo, registered_voters=800)
    anna = make_user(Role.OBSERVER, username="anna")
    boris = make_user(Role.OBSERVER, username="boris")
    Observer.objects.create(user=anna, station=s1)
    Observer.objects.create(user=boris, station=s3)
    return {
        "election": election,
        "today": today,
        "s1": s1,
        "s2": s2,
        "s3": s3,
        "anna": anna,
        "boris": boris,
        "lawyer": make_user(Role.LAWYER, username="lawyer"),
        "chief": make_user(Role.SUPERVISOR, username="chief"),
    }
