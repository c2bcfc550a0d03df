"""The client's address behind trusted proxies; never a value a client wrote."""

from __future__ import annotations

import pytest

from otklik.ops.middleware import client_address


@pytest.fixture(autouse=True)
def _proxies(settings):
    settings.OTKLIK_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]


def test_direct_client_keeps_its_address_whatever_it_sends():
    assert client_address("198.51.100.7", "1.2.3.4") == "198.51.100.7"


def test_behind_nginx_the_client_is_the_right_most_untrusted_hop():
    assert client_address("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    # A client that writes its own X-Forwarded-For only adds to the left of what nginx appends.
    assert client_address("127.0.0.1", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    # Two proxies of ours (a balancer in 10/8, then nginx): skip both.
    assert client_address("127.0.0.1", "198.51.100.7, 10.1.2.3") == "198.51.100.7"


def test_garbage_in_the_header_keeps_the_proxy_address():
    assert client_address("127.0.0.1", "not-an-ip") == "127.0.0.1"


def test_without_a_replica_marked_reads_stay_on_default():
    from otklik.cases.models import Case
    from otklik.ops.db_router import reading_from_replica

    with reading_from_replica():
        assert Case.objects.all().db == "default"
