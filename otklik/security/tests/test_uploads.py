"""The one way images enter and leave the project (otklik.security.uploads): what it accepts, what
it keeps of an image and what it drops."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from PIL import ExifTags, Image, ImageFile

from otklik.security import uploads


def encoded(fmt: str, mode: str = "RGB", size: tuple[int, int] = (20, 10), **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 1 if mode in ("1", "L", "P", "I;16") else (10, 120, 200)).save(
        buffer, format=fmt, **save
    )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mode", "extension"),
    [
        ("JPEG", "RGB", "jpg"),
        ("JPEG", "CMYK", "jpg"),
        ("JPEG", "L", "jpg"),
        ("PNG", "RGBA", "png"),
        ("PNG", "P", "png"),
        ("PNG", "I;16", "png"),
        ("WEBP", "RGB", "webp"),
    ],
)
def test_an_image_is_re_encoded_in_its_own_format_under_a_new_name(fmt, mode, extension):
    clean = uploads.clean_image(SimpleUploadedFile("../../etc/passwd", encoded(fmt, mode)))
    assert isinstance(clean, ContentFile)
    stem, ext = clean.name.split(".")
    assert ext == extension and len(stem) == 32 and int(stem, 16) >= 0  # a random hex id, no path
    with Image.open(io.BytesIO(clean.read())) as image:
        assert image.format == fmt and image.size == (20, 10)


def test_the_orientation_is_applied_before_exif_is_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotated 90° clockwise
    clean = uploads.clean_image(encoded("JPEG", size=(20, 10), exif=exif))
    with Image.open(io.BytesIO(clean.read())) as image:
        assert image.size == (10, 20) and not image.getexif()


def test_comments_text_chunks_and_icc_profiles_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    png = uploads.clean_image(encoded("PNG", pnginfo=info)).read()
    assert b"<script>" not in png and b"tEXt" not in png
    jpeg = uploads.clean_image(encoded("JPEG", comment=b"<svg onload=alert(1)>")).read()
    assert b"<svg" not in jpeg


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"GIF89a not really",
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.4",
        encoded("GIF"),
        encoded("BMP"),
        encoded("PNG")[:50],  # truncated: the header is there, the pixels are not
    ],
)
def test_anything_but_a_whole_jpeg_png_or_webp_is_refused(content, monkeypatch):
    # WeasyPrint, once imported, lets Pillow fill truncated images (a process-wide flag): such an
    # image is then re-encoded like any other. Without it a truncated one is refused.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)
    with pytest.raises(ValidationError) as refused:
        uploads.clean_image(content)
    assert refused.value.code == "not_an_image"


def test_a_file_over_ten_megabytes_is_refused_before_it_is_read():
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\x00" * (uploads.MAX_IMAGE_BYTES + 1))
    with pytest.raises(ValidationError) as refused:
        uploads.clean_image(big)
    assert refused.value.code == "too_large"


def test_too_many_pixels_are_refused_before_they_are_decoded(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ValidationError) as refused:
        uploads.clean_image(encoded("PNG", size=(11, 10)))
    assert refused.value.code == "too_many_pixels"
    assert uploads.clean_image(encoded("PNG", size=(10, 10)))


def test_pillow_s_own_guard_is_never_looser_than_ours():
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS <= uploads.MAX_IMAGE_PIXELS


def test_a_stored_file_is_served_by_its_content(tmp_path, settings):
    from django.core.files.storage import FileSystemStorage
    from django.db.models.fields.files import FieldFile

    storage = FileSystemStorage(location=tmp_path)
    storage.save("x.svg", io.BytesIO(encoded("WEBP")))
    storage.save("y.png", io.BytesIO(b"<html>"))

    class Field:
        def __init__(self) -> None:
            self.storage = storage

    served = uploads.image_response(FieldFile(None, Field(), "x.svg"), stem="photo-1")
    assert served["Content-Type"] == "image/webp"
    assert served["Content-Disposition"] == 'inline; filename="photo-1.webp"'
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "default-src 'none'; sandbox"
    served.file_to_stream.close()
    with pytest.raises(Http404):
        uploads.image_response(FieldFile(None, Field(), "y.png"), stem="photo-2")
