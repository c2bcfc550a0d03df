"""Analytics reads go to the replica when one is configured; everything else to default."""

from __future__ import annotations

import contextlib

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.ops.db_router import REPLICA, ReplicaRouter, reading_from_replica
from otklik.testing.factories import PASSWORD, make_user


@pytest.fixture(scope="module")
def replica():
    """A second alias on the same database (as a streaming replica would be): a separate connection."""
    conf = dict(connections.settings["default"])
    conf["TEST"] = {"MIRROR": "default"}
    connections.settings[REPLICA] = conf  # the same dict as settings.DATABASES
    yield connections[REPLICA]
    connections[REPLICA].close()
    del connections.settings[REPLICA]
    with contextlib.suppress(AttributeError):
        del connections[REPLICA]


def test_router_sends_only_marked_reads_to_the_replica(replica):
    router = ReplicaRouter()
    assert Case.objects.all().db == "default"
    with reading_from_replica():
        assert Case.objects.all().db == REPLICA
        assert router.db_for_write(Case) == "default"
    assert not router.allow_migrate(REPLICA, "cases")
    assert router.allow_migrate("default", "cases")


@pytest.mark.django_db(databases=["default", REPLICA], transaction=True)
def test_analytics_pages_read_from_the_replica(client, replica):
    client.login(username=make_user(Role.ANALYST).username, password=PASSWORD)
    with CaptureQueriesContext(replica) as on_replica:
        assert client.get("/analytics/agencies/").status_code == 200
    assert any("cases_case" in q["sql"] for q in on_replica.captured_queries)
    with CaptureQueriesContext(replica) as queue_reads:
        client.login(username=make_user(Role.MODERATOR).username, password=PASSWORD)
        assert client.get("/cases/").status_code == 200
    assert not queue_reads.captured_queries  # the operators' pages never read a lagging copy
