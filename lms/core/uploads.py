"""Upload validation by real content, generated storage names and image re-encoding.

Every uploaded file goes through `validate_upload`: its size is checked (413), its
type is sniffed from its first bytes with `filetype`, never from the name or the
client's Content-Type (415), images are opened and fully decoded by Pillow, and it is
renamed to a random name with the extension of the sniffed type, so a user's file
name never reaches the storage.

Images over `MAX_IMAGE_PIXELS` are refused (400 `image_too_large`) from the size in their
header, before anything decodes them: a 300 KB PNG can declare 8900x8900 pixels and cost
hundreds of megabytes once decoded. Pillow's global limit is set to fail at the same cap,
as a backstop for code that opens images elsewhere.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping
from typing import Any

import filetype
from django.core.files.base import ContentFile, File
from django.core.files.uploadedfile import UploadedFile
from django.utils.deconstruct import deconstructible
from PIL import Image, UnidentifiedImageError
from rest_framework import serializers

from lms.core.errors import Invalid, PayloadTooLarge, UnsupportedMediaType

MB = 1024 * 1024

IMAGE_TYPES: Mapping[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
}
PDF_TYPES: Mapping[str, str] = {"application/pdf": "pdf"}
VIDEO_TYPES: Mapping[str, str] = {
    "video/mp4": "mp4",
    "video/webm": "webm",
    "video/quicktime": "mov",
    "video/x-matroska": "mkv",
    "video/x-m4v": "m4v",
}
SLIDE_TYPES: Mapping[str, str] = {
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.presentation": "odp",
    "application/vnd.ms-powerpoint": "ppt",
}
ARCHIVE_TYPES: Mapping[str, str] = {
    "application/zip": "zip",
    "application/gzip": "gz",
    "application/x-tar": "tar",
    "application/x-7z-compressed": "7z",
}
DOCUMENT_TYPES: Mapping[str, str] = {**PDF_TYPES, **IMAGE_TYPES}

_SNIFF_BYTES = 8192
# The one pixel cap of every image input (avatars, thumbnails, media, documents, submissions).
# Pillow raises DecompressionBombError above twice its global limit (and only warns between
# the two): half the cap makes anything else that opens an image (the admin's ImageField)
# fail above the same number.
MAX_IMAGE_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS // 2


def sniff_content_type(file: Any) -> str | None:
    """The MIME type the file's own bytes declare, or None when unrecognised."""
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    return filetype.guess_mime(head) if head else None


def _image_too_large() -> Invalid:
    return Invalid(
        f"The image has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels.",
        code="image_too_large",
    )


def _refuse_too_many_pixels(image: Image.Image) -> None:
    """Refuse by the size the header declares; `Image.open` has decoded nothing yet."""
    width, height = image.size
    if width * height > MAX_IMAGE_PIXELS:
        raise _image_too_large()


def _check_image(file: Any) -> None:
    try:
        with Image.open(file) as image:
            _refuse_too_many_pixels(image)
            image.verify()
        file.seek(0)
        with Image.open(file) as image:
            image.load()
    except Image.DecompressionBombError as exc:  # over twice the cap: Pillow refuses to open it
        raise _image_too_large() from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UnsupportedMediaType("The image could not be decoded.", code="invalid_image") from exc
    finally:
        file.seek(0)


def validate_upload(
    file: UploadedFile | File[Any], *, allowed: Mapping[str, str], max_bytes: int
) -> str:
    """Check size and real type, rename the file to a random name; return the sniffed MIME type."""
    if file.size is None or file.size > max_bytes:
        raise PayloadTooLarge(f"The file is larger than {max_bytes // MB} MB.")
    if file.size == 0:
        raise UnsupportedMediaType("The file is empty.", code="empty_file")
    content_type = sniff_content_type(file)
    if content_type is None or content_type not in allowed:
        raise UnsupportedMediaType(
            f"Accepted types: {', '.join(sorted(set(allowed.values())))}.",
        )
    if content_type in IMAGE_TYPES:
        _check_image(file)
    file.name = f"{uuid.uuid4().hex}.{allowed[content_type]}"
    if isinstance(file, UploadedFile):
        file.content_type = content_type
    return content_type


def resize_image(file: Any, *, max_side: int) -> ContentFile[bytes]:
    """Re-encode an image no larger than `max_side` (also drops its metadata)."""
    file.seek(0)
    with Image.open(file) as original:
        _refuse_too_many_pixels(original)
        image = original.convert("RGBA" if original.mode in ("RGBA", "LA", "P") else "RGB")
    image.thumbnail((max_side, max_side))
    buffer = io.BytesIO()
    image.save(buffer, format="WEBP", quality=85)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.webp")


@deconstructible
class UploadPath:
    """`upload_to` that keeps the already generated file name under a fixed prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.strip("/")

    def __call__(self, instance: Any, filename: str) -> str:
        name = filename.rsplit("/", 1)[-1]
        return f"{self.prefix}/{name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UploadPath) and other.prefix == self.prefix


class ValidatedFileField(serializers.FileField):
    """A serializer file field that validates by content (413 / 415 raised as domain errors)."""

    def __init__(self, *, allowed: Mapping[str, str], max_bytes: int, **kwargs: Any) -> None:
        self.allowed = allowed
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        file = super().to_internal_value(data)
        validate_upload(file, allowed=self.allowed, max_bytes=self.max_bytes)
        return file
