"""The appeal form in a real browser: a click on the small map sets the pin, a photo is attached,
the appeal arrives with both; the form fits a phone's screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from otklik.directory.choices import TerritoryKind
from otklik.intake.models import Message
from otklik.testing.factories import make_territory, square
from tests.browser.session import fits

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_pins_the_place_and_attaches_a_photo(
    live_server: Any, page: Any, screenshots: Path, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    region = make_territory("Саратовская область", kind=TerritoryKind.REGION, bbox=[46.0, 51.3, 48.0, 52.3])
    make_territory(
        "Энгельсский район", parent=region, geometry=square(46.0, 51.3), bbox=[46.0, 51.3, 46.4, 51.7]
    )
    make_territory(
        "Балаковский район", parent=region, geometry=square(47.6, 51.9), bbox=[47.6, 51.9, 48.0, 52.3]
    )
    photo = tmp_path / "yama.jpg"
    Image.new("RGB", (64, 48), (90, 90, 90)).save(photo, format="JPEG")

    page.goto(f"{live_server.url}/public/appeal/")
    page.wait_for_selector("#appeal-map.leaflet-container")
    assert page.input_value("#id_lat") == ""
    box = page.locator("#appeal-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector('#appeal-map[data-pinned="1"]')
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert 51.3 <= lat <= 52.3 and 46.0 <= lon <= 48.0
    assert "Место отмечено" in page.inner_text("#appeal-pin-status")
    page.fill("#id_name", "Ирина Смирнова")
    page.fill("#id_contact", "+7 (917) 123-45-67")
    page.fill("#id_text", "Глубокая яма на дороге у остановки, машины бьют колёса уже неделю")
    page.set_input_files("#id_photo", str(photo))
    page.check("#id_consent")
    page.screenshot(path=str(screenshots / "appeal-01-pin-photo-1440.png"), full_page=True)
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    assert "/public/appeal/" not in page.url, page.inner_text("main")
    message = Message.objects.get()
    assert (round(message.lat, 4), round(message.lon, 4)) == (round(lat, 4), round(lon, 4))
    assert message.photo.name.endswith(".jpg")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/appeal/")
    page.wait_for_selector("#appeal-map.leaflet-container")
    fits(page)
    page.screenshot(path=str(screenshots / "appeal-02-form-390.png"), full_page=True)
