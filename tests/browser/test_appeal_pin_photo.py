"""The appeal form in a real browser: a click on the small map sets the pin, a photo is attached,
the appeal arrives with both; the form fits a phone's screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from otklik.intake.models import Message
from otklik.testing.factories import make_territory, square
from tests.browser.session import appeal_region, fill_appeal, fits, photo_file, send_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_pins_the_place_and_attaches_a_photo(
    live_server: Any, page: Any, screenshots: Path, media_root: Path, tmp_path: Path
) -> None:
    region = appeal_region()
    make_territory(
        "Балаковский район", parent=region, geometry=square(47.6, 51.9), bbox=[47.6, 51.9, 48.0, 52.3]
    )
    photo = photo_file(tmp_path / "yama.jpg")

    page.goto(f"{live_server.url}/public/appeal/")
    page.wait_for_selector("#appeal-map.leaflet-container")
    assert page.input_value("#id_lat") == ""
    box = page.locator("#appeal-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector('#appeal-map[data-pinned="1"]')
    lat, lon = float(page.input_value("#id_lat")), float(page.input_value("#id_lon"))
    assert 51.3 <= lat <= 52.3 and 46.0 <= lon <= 48.0
    assert "Место отмечено" in page.inner_text("#appeal-pin-status")
    fill_appeal(
        page,
        contact="+7 (917) 123-45-67",
        text="Глубокая яма на дороге у остановки, машины бьют колёса уже неделю",
        photo=photo,
    )
    page.screenshot(path=str(screenshots / "appeal-01-pin-photo-1440.png"), full_page=True)
    send_appeal(page)
    assert "/public/appeal/" not in page.url, page.inner_text("main")
    message = Message.objects.get()
    assert (round(message.lat, 4), round(message.lon, 4)) == (round(lat, 4), round(lon, 4))
    assert message.photo.name.endswith(".jpg")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/public/appeal/")
    page.wait_for_selector("#appeal-map.leaflet-container")
    fits(page)
    page.screenshot(path=str(screenshots / "appeal-02-form-390.png"), full_page=True)
