"""The appeal form's photo (re-encoded, staff-only) and pin on the map (into the case's point)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from otklik.accounts.choices import Role
from otklik.cases.models import Case
from otklik.directory.models import Territory
from otklik.intake.models import Message
from otklik.testing.factories import make_agency, make_user

from .appeal_data import URL, form_data

pytestmark = pytest.mark.django_db

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png(size: tuple[int, int] = (20, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def post(client, **files_and_fields):
    return client.post(URL, {**form_data(), **files_and_fields})


def russian(text: str) -> str:
    with translation.override("ru"):
        return gettext(text)


def test_a_photo_is_stored_re_encoded_under_a_server_name(client, region):
    polyglot = png() + SCRIPT  # a PNG with a page appended: the pixels are kept, the page is not
    response = post(client, photo=SimpleUploadedFile("evil.html", polyglot, content_type="text/html"))
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.photo.name.startswith("intake/photos/") and message.photo.name.endswith(".png")
    assert "evil" not in message.photo.name
    data = message.photo.open("rb").read()
    assert b"<script" not in data and data != polyglot
    with Image.open(io.BytesIO(data)) as stored:
        assert stored.format == "PNG" and stored.size == (20, 10)


@pytest.mark.parametrize(
    "content",
    [SCRIPT, b"GIF89a" + SCRIPT, b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"],
    ids=["html", "gif-html-polyglot", "svg"],
)
def test_a_file_that_is_not_a_photo_is_refused_in_russian_and_nothing_is_stored(client, region, content):
    response = post(client, photo=SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg"))
    assert response.status_code == 400
    assert "photo" in response.context["form"].errors
    assert russian("The file is not a photo (JPEG, PNG or WEBP).") in response.content.decode()
    assert not Message.objects.exists() and not Case.objects.exists()


def test_a_decompression_bomb_is_refused(client, region):
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, format="PNG")  # 100 megapixels in a few KB
    response = post(client, photo=SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png"))
    assert response.status_code == 400
    assert "photo" in response.context["form"].errors
    assert not Message.objects.exists()


def test_the_photo_is_served_safely_to_staff_who_see_the_case_only(client, region):
    post(client, photo=SimpleUploadedFile("p.png", png(), content_type="image/png"))
    message = Message.objects.get()
    case = message.case
    url = f"/cases/{case.pk}/messages/{message.pk}/photo/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    stranger = make_user(Role.EXECUTOR, agency=make_agency("Чужое ведомство"))
    client.force_login(stranger)
    assert client.get(url).status_code == 404  # out of the executor's scope
    client.force_login(make_user(Role.MODERATOR))
    card = client.get(f"/cases/{case.pk}/").content.decode()
    assert url in card
    answer = client.get(url)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "image/png"
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer["Content-Security-Policy"]
    # Not on the public pages of the case: staff-only in this slice.
    public = client.get(f"/public/problems/{case.number}/")
    assert url not in public.content.decode()


def test_the_pin_reaches_the_case_point(client, region):
    response = post(client, lat="51.4981", lon="46.1250")
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.lat, message.lon) == (51.4981, 46.125)
    assert (message.case.lat, message.case.lon) == (51.4981, 46.125)


def test_a_pin_outside_the_region_bounds_is_refused(client, region):
    Territory.objects.filter(name="Энгельсский район").update(bbox=[45.5, 51.0, 47.0, 52.0])
    response = post(client, lat="55.75", lon="37.62")
    assert response.status_code == 400
    outside = russian("The point on the map is outside the region; click the map again.")
    assert outside in response.content.decode()
    assert not Message.objects.exists()
    assert post(client, lat="51.5", lon="46.2").status_code == 302


@pytest.mark.parametrize("lat,lon", [("95", "46"), ("51", "200"), ("51.5", "")])
def test_an_impossible_or_half_pin_is_refused(client, region, lat, lon):
    assert post(client, lat=lat, lon=lon).status_code == 400
    assert not Message.objects.exists()


def test_the_form_offers_the_pin_map_and_the_photo_field(client, region):
    content = client.get(URL).content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert 'id="appeal-map"' in content and "otklik_public/appeal-map.js" in content
    assert 'name="lat"' in content and 'name="lon"' in content and 'name="photo"' in content
    assert "leaflet/leaflet.js" in content and "<script>" not in content
