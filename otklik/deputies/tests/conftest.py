"""The small region of the intake tests, and a clean rate-limit counter for every test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from otklik.intake.tests.conftest import region  # noqa: F401  (a fixture shared with the intake tests)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()
