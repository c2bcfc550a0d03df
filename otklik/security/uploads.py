"""Safe image uploads: one way for every photo the project accepts and serves.

An uploaded file is never trusted by its name, its declared content type or its first bytes alone.
:func:`clean_image` opens it with Pillow, refuses anything that is not a JPEG, PNG or WEBP image
and any decompression bomb, then **re-encodes** the pixels into a new file: whatever was appended
to or hidden in the original (HTML or SVG of a polyglot, EXIF with GPS coordinates, comments, ICC
profiles, text chunks) is gone. The new file gets a name the server chooses (a random id) with the
extension of the detected format. :func:`image_response` serves a stored image with the type
Pillow detects in it (never one guessed from the name), ``X-Content-Type-Options: nosniff``,
``Content-Disposition`` and a CSP that forbids scripts and sandboxes the document, so even a file
stored before this module existed cannot run as a page of the app's origin.

Use::

    from otklik.security.uploads import clean_image, image_response

    clean = clean_image(request.FILES["photo"])     # ValidationError (a clear Russian message)
    instance.photo.save(clean.name, clean, save=True)
    ...
    return image_response(instance.photo, stem=f"report-{instance.pk}")
"""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest upload read at all.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
#: Largest image by pixels (a 50-megapixel camera; a phone's photo is 12–48). A bigger one is
#: refused before its pixels are decoded: a 30000×30000 PNG of 109 KB would take 900 MB of memory.
MAX_IMAGE_PIXELS = 50_000_000
# Pillow's own guard (a warning above the limit, an error above twice it) for every other reader
# of images in the process too; never raised above Pillow's default.
if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > MAX_IMAGE_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS

#: Accepted formats (Pillow's name): the stored format, its extension and content type.
#: MPO (a phone's multi-picture JPEG) is stored as a plain JPEG of its first picture.
FORMATS: dict[str, tuple[str, str, str]] = {
    "JPEG": ("JPEG", "jpg", "image/jpeg"),
    "MPO": ("JPEG", "jpg", "image/jpeg"),
    "PNG": ("PNG", "png", "image/png"),
    "WEBP": ("WEBP", "webp", "image/webp"),
}
CONTENT_SECURITY_POLICY = "default-src 'none'; sandbox"


@dataclass(frozen=True)
class ImageKind:
    format: str  # the stored format: JPEG, PNG or WEBP
    extension: str
    content_type: str


def _not_an_image() -> ValidationError:
    return ValidationError(_("The file is not a photo (JPEG, PNG or WEBP)."), code="not_an_image")


def _too_large(width: int, height: int) -> ValidationError:
    return ValidationError(
        _("The image is too large: %(width)s×%(height)s pixels, at most %(limit)s megapixels.")
        % {"width": width, "height": height, "limit": MAX_IMAGE_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def _read(upload: UploadedFile | IO[bytes] | bytes) -> bytes:
    if isinstance(upload, bytes | bytearray):
        data = bytes(upload)
    else:
        size = getattr(upload, "size", None)
        if size is not None and size > MAX_IMAGE_BYTES:
            raise ValidationError(_("The photo is larger than 10 MB."), code="too_large")
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(MAX_IMAGE_BYTES + 1)
        if hasattr(upload, "seek"):
            upload.seek(0)
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationError(_("The photo is larger than 10 MB."), code="too_large")
    return data


def _open(data: bytes) -> Image.Image:
    """The image, its header read and its size checked before any pixel is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image is too large: at most %(limit)s megapixels.")
            % {"limit": MAX_IMAGE_PIXELS // 1_000_000},
            code="too_many_pixels",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _not_an_image() from exc
    if image.format not in FORMATS:
        raise _not_an_image()
    width, height = image.size
    if width <= 0 or height <= 0:
        raise _not_an_image()
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_large(width, height)
    return image


def clean_image(upload: UploadedFile | IO[bytes] | bytes) -> ContentFile:
    """The upload re-encoded as a new image file under a server-chosen name (``<hex>.<ext>``).

    Raises :class:`~django.core.exceptions.ValidationError` with a message for the sender when the
    file is larger than :data:`MAX_IMAGE_BYTES`, is not a whole JPEG/PNG/WEBP image, or has more
    than :data:`MAX_IMAGE_PIXELS` pixels. The pixels keep their orientation (EXIF rotation is
    applied); EXIF, GPS, comments and any bytes outside the pixels are dropped."""
    data = _read(upload)
    image = _open(data)
    stored, extension, _type = FORMATS[str(image.format)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.seek(0)  # the first frame of an animation or of a multi-picture file
            image.load()
            upright = ImageOps.exif_transpose(image) or image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(*image.size) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # truncated or corrupt pixels
        raise _not_an_image() from exc
    pixels = _for_format(upright, stored)
    out = io.BytesIO()
    options: dict[str, object] = {"format": stored}
    if stored == "JPEG":
        options.update(quality=90, optimize=True)
    elif stored == "WEBP":
        options.update(quality=90)
    # Only the pixels go to the encoder: no EXIF, XMP, ICC profile, comment or text chunk.
    fresh = pixels.copy()
    transparency = pixels.info.get("transparency") if stored == "PNG" else None
    fresh.info = {} if transparency is None else {"transparency": transparency}
    fresh.save(out, **options)  # type: ignore[arg-type]
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def _for_format(image: Image.Image, stored: str) -> Image.Image:
    if stored == "JPEG":
        return image if image.mode in ("L", "RGB") else image.convert("RGB")
    if stored == "PNG":
        return image if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else image.convert("RGBA")
    return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")


def image_kind(stream: IO[bytes]) -> ImageKind | None:
    """The format Pillow reads in a stored file's header (the stream is put back at its start)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            found = image.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        found = None
    stream.seek(0)
    if found not in FORMATS:
        return None
    return ImageKind(*FORMATS[str(found)])


def image_response(field_file, *, stem: str) -> FileResponse:
    """A stored image served safely: its detected type, ``nosniff``, an ``inline`` disposition
    named ``<stem>.<ext>`` and a CSP that sandboxes it. A stored file that is no image is a 404."""
    stream = field_file.open("rb")
    kind = image_kind(stream)
    if kind is None:
        stream.close()
        raise Http404("No image")
    response = FileResponse(
        stream, content_type=kind.content_type, filename=f"{stem}.{kind.extension}", as_attachment=False
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
