"""«Избиратель – депутат» in a real browser: a resident finds the deputy and writes; the deputy sees
only the appeals to them and answers; the center publishes; the resident rates and, two weeks on,
says the reply came; the public responsiveness table and the party coordinator's rating count it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from otklik.accounts.choices import Role
from otklik.analytics.rollups import rebuild_rollups
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case
from otklik.deputies import followup
from otklik.deputies.models import Faction, Level
from otklik.deputies.services import make_deputy
from otklik.directory.choices import Channel, DeadlineUnit, TerritoryKind
from otklik.testing.factories import make_case, make_policy, make_territory, make_user
from tests.browser.session import fits, log_in, log_out, start_and_write_answer, wait_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_writes_to_a_deputy_who_answers(live_server: Any, page: Any, screenshots: Path) -> None:
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION)
    engels = make_territory("Энгельсский район", parent=region)
    make_policy(30, unit=DeadlineUnit.DAYS, channel=Channel.DEPUTY, name="Обращения к депутатам")
    party = Faction.objects.create(name="Фракция «Созидание»", short_name="Созидание")
    ivanov = make_deputy(
        "Иванов Пётр Сергеевич",
        council="Саратовская областная дума",
        faction=party,
        constituency="Избирательный округ № 1 (Энгельсский район)",
        reception_hours="Вторник, 15:00–18:00",
    )
    ivanov.territories.add(engels)
    other = make_deputy("Смирнова Елена Андреевна", council="Городское собрание", level=Level.MUNICIPAL)
    elsewhere = make_case(agency=other.office, status=CaseStatus.ASSIGNED, channel=Channel.DEPUTY)
    make_user(Role.EXECUTOR, agency=ivanov.office, username="ivanov", first_name="Пётр", last_name="Иванов")
    make_user(Role.MODERATOR, username="moderator")
    party.coordinators.add(make_user(Role.COORDINATOR, username="coordinator"))
    base = live_server.url

    # --- the resident, on a phone: find the deputy of the district, write --------------------------
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/deputies/")
    fits(page)
    page.select_option("#dp-territory", str(engels.pk))
    page.click('[data-testid="dp-filters"] button[type=submit]')
    page.wait_for_url("**territory=**")
    assert page.locator("[data-deputy]").count() == 1
    page.screenshot(path=str(screenshots / "deputies-01-directory.png"), full_page=True)
    page.click(f'[data-deputy="{ivanov.pk}"]')
    page.wait_for_selector('[data-testid="deputy-appeal"]')
    page.fill("#id_name", "Ольга Николаева")
    page.fill("#id_contact", "+7 927 555-12-34")
    page.fill("#id_text", "На улице Тельмана в Энгельсе уже месяц не горят фонари, вечером идти страшно.")
    page.check("#id_consent")
    fits(page)
    page.screenshot(path=str(screenshots / "deputies-02-appeal.png"), full_page=True)
    page.click('[data-testid="deputy-appeal"] button[type=submit]')
    page.wait_for_selector('[data-testid="case-number"]')
    status_url = page.url
    case = Case.objects.get(channel=Channel.DEPUTY, agency=ivanov.office)
    assert page.inner_text('[data-testid="case-number"]') == case.number
    assert case.status == CaseStatus.ASSIGNED and case.deadline_at is not None
    fits(page)  # the status page
    page.set_viewport_size({"width": 1440, "height": 900})

    # --- the deputy: only the appeals to them; answers --------------------------------------------
    log_in(page, base, "ivanov")
    numbers = set(page.eval_on_selector_all("tr[data-case]", "rows => rows.map(r => r.dataset.case)"))
    assert numbers == {case.number}  # not the other deputy's appeal
    response = page.goto(f"{base}/cases/{elsewhere.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{base}/cases/{case.pk}/")
    answer = start_and_write_answer(
        page,
        "Направил депутатский запрос в администрацию Энгельсского района. Освещение на улице Тельмана "
        "восстановлено 14 марта, опоры проверены подрядчиком.",
    )
    answer.locator("button[type=submit]").click()
    wait_status(page, CaseStatus.ANSWERED)
    page.screenshot(path=str(screenshots / "deputies-03-answered.png"), full_page=True)
    log_out(page)

    # --- the center approves and publishes; the resident rates on the status page ----------------
    log_in(page, base, "moderator")
    page.goto(f"{base}/cases/{case.pk}/")
    page.click('[data-testid="answer"] [data-testid="action-approve"] button')
    wait_status(page, CaseStatus.APPROVED)
    page.click('[data-testid="answer"] [data-testid="action-publish"] button')
    wait_status(page, CaseStatus.PUBLISHED)
    log_out(page)
    page.goto(status_url)
    assert "восстановлено 14 марта" in page.inner_text('[data-testid="answer"]')
    page.check('input[name=score][value="5"]')
    page.click("form[action$='/rate/'] button[type=submit]")
    page.wait_for_selector('[data-testid="rating"]')
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED

    # --- two weeks on, "did the deputy reply?" on the same page ----------------------------------
    assert case in {c.case for c in followup.ask_about_replies(timezone.now() + timedelta(days=15))}
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(status_url)
    page.click('[data-testid="reply-yes"]')
    page.wait_for_selector('[data-testid="reply-given"]')
    assert "Да, ответ получен" in page.inner_text('[data-testid="reply-given"]')
    fits(page)
    page.screenshot(path=str(screenshots / "deputies-06-reply-check.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{base}/deputies/responsiveness/")
    row = page.locator(f'[data-testid="responsiveness"] tr[data-deputy="{ivanov.pk}"]')
    assert "мало ответов" in row.inner_text()  # one answer is not a share yet
    page.screenshot(path=str(screenshots / "deputies-07-responsiveness.png"), full_page=True)

    # --- the party coordinator: the rating of the faction's deputies ------------------------------
    rebuild_rollups()
    log_in(page, base, "coordinator")
    page.wait_for_selector('[data-testid="deputy-rating"]')  # a coordinator lands on the rating
    rows = page.locator('[data-testid="deputy-rating"] tbody tr[data-deputy]')
    assert rows.count() == 1 and "Иванов Пётр Сергеевич" in rows.first.inner_text()
    assert rows.first.locator('[data-testid="score"]').inner_text() != "—"
    assert rows.first.locator('[data-testid="replied"]').inner_text().startswith("100 %")
    page.screenshot(path=str(screenshots / "deputies-04-rating.png"), full_page=True)

    page.goto(f"{base}/deputies/{ivanov.pk}/")
    assert page.inner_text('[data-testid="record-received"]') == "1"
    page.screenshot(path=str(screenshots / "deputies-05-page.png"), full_page=True)
