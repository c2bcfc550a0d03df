"""Analytics pages: who sees what, the JSON of the map, and the exports read back."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from otklik.accounts.choices import Role
from otklik.analytics.rollups import refresh_rollups
from otklik.testing.factories import PASSWORD, make_user

from .conftest import at

WEEK_QUERY = {"date_from": "2026-11-01", "date_to": "2026-11-07"}
PAGES = ("analytics:heatmap", "analytics:dynamics", "analytics:agencies", "analytics:summary")


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def analyst(world: dict[str, Any]) -> Client:
    refresh_rollups(now=at(6, 12))
    return client_for(world["analyst"])


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SUPERVISOR, Role.MODERATOR, Role.ADMINISTRATOR])
def test_center_roles_see_every_analytics_page(world: dict[str, Any], role: str) -> None:
    client = client_for(make_user(role))
    for name in PAGES:
        assert client.get(reverse(name), WEEK_QUERY).status_code == 200, name
    assert client.get(reverse("analytics:agency", args=[world["road_min"].pk])).status_code == 200


def test_executor_sees_only_their_agency_kpis(world: dict[str, Any]) -> None:
    client = client_for(world["executor"])
    own = reverse("analytics:agency", args=[world["water_co"].pk])
    assert client.get(reverse("analytics:index"))["Location"] == own
    page = client.get(own, WEEK_QUERY)
    assert page.status_code == 200 and "Водоканал Энгельса" in page.content.decode()
    assert client.get(reverse("analytics:agency", args=[world["road_min"].pk])).status_code == 404
    for name in (*PAGES, "analytics:heatmap-data", "analytics:summary-xlsx"):
        assert client.get(reverse(name)).status_code == 403, name


def test_anonymous_is_sent_to_login(world: dict[str, Any]) -> None:
    response = Client().get(reverse("analytics:heatmap"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_heatmap_json_and_drill_down_link(world: dict[str, Any], analyst: Client) -> None:
    data = analyst.get(reverse("analytics:heatmap-data"), {**WEEK_QUERY, "metric": "per10k"}).json()
    engels = next(t for t in data["territories"] if t["name"] == "Энгельсский район")
    assert (engels["messages"], engels["value"]) == (4, 2.0)
    # The center drills down into the queue; an analyst reads aggregates only (no link to cases).
    supervisor = client_for(make_user(Role.SUPERVISOR))
    page = supervisor.get(reverse("analytics:heatmap"), {**WEEK_QUERY, "channel": "vk"}).content.decode()
    assert f"/cases/?territory={world['engels'].pk}&amp;channel=vk" in page
    page = analyst.get(reverse("analytics:heatmap"), {**WEEK_QUERY, "channel": "vk"}).content.decode()
    assert "/cases/?territory=" not in page and '"queueUrl": ""' in page
    hexes = analyst.get(reverse("analytics:heatmap-hex"), {**WEEK_QUERY, "res": "6"}).json()
    assert hexes["resolution"] == 6 and sum(c["cases"] for c in hexes["cells"]) == 2


def test_agency_ranking_page_lists_agencies_in_order(world: dict[str, Any], analyst: Client) -> None:
    html = analyst.get(reverse("analytics:agencies"), WEEK_QUERY).content.decode()
    assert html.index("Водоканал") < html.index("Минтранс")


def test_summary_page_masks_examples(world: dict[str, Any], analyst: Client) -> None:
    html = analyst.get(reverse("analytics:summary"), WEEK_QUERY).content.decode()
    assert "ЖКХ / Горячая вода" in html
    assert "123-45-67" not in html and "Иванов" not in html and "кв. [*]" in html


def test_summary_xlsx_reads_back_with_a_chart(world: dict[str, Any], analyst: Client) -> None:
    response = analyst.get(reverse("analytics:summary-xlsx"), WEEK_QUERY)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    text = "\n".join(str(c) for row in rows for c in row if c is not None)
    problem = next(row for row in rows if row and row[0] == "ЖКХ / Горячая вода")
    assert tuple(problem[1:7]) == (2, 4, 1, 1, 1, 1)
    assert "Нет горячей воды в кв. [*], звоните [телефон], [ФИО]" in text
    assert "927" not in text and "Иван Петрович" not in text
    assert len(sheet._charts) == 1


def test_summary_pdf_has_russian_text_and_no_personal_data(world: dict[str, Any], analyst: Client) -> None:
    response = analyst.get(reverse("analytics:summary-pdf"), WEEK_QUERY)
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.content))
    text = " ".join((page.extract_text() or "") for page in reader.pages)
    flat = " ".join(text.split())
    assert "ЖКХ / Горячая вода" in flat
    assert "Нет горячей воды" in flat and "[телефон]" in flat
    assert "927" not in flat and "Иванов" not in flat


def test_working_time_is_shown_in_minutes_hours_or_working_days() -> None:
    from django.utils import translation

    from otklik.analytics.templatetags.analytics_ui import working_time

    with translation.override("en"):
        assert [working_time(m) for m in (None, 45, 90, 120, 960, 1200)] == [
            "—",
            "45 min",
            "1.5 h",
            "2 h",
            "2 working days",
            "2.5 working days",
        ]
    with translation.override("ru"):
        assert [working_time(m) for m in (480, 960, 2400, 10080, 1200)] == [
            "1 рабочий день",
            "2 рабочих дня",
            "5 рабочих дней",
            "21 рабочий день",
            "2,5 рабочего дня",
        ]
