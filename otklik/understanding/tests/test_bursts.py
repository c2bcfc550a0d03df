"""Bursts of one category in one territory against its own rolling baseline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_category, make_territory
from otklik.understanding.bursts import BurstConfig, detect_bursts, find_bursts, poisson_tail, robust_z
from otklik.understanding.models import BurstAlert
from otklik.understanding.text import analyze

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _history(category: int, territory: int, per_day: list[int], start_id: int = 1000) -> list[tuple]:
    rows, case_id = [], start_id
    for days_back, count in enumerate(per_day, start=1):
        for _ in range(count):
            rows.append((case_id, category, territory, NOW - timedelta(days=days_back, hours=1)))
            case_id += 1
    return rows


def _today(category: int, territory: int, count: int, start_id: int = 1) -> list[tuple]:
    return [(start_id + i, category, territory, NOW - timedelta(minutes=10 * i + 1)) for i in range(count)]


def test_poisson_tail_and_robust_z() -> None:
    assert poisson_tail(0, 2.0) == 1.0
    assert abs(poisson_tail(1, 2.0) - (1 - 0.1353352832)) < 1e-6
    assert poisson_tail(10, 1.0) < 1e-6
    assert robust_z(10, [1, 1, 2, 1, 0]) > 5


def test_a_rise_far_above_its_own_baseline_is_a_burst() -> None:
    observations = _history(1, 7, [1, 0, 2, 1] * 7) + _today(1, 7, 9)
    [finding] = find_bursts(observations, NOW)
    assert (finding.category_id, finding.territory_id, finding.count) == (1, 7, 9)
    assert finding.baseline == pytest.approx(1.0)
    assert finding.case_ids == list(range(1, 10))


def test_a_usually_busy_pair_is_not_a_burst_at_its_usual_level() -> None:
    observations = _history(1, 7, [8, 10, 9, 11] * 7) + _today(1, 7, 12)
    assert find_bursts(observations, NOW) == []


def test_too_few_cases_are_never_a_burst_even_from_zero() -> None:
    assert find_bursts(_today(1, 7, 4), NOW) == []
    assert len(find_bursts(_today(1, 7, 5), NOW)) == 1


def test_other_categories_and_territories_have_their_own_baselines() -> None:
    observations = _history(1, 7, [9] * 28) + _today(1, 7, 9) + _today(2, 7, 9, start_id=100)
    assert [(f.category_id, f.territory_id) for f in find_bursts(observations, NOW)] == [(2, 7)]


@pytest.mark.django_db
def test_detect_bursts_raises_one_alert_per_window_and_updates_it() -> None:
    district = make_territory("Льговский район")
    village = make_territory("Большие Угоны", kind=TerritoryKind.SETTLEMENT, parent=district)
    water = make_category("Водоснабжение")
    texts = [
        "Третий день нет воды в Больших Угонах",
        "В деревне Большие Угоны опять без воды",
        "Нет холодной воды, колонка не работает",
        "Воды нет с понедельника, старики носят вёдрами",
        "Когда дадут воду в Угонах?",
        "Без воды вся улица Старая Слобода",
    ]
    assert all(analyze(t).tokens for t in texts)  # real messages behind the cases
    observations = [
        (i + 1, water.pk, village.pk, NOW - timedelta(minutes=5 * i + 1)) for i in range(len(texts))
    ]
    [alert] = detect_bursts(NOW, observations)
    assert alert.territory == district  # settlements roll up to their municipality
    assert alert.count == 6 and alert.case_ids == [1, 2, 3, 4, 5, 6]
    again = detect_bursts(NOW + timedelta(minutes=1), observations)
    assert [a.pk for a in again] == [alert.pk]
    more = [*observations, (7, water.pk, village.pk, NOW)]
    detect_bursts(NOW + timedelta(minutes=2), more)
    assert BurstAlert.objects.count() == 1
    alert.refresh_from_db()
    assert alert.count == 7 and 7 in alert.case_ids


@pytest.mark.django_db
def test_no_alert_for_a_quiet_day() -> None:
    district = make_territory("Курский район")
    roads = make_category("Дороги")
    assert (
        detect_bursts(NOW, _history(roads.pk, district.pk, [1] * 28) + _today(roads.pk, district.pk, 2)) == []
    )
    assert not BurstAlert.objects.exists()


def test_config_makes_the_detector_stricter() -> None:
    observations = _history(1, 7, [1] * 28) + _today(1, 7, 6)
    assert find_bursts(observations, NOW)
    assert not find_bursts(observations, NOW, config=BurstConfig(min_count=10))
