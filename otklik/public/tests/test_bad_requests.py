"""Audit finding 7: a malformed request costs the server nothing — a NUL byte in a path, a query or
an Open311 description is a 400 with a clear message, never a 500 and never a database's error."""

from __future__ import annotations

import pytest

from otklik.intake.models import DeadLetter, Message

from .test_open311 import BASE, api_key, post  # noqa: F401 (api_key is a fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/requests.json?service_code=%00",
        f"{BASE}/requests.xml?status=open%00",
        f"{BASE}/requests.json?%00=1",
        "/public/problems/%00/",
        "/public/problems/12%00/",
        f"{BASE}/requests/%00.json",
    ],
)
def test_a_nul_byte_in_the_path_or_the_query_is_a_400(client, region, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_nul_byte_in_an_open311_description_is_a_400_without_database_text(client, region, api_key):  # noqa: F811
    response = post(client, api_key, description="Нет отопления\x00 в доме, батареи холодные, 14 градусов")
    assert response.status_code == 400
    body = response.content.decode()
    assert "NUL" in body
    for leak in ("DataError", "psycopg", "string literal", "IntegrityError", "Traceback"):
        assert leak not in body
    assert not Message.objects.exists() and DeadLetter.objects.count() == 1


def test_an_open311_description_of_100_kb_is_a_400(client, region, api_key):  # noqa: F811
    response = post(client, api_key, description="Яма на дороге. " * 7000)
    assert response.status_code == 400 and not Message.objects.exists()
