"""Finding 8 of issue 11 in a real browser: the Content-Security-Policy that every page carries breaks
none of the app's own pages — htmx, Leaflet, the maps and the API docs log no violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.directory.choices import TerritoryKind
from otklik.testing.factories import make_agency, make_case, make_category, make_territory, make_user, square
from tests.browser.session import log_in, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page sees, kept on window before any of its scripts runs.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' '
                    + (e.sourceFile || '') + ':' + e.lineNumber);
});
"""


def _visit(page: Any, url: str, console: list[str], shot: Path | None = None) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    found = list(page.evaluate("window.__csp || []"))
    if shot is not None:
        page.screenshot(path=str(shot), full_page=False)
    return found + [line for line in console if "Content Security Policy" in line]


def test_no_page_logs_a_csp_violation(page, live_server, screenshots):
    region = make_territory("Область", kind=TerritoryKind.REGION)
    district = make_territory(
        "Энгельсский район", parent=region, geometry=square(46.0, 51.3), lat=51.5, lon=46.2
    )
    agency = make_agency("Водоканал", short_name="Водоканал")
    category = make_category("ЖКХ", code="zhkh")
    case = make_case(
        agency=agency,
        category=category,
        territory=district,
        status=CaseStatus.IN_PROGRESS,
        lat=51.5,
        lon=46.2,
    )
    make_case(
        agency=agency,
        category=category,
        territory=district,
        status=CaseStatus.PUBLISHED,
        lat=51.51,
        lon=46.21,
    )
    make_user(Role.ADMINISTRATOR, username="admin1", is_staff=True)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(LISTEN)
    base = live_server.url
    violations: dict[str, list[str]] = {}
    for url in [
        "/public/map/",
        "/public/appeal/",
        "/deputies/",
        "/accounts/login/",
        "/accounts/password/reset/",
    ]:
        violations[url] = _visit(page, base + url, console)
    log_in(page, base, "admin1")
    for url in [
        "/cases/",
        f"/cases/{case.pk}/",
        "/cases/bursts/",
        "/analytics/",
        "/elections/",
        "/ops/health/",
        "/api/docs/",
        "/admin/",
        "/accounts/profile/",
    ]:
        console.clear()
        violations[url] = _visit(page, base + url, console)
    page.goto(f"{base}/analytics/")
    wait_ready(page)
    page.screenshot(path=str(screenshots / "csp-analytics-1440.png"))
    assert {url: found for url, found in violations.items() if found} == {}
