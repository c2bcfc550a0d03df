"""From a resident's message to a rated answer: ingest a file, walk the case to published and reopened."""

import json

import pytest
from django.core.management import call_command

from otklik.accounts.choices import Role
from otklik.cases import actions
from otklik.cases.choices import CaseStatus, EventKind
from otklik.cases.models import Case
from otklik.directory.choices import TerritoryKind
from otklik.directory.defaults_categories import load_default_categories
from otklik.directory.defaults_deadlines import load_default_deadline_policies
from otklik.directory.models import Category
from otklik.intake.models import DeadLetter, Message
from otklik.testing.factories import make_agency, make_rule, make_territory, make_user

pytestmark = pytest.mark.django_db

MESSAGES = [
    {
        "source": "vk-engels",
        "external_id": "wall-1_101",
        "channel": "vk",
        "text": "Третий день нет горячей воды в доме на улице Тельмана в Энгельсе, УК молчит",
        "posted_at": "2026-03-02T09:15:00+04:00",
        "author_id": "id1001",
        "author_name": "Ирина",
    },
    {
        "source": "vk-engels",
        "external_id": "wall-1_102",
        "channel": "vk",
        "text": "Огромная яма на дороге у остановки в Балаково, машины бьют колёса",
        "posted_at": "2026-03-02T10:40:00+04:00",
        "author_id": "id1002",
    },
    {
        "source": "vk-engels",
        "external_id": "wall-1_103",
        "text": "",
        "posted_at": "2026-03-02T11:00:00+04:00",
    },
]


@pytest.fixture
def region():
    load_default_categories()
    load_default_deadline_policies()
    oblast = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=oblast)
    make_territory("Энгельс", kind=TerritoryKind.SETTLEMENT, parent=engels)
    balakovo = make_territory("Балаковский район", parent=oblast)
    make_territory("Балаково", kind=TerritoryKind.SETTLEMENT, parent=balakovo)
    engels_admin = make_agency("Администрация Энгельсского района")
    balakovo_admin = make_agency("Администрация Балаковского района")
    make_rule(engels_admin, territory=engels, is_fallback=True)
    make_rule(balakovo_admin, territory=balakovo, is_fallback=True)
    return {"engels_admin": engels_admin, "balakovo_admin": balakovo_admin}


def test_ingest_then_walk_a_case_to_published_and_reopened(
    region, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(json.dumps(m, ensure_ascii=False) for m in MESSAGES) + "\n", encoding="utf-8")

    call_command("ingest", str(path))
    call_command("ingest", str(path))  # delivered twice: still one case per message

    assert Message.objects.count() == 2
    assert Case.objects.count() == 2
    assert DeadLetter.objects.count() >= 1  # the empty text, kept with its reason
    water = Case.objects.get(messages__external_id="wall-1_101")
    assert water.suggested_category is not None
    assert water.suggested_category.top == Category.objects.get(code=water.suggested_category.top.code)
    assert water.suggested_territory is not None and "Энгельс" in water.suggested_territory.name

    moderator = make_user(Role.MODERATOR)
    executor = make_user(Role.EXECUTOR, agency=region["engels_admin"])
    if water.status != CaseStatus.ASSIGNED:
        water = actions.moderate_case(
            water, moderator, category=water.suggested_category, territory=water.suggested_territory
        )
    assert water.status == CaseStatus.ASSIGNED and water.agency == region["engels_admin"]
    assert water.deadline_at is not None

    water = actions.start_work(water, executor)
    answer = actions.write_answer(
        water, executor, text="Горячая вода подана 3 марта после ремонта теплотрассы."
    )
    actions.approve_answer(answer, moderator)
    actions.publish_answer(answer, moderator)
    water.refresh_from_db()
    assert water.status == CaseStatus.PUBLISHED

    actions.rate_case(water, score=2, comment="Вода снова пропала", reopen=True)
    water.refresh_from_db()
    assert water.status == CaseStatus.REOPENED
    kinds = set(water.events.values_list("kind", flat=True))
    assert {EventKind.ASSIGNED, EventKind.ANSWER_PUBLISHED, EventKind.RATED, EventKind.REOPENED} <= kinds
