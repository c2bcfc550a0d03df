"""A connector whose credentials are not set says which settings to set, before any request: one
wording for every connector (Connector.secrets), and a variable named but empty counts as not set."""

from __future__ import annotations

from typing import Any

import pytest

from otklik.directory.choices import Channel
from otklik.intake.connectors.base import ConnectorError, connector_for
from otklik.intake.models import Source

pytestmark = pytest.mark.django_db

TOKEN = "set settings “token_env” and that environment variable"


@pytest.mark.parametrize(
    ("kind", "config", "detail"),
    [
        (
            "vk",
            {"owner_ids": [-1]},
            "VK token is not configured: " + TOKEN,
        ),
        (
            "max",
            {},
            "MAX bot token is not configured: " + TOKEN,
        ),
        (
            "telegram",
            {},
            "Telegram bot token is not configured: " + TOKEN,
        ),
        (
            "ok",
            {"group_ids": ["1"], "access_token_env": "OTKLIK_TEST_EMPTY"},
            "OK keys are not configured: set settings “application_key_env”, “application_secret_key_env”, "
            "“access_token_env” and those environment variables",
        ),
    ],
)
def test_a_connector_without_its_credentials_names_the_settings(
    kind: str, config: dict[str, Any], detail: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTKLIK_TEST_EMPTY", "")
    source = Source.objects.create(
        code=kind, name=kind, channel=Channel(kind), connector=kind, settings=config
    )
    health = connector_for(source).health()
    assert not health.ok and health.detail == detail


def test_the_credentials_come_back_in_the_order_asked_and_a_missing_one_is_no_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTKLIK_TEST_KEY", "k")
    monkeypatch.setenv("OTKLIK_TEST_TOKEN", "t")
    settings = {"key_env": "OTKLIK_TEST_KEY", "token_env": "OTKLIK_TEST_TOKEN"}
    source = Source.objects.create(code="s", name="s", channel=Channel.VK, connector="vk", settings=settings)
    connector = connector_for(source)
    assert connector.secrets("keys are", "token", "key") == ("t", "k")
    with pytest.raises(ConnectorError) as missing:
        connector.secrets("keys are", "key", "password")
    assert missing.value.retriable is False and "“password_env”" in str(missing.value)
