"""JSON log lines carry the request id and, on a case's pages, the case id."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import pytest
from django.conf import settings

from otklik.accounts.choices import Role
from otklik.testing.factories import PASSWORD, make_case, make_user


@pytest.fixture
def json_access_log():
    stream = io.StringIO()
    formatter = logging.config.DictConfigurator({}).configure_formatter(
        dict(settings.LOGGING["formatters"]["json"])
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    from otklik.ops.context import ContextFilter

    handler.addFilter(ContextFilter())
    logger = logging.getLogger("otklik.access")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.mark.django_db
def test_access_line_is_json_with_request_and_case_ids(client, json_access_log):
    case = make_case()
    client.login(username=make_user(Role.SUPERVISOR).username, password=PASSWORD)
    response = client.get(f"/cases/{case.pk}/", HTTP_X_REQUEST_ID="req-42")
    assert response.status_code == 200
    lines = [json.loads(line) for line in json_access_log.getvalue().splitlines()]
    line = next(line for line in lines if line["path"] == f"/cases/{case.pk}/")
    assert line["request_id"] == "req-42"
    assert line["case_id"] == str(case.pk)
    assert line["status"] == 200 and line["level"] == "INFO" and line["logger"] == "otklik.access"
    assert line["view"] == "cases:detail" and isinstance(line["ms"], float)
