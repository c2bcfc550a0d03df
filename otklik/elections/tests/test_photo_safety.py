"""Audit finding 1: an observer's photo can never become a page of the app's origin, a memory bomb
or a leak of where it was taken. Every way in (the REST API, the station form, the Telegram bot)
re-encodes the image under a server-chosen name; the photo view serves it with its detected image
type, nosniff, a disposition and a sandboxing CSP."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from otklik.elections import reports
from otklik.elections.models import Report, ReportKind, ViolationType
from otklik.testing.factories import PASSWORD

from .test_api import basic

pytestmark = pytest.mark.django_db

SCRIPT = b"<html><body><script>fetch('/api/cases/').then(r=>r.text()).then(alert)</script></body></html>"
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
)
TEXT = "Председатель УИК не даёт снимать процедуру подсчёта"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (16, 12), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def bomb_png(side: int = 30000) -> bytes:
    """A valid 1-bit PNG of side×side pixels: about 110 KB on disk, 900 megapixels decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 1000) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 32.0, 1.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (46.0, 0.0, 36.0)
    return image_bytes("JPEG", exif=exif)


def stored_bytes(report: Report) -> bytes:
    with report.photo.open("rb") as stored:
        return stored.read()


def assert_served_safely(client, report: Report, content_type: str, extension: str) -> bytes:
    served = client.get(f"/elections/reports/{report.pk}/photo/")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["X-Content-Type-Options"] == "nosniff"
    csp = served["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp
    disposition = served["Content-Disposition"]
    assert disposition.startswith("inline") and disposition.endswith(f'.{extension}"')
    return b"".join(served.streaming_content)


def test_a_png_html_polyglot_named_evidence_html_through_the_api(client, day):
    polyglot = image_bytes("PNG") + SCRIPT
    sent = client.post(
        "/api/elections/reports/",
        {
            "kind": "violation",
            "text": TEXT,
            "photo": SimpleUploadedFile("evidence.html", polyglot, content_type="text/html"),
        },
        **basic("anna"),
    )
    assert sent.status_code == 201, sent.content
    report = Report.objects.get()
    name = report.photo.name.rsplit("/", 1)[-1]
    assert name.endswith(".png") and "evidence" not in name and ".html" not in name
    assert b"<script" not in stored_bytes(report)
    client.login(username="chief", password=PASSWORD)
    body = assert_served_safely(client, report, "image/png", "png")
    assert body.startswith(b"\x89PNG") and b"<script" not in body


def test_a_jpeg_svg_polyglot_named_x_svg_through_the_station_form(client, day):
    client.login(username="anna", password=PASSWORD)
    polyglot = image_bytes("JPEG") + SVG
    sent = client.post(
        "/elections/station/",
        {
            "kind": "violation",
            "violation_type": ViolationType.objects.get(code="observers").pk,
            "text": TEXT,
            "photo": SimpleUploadedFile("x.svg", polyglot, content_type="image/svg+xml"),
        },
    )
    assert sent.status_code == 302
    report = Report.objects.get()
    assert report.photo.name.endswith(".jpg") and "x.svg" not in report.photo.name
    assert b"<svg" not in stored_bytes(report)
    body = assert_served_safely(client, report, "image/jpeg", "jpg")
    assert body.startswith(b"\xff\xd8") and b"<svg" not in body


def test_a_plain_svg_or_html_file_is_refused_with_a_reason(client, day):
    client.login(username="anna", password=PASSWORD)
    for name, content in (("x.svg", SVG), ("evidence.html", SCRIPT), ("x.png", SVG)):
        sent = client.post(
            "/elections/station/",
            {
                "kind": "violation",
                "violation_type": ViolationType.objects.get(code="observers").pk,
                "text": TEXT,
                "photo": SimpleUploadedFile(name, content, content_type="image/png"),
            },
        )
        assert sent.status_code == 400
        assert "не похож на фото" in str(sent.context["form"].non_field_errors())
    assert not Report.objects.exists()


def test_a_decompression_bomb_is_a_clear_400(client, day):
    bomb = bomb_png()
    assert len(bomb) < 200_000
    sent = client.post(
        "/api/elections/reports/",
        {"kind": "violation", "text": TEXT, "photo": SimpleUploadedFile("bomb.png", bomb)},
        **basic("anna"),
    )
    assert sent.status_code == 400
    assert "слишком большое" in str(sent.json())
    client.login(username="anna", password=PASSWORD)
    form = client.post(
        "/elections/station/",
        {
            "kind": "violation",
            "violation_type": ViolationType.objects.get(code="observers").pk,
            "text": TEXT,
            "photo": SimpleUploadedFile("bomb.png", bomb),
        },
    )
    assert form.status_code == 400 and "слишком большое" in str(form.context["form"].non_field_errors())
    assert not Report.objects.exists()


def test_exif_and_gps_are_removed(day):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    report = reports.file_report(
        observer=day["anna"],
        election=day["election"],
        kind=ReportKind.VIOLATION,
        text=TEXT,
        photo=SimpleUploadedFile("IMG_0001.jpg", original, content_type="image/jpeg"),
    )
    kept = stored_bytes(report)
    with Image.open(io.BytesIO(kept)) as image:
        assert image.format == "JPEG" and image.size == (16, 12)
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo) and not image.getexif()
    assert b"Exif" not in kept and b"PhoneMaker" not in kept


def test_a_telegram_polyglot_is_re_encoded(bot, day):
    from otklik.cases.telegram_bot import process_updates

    from .test_telegram import say

    day["anna"].telegram_chat_id = "4343"
    day["anna"].save()
    bot.add_file("poly", image_bytes("PNG") + SCRIPT)
    say(bot, 4343, None, caption=f"Нарушение: {TEXT}", photo=[{"file_id": "poly", "width": 16, "height": 12}])
    assert process_updates() == 1
    report = Report.objects.get()
    assert report.photo.name.endswith(".png") and b"<script" not in stored_bytes(report)


def test_a_file_stored_before_the_fix_is_still_served_as_an_image(client, day):
    """A polyglot saved under its sender's name by an older version: the type comes from its
    content, never from its name, and the sandbox keeps it from running."""
    report = reports.file_report(
        observer=day["anna"], election=day["election"], kind=ReportKind.VIOLATION, text=TEXT
    )
    report.photo.save("evidence.html", io.BytesIO(image_bytes("PNG") + SCRIPT), save=True)
    client.login(username="chief", password=PASSWORD)
    assert_served_safely(client, report, "image/png", "png")
    report.photo.save("page.html", io.BytesIO(SCRIPT), save=True)
    assert client.get(f"/elections/reports/{report.pk}/photo/").status_code == 404
