"""Audit finding 7 for the REST API: JSON nested 100,000 deep, or a NUL in a field, is a 400 with a
clear message — never a RecursionError's 500 and never a database's error text."""

from __future__ import annotations

import json

import pytest

from otklik.elections.models import Report

from .test_api import basic

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_to_the_reports_api_is_a_400(client, day):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/elections/reports/", body, content_type="application/json", **basic("anna"))
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    inner = json.dumps({"kind": "violation", "text": "Вброс бюллетеней", "checklist": {"1": [[[[[[]]]]]]}})
    assert (
        client.post(
            "/api/elections/reports/",
            "{" + '"a":' * 200 + "1" + "}" * 200,
            content_type="application/json",
            **basic("anna"),
        ).status_code
        == 400
    )
    assert (
        client.post(
            "/api/elections/reports/", inner, content_type="application/json", **basic("anna")
        ).status_code
        < 500
    )


def test_a_nul_in_a_report_is_a_400(client, day):
    response = client.post(
        "/api/elections/reports/",
        json.dumps({"kind": "violation", "text": "Вброс\u0000 бюллетеней на участке"}),
        content_type="application/json",
        **basic("anna"),
    )
    assert response.status_code == 400 and "NUL" in json.dumps(response.json(), ensure_ascii=False)
    assert not Report.objects.exists()
