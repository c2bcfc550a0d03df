"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Debian's Chromium; OTKLIK_CHROMIUM names another binary (e.g. /usr/lib/chromium/chromium).
CHROMIUM = Path(os.environ.get("OTKLIK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        # CI must run the browser tests, never skip them: the test command installs Chromium.
        raise pytest.UsageError(f"CI run without Chromium at {CHROMIUM}: browser tests cannot be skipped")
    skip = pytest.mark.skip(reason=f"browser tests need Chromium at {CHROMIUM} (apt install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # Russian first, like the operators; a wide screen, as in a regional center.
    context = browser.new_context(locale="ru-RU", viewport={"width": 1440, "height": 900})
    # Generous: a loaded 2-core CI machine runs Chromium, the live server and PostgreSQL at once.
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """The test's own MEDIA_ROOT: the photos its forms upload land there, not in the project's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
