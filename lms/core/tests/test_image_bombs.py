"""Decompression bombs: every image input refuses an image over the pixel cap, undecoded.

The bombs are real PNGs: a valid header declaring huge dimensions and a valid, complete
zlib stream of blank 1-bit rows, so the file is a few kilobytes and decodes fine (into
tens of megabytes) for anything that does not check the header first.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.assessments.tests.factories import assignment_in, free_course
from lms.catalog.tests.factories import CourseFactory
from lms.conftest import error_codes
from lms.core.errors import Invalid
from lms.core.uploads import IMAGE_TYPES, MAX_IMAGE_PIXELS, MB, validate_upload
from lms.learning.services import enroll


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A complete 1-bit grayscale PNG of `width` x `height` blank pixels, compressed."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    stream = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", stream)
        + _chunk(b"IEND", b"")
    )


# The example (79 Mpx, under Pillow's default error threshold of 2 x its limit), one
# pixel row over the cap, and far over it (Pillow refuses to open it at all).
BOMBS = {"8900x8900": (8900, 8900), "just-over": (8000, 5001), "huge": (30_000, 30_000)}


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    return {name: png_bomb(*size) for name, size in BOMBS.items()}


def test_the_bomb_is_small_and_a_valid_image(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow's guard off, to look at it
    data = png_bomb(8900, 8900)

    assert len(data) < 400 * 1024
    with Image.open(SimpleUploadedFile("b.png", data)) as image:
        assert image.size == (8900, 8900)
        image.verify()


@pytest.mark.parametrize("name", BOMBS)
def test_validate_upload_refuses_before_decoding(bombs, name, monkeypatch):
    # given decoding would fail the test if anything reached it
    def no_decoding(self: Any, *args: Any) -> Any:
        raise AssertionError("decoded")

    monkeypatch.setattr(Image.Image, "load", no_decoding)
    monkeypatch.setattr(Image.Image, "verify", no_decoding)

    # when / then
    with pytest.raises(Invalid) as error:
        validate_upload(
            SimpleUploadedFile("b.png", bombs[name]), allowed=IMAGE_TYPES, max_bytes=5 * MB
        )
    assert error.value.code == "image_too_large"
    assert error.value.status_code == 400


def test_pillow_itself_refuses_over_the_cap():
    assert 2 * Image.MAX_IMAGE_PIXELS == MAX_IMAGE_PIXELS


# --- every image endpoint -----------------------------------------------------------------------


def _avatar(client_for, student, instructor, data):
    return client_for(student).post(
        "/api/v1/auth/me/avatar/", {"avatar": SimpleUploadedFile("a.png", data)}, format="multipart"
    )


def _thumbnail(client_for, student, instructor, data):
    course = CourseFactory(instructor=instructor)
    return client_for(instructor).post(
        f"/api/v1/courses/{course.pk}/thumbnail/",
        {"thumbnail": SimpleUploadedFile("t.png", data)},
        format="multipart",
    )


def _media(client_for, student, instructor, data):
    return client_for(instructor).post(
        "/api/v1/media/", {"file": SimpleUploadedFile("m.png", data)}, format="multipart"
    )


def _application_certificate(client_for, student, instructor, data):
    return client_for(student).post(
        "/api/v1/instructor-applications/",
        {
            "headline": "Teacher",
            "bio": "I teach.",
            "expertise": "physics",
            "cv": SimpleUploadedFile("cv.png", data),
            "certificate": SimpleUploadedFile("c.png", data),
        },
        format="multipart",
    )


def _submission(client_for, student, instructor, data):
    course = free_course(instructor=instructor)
    assignment = assignment_in(course, allowed_file_types=["image"], max_file_size_mb=5)
    enroll(student=student, course=course, source="free")
    return client_for(student).post(
        f"/api/v1/assignments/{assignment.pk}/submissions/",
        {"text": "My work", "file": SimpleUploadedFile("s.png", data)},
        format="multipart",
    )


ENDPOINTS: dict[str, Callable[..., Any]] = {
    "avatar": _avatar,
    "thumbnail": _thumbnail,
    "media": _media,
    "application": _application_certificate,
    "submission": _submission,
}


@pytest.mark.parametrize("name", BOMBS)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_image_endpoint_refuses_a_bomb_with_400(
    client_for, student, instructor, bombs, endpoint, name
):
    # when
    started = time.perf_counter()
    response = ENDPOINTS[endpoint](client_for, student, instructor, bombs[name])
    elapsed = time.perf_counter() - started

    # then refused in the error shape, without the seconds a decode would take
    assert response.status_code == 400, response.content[:300]
    assert response.json()["type"] in {"client_error", "validation_error"}
    assert "image_too_large" in error_codes(response)
    assert elapsed < 1.0
