"""A resident's photo in public, in a real browser: sent with the appeal form, it stays off the
public problem page while the case is in moderation, appears there (and as Open311's media_url,
without the camera's EXIF) once the case is public, and goes again when a moderator hides it on the
case card. At 1440 and 390 px."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from otklik.accounts.choices import Role
from otklik.cases.choices import CaseStatus
from otklik.cases.models import Case, CaseEvent
from otklik.intake.models import Message
from otklik.testing.factories import make_user
from tests.browser.session import appeal_region, fill_appeal, fits, log_in, photo_file, send_appeal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EXIF_MAKE = 0x010F  # "Make": any EXIF tag would do; GPS sits in the same block


def test_a_residents_photo_goes_public_with_the_case_until_a_moderator_hides_it(
    live_server: Any, page: Any, screenshots: Path, media_root: Path, tmp_path: Path
) -> None:
    appeal_region()
    exif = Image.Exif()
    exif[EXIF_MAKE] = "PhoneCam 3000"
    photo = photo_file(tmp_path / "yama.jpg", size=(320, 200), color=(120, 140, 90), exif=exif)
    assert Image.open(photo).getexif().get(EXIF_MAKE) == "PhoneCam 3000"

    # The resident sends the appeal with the photo.
    page.goto(f"{live_server.url}/public/appeal/")
    fill_appeal(
        page,
        contact="irina@example.test",
        text="Глубокая яма на дороге у остановки в Энгельсе, машины бьют колёса уже неделю",
        photo=photo,
    )
    send_appeal(page)
    message = Message.objects.exclude(photo="").get()
    case = message.case
    assert case is not None and case.status in (CaseStatus.NEW, CaseStatus.MODERATION)

    # In moderation the problem is not public: no page, no photo.
    assert page.goto(f"{live_server.url}/public/problems/{case.number}/").status == 404
    photo_url = f"{live_server.url}/public/problems/{case.number}/photos/{message.pk}/"
    assert page.request.get(photo_url).status == 404

    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ASSIGNED)  # moderated and routed
    page.goto(f"{live_server.url}/public/problems/{case.number}/")
    page.wait_for_selector('[data-testid="problem-photos"] img')
    page.wait_for_function(
        "() => document.querySelector('[data-testid=problem-photos] img').naturalWidth > 0"
    )
    page.screenshot(path=str(screenshots / "photos-01-problem-1440.png"), full_page=True)
    served = page.request.get(photo_url)
    assert served.status == 200 and served.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(served.body())).getexif().get(EXIF_MAKE) is None  # EXIF gone
    row = page.request.get(f"{live_server.url}/open311/v2/requests/{case.number}.json").json()[0]
    assert row["media_url"] == photo_url

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_selector('[data-testid="problem-photos"] img')
    fits(page)
    page.screenshot(path=str(screenshots / "photos-02-problem-390.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    # A moderator hides it on the case card.
    moderator = make_user(Role.MODERATOR, username="moderator-photos")
    log_in(page, live_server.url, moderator.username)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    publicity = page.locator('[data-testid="photo-publicity"]')
    assert "публичной странице" in publicity.inner_text()
    page.screenshot(path=str(screenshots / "photos-03-card-shown.png"), full_page=True)
    with page.expect_navigation():
        publicity.locator('[data-testid="photo-toggle"]').click()
    page.wait_for_selector('[data-testid="photo-publicity"][data-hidden="1"]')
    assert "Скрыто" in page.inner_text('[data-testid="photo-publicity"]')
    page.locator('[data-testid="photo-publicity"]').scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "photos-04-card-hidden.png"))
    message.refresh_from_db()
    assert message.photo_hidden
    assert CaseEvent.objects.filter(case=case, actor=moderator, after__photo_hidden=True).exists()

    page.goto(f"{live_server.url}/public/problems/{case.number}/")
    page.wait_for_selector('[data-testid="problem"]')
    assert page.locator('[data-testid="problem-photos"]').count() == 0
    assert page.request.get(photo_url).status == 404
    assert (
        page.request.get(f"{live_server.url}/open311/v2/requests/{case.number}.json").json()[0]["media_url"]
        == ""
    )
    page.screenshot(path=str(screenshots / "photos-05-problem-hidden.png"), full_page=True)
