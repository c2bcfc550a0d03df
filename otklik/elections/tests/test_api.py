"""The situational center's REST API: scoping (an observer sees and reports only their station), a
retried report made once (client_id), validation as 400s, the dashboard for the center only."""

from __future__ import annotations

import base64

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from otklik.elections.models import Incident, Report
from otklik.testing.factories import PASSWORD

from .test_elections import png

pytestmark = pytest.mark.django_db


def basic(username: str) -> dict[str, str]:
    """An app's way in: HTTP Basic over TLS (no session, no CSRF)."""
    token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def test_an_observer_reports_through_the_api_once_per_client_id(client, day):
    anna = basic("anna")
    first = client.post(
        "/api/elections/reports/", {"kind": "turnout", "turnout": 300, "client_id": "a-1"}, **anna
    )
    assert first.status_code == 201, first.content
    assert (first.json()["station"], first.json()["turnout"]) == (101, 300)
    retry = client.post(
        "/api/elections/reports/", {"kind": "turnout", "turnout": 300, "client_id": "a-1"}, **anna
    )
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert Report.objects.count() == 1

    violation = client.post(
        "/api/elections/reports/",
        {
            "kind": "violation",
            "text": "Наблюдателя удалили из помещения без решения комиссии",
            "photo": SimpleUploadedFile("urn.png", png().read(), content_type="image/png"),
            "client_id": "a-2",
        },
        **anna,
    )
    assert violation.status_code == 201 and violation.json()["incident"]["status"] == "new"
    assert violation.json()["has_photo"] is True and Incident.objects.count() == 1

    down = client.post("/api/elections/reports/", {"kind": "turnout", "turnout": 100}, **anna)
    assert down.status_code == 400 and "не может уменьшиться" in str(down.json())
    unknown = client.post("/api/elections/reports/", {"kind": "party"}, **anna)
    assert unknown.status_code == 400 and "kind" in unknown.json()

    # Her own station only.
    assert [s["number"] for s in client.get("/api/elections/stations/", **anna).json()["results"]] == [101]
    assert client.get("/api/elections/stations/201/", **anna).status_code == 404
    assert {r["station"] for r in client.get("/api/elections/reports/", **anna).json()["results"]} == {101}
    assert client.get("/api/elections/incidents/", **anna).status_code == 403
    assert client.get("/api/elections/dashboard/", **anna).status_code == 403
    assert client.get("/api/elections/reports/", **basic("boris")).json()["count"] == 0  # not his station


def test_the_center_reads_everything_and_polls_new_reports(client, day):
    client.post("/api/elections/reports/", {"kind": "opened"}, **basic("anna"))
    client.post("/api/elections/reports/", {"kind": "opened"}, **basic("boris"))
    chief = basic("chief")
    reports = client.get("/api/elections/reports/", **chief).json()
    assert reports["count"] == 2
    newest = max(r["id"] for r in reports["results"])
    assert client.get("/api/elections/reports/", {"since": newest}, **chief).json()["count"] == 0
    assert client.get("/api/elections/reports/", {"station": 201}, **chief).json()["count"] == 1
    assert len(client.get("/api/elections/stations/", **chief).json()["results"]) == 3
    board = client.get("/api/elections/dashboard/", **chief).json()
    assert (board["stations"], board["opened"], board["open_incidents"]) == (3, 2, 0)
    assert [c["name"] for c in board["commissions"]] == ["ТИК Балаковская", "ТИК Энгельсская"]
    assert board["protocols"] == {
        "loaded": 0,
        "turnout_pct": None,
        "compared": 0,
        "discrepancies": [],
        "options": [],
        "station_gaps": [],
    }
    assert isinstance(board["silent"], list)  # who is silent depends on the hour the test runs
    assert (
        client.post("/api/elections/reports/", {"kind": "opened"}, **chief).status_code == 403
    )  # not an observer
    client.logout()
    assert client.get("/api/elections/reports/").status_code == 403


def test_an_app_sends_the_opening_checklist(client, day):
    import json

    from otklik.elections.models import ChecklistQuestion

    sealed = ChecklistQuestion.objects.create(election=day["election"], text="Ящики опечатаны?")
    sent = client.post(
        "/api/elections/reports/",
        json.dumps({"kind": "opened", "checklist": {str(sealed.pk): False}, "client_id": "open-1"}),
        content_type="application/json",
        **basic("anna"),
    )
    assert sent.status_code == 201 and sent.json()["checklist"] == {str(sealed.pk): False}
    assert Incident.objects.get().report.station.number == 101  # a critical "no"
    bad = client.post(
        "/api/elections/reports/",
        json.dumps({"kind": "opened", "checklist": {"x": True}}),
        content_type="application/json",
        **basic("boris"),
    )
    assert bad.status_code == 400
