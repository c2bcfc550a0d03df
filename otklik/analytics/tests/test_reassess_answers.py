"""``otklik reassess-answers``: stored answers assessed again, the concrete-answers figures recounted."""

from __future__ import annotations

from io import StringIO
from typing import Any

from django.core.management import call_command

from otklik.analytics import kpi
from otklik.analytics.rollups import refresh_rollups
from otklik.cases import actions
from otklik.cases.models import Answer

from .conftest import WEEK, at

# A real St Petersburg answer's words (annotated "formal": only a plan to consider).
PLAN_TO_CONSIDER = (
    "Отработка данного сообщения включена в план мониторинга, проводимого Учреждением. По результатам "
    "проведения мониторинга сообщение будет рассмотрено. Срок планового мониторинга: до 19.03.2021."
)


def test_reassessment_flips_an_old_verdict_and_recounts_the_agency_share(world: dict[str, Any]) -> None:
    from otklik.accounts.choices import Role
    from otklik.testing.factories import make_user

    moderator = make_user(Role.MODERATOR, username="moderator")
    water = world["water_co"].pk
    answer = actions.write_answer(world["late"], world["executor"], text=PLAN_TO_CONSIDER, now=at(3, 16))
    actions.approve_answer(answer, moderator, now=at(3, 17))
    actions.publish_answer(answer, moderator, now=at(3, 17))
    # as the check before the rebuild stored it: a pass
    Answer.objects.filter(pk=answer.pk).update(quality_score=0.85, quality_flags=["no_date"])
    refresh_rollups(now=at(6, 12))
    assert kpi.agency_kpis(WEEK)[water].concrete_pct == 100.0

    dry = StringIO()
    call_command("reassess_answers", "--dry-run", stdout=dry)
    assert "1 now read as formal non-answers" in dry.getvalue() and "nothing stored" in dry.getvalue()
    assert Answer.objects.get(pk=answer.pk).quality_score == 0.85

    out = StringIO()
    call_command("reassess_answers", stdout=out)
    stored = Answer.objects.get(pk=answer.pk)
    assert stored.quality_score is not None and stored.quality_score < 0.5
    assert "monitoring" in stored.quality_flags
    assert "1 case(s) change their counted verdict" in out.getvalue()
    assert "100 % → 0 %" in out.getvalue()
    assert kpi.agency_kpis(WEEK)[water].concrete_pct == 0.0
    # a second run changes nothing
    again = StringIO()
    call_command("reassess_answers", stdout=again)
    assert "0 case(s) change their counted verdict" in again.getvalue()
