import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.core.errors import PayloadTooLarge, UnsupportedMediaType
from lms.core.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    MB,
    UploadPath,
    resize_image,
    validate_upload,
)

MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes(size=(64, 64)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def test_an_image_is_accepted_and_renamed():
    upload = SimpleUploadedFile("../../etc/passwd.png", png_bytes(), content_type="text/plain")

    content_type = validate_upload(upload, allowed=IMAGE_TYPES, max_bytes=5 * MB)

    assert content_type == "image/png"
    assert upload.name.endswith(".png")
    assert "/" not in upload.name
    assert "passwd" not in upload.name


def test_the_extension_comes_from_the_content_not_the_name():
    upload = SimpleUploadedFile("cv.png", MINIMAL_PDF, content_type="image/png")

    validate_upload(upload, allowed=DOCUMENT_TYPES, max_bytes=10 * MB)

    assert upload.name.endswith(".pdf")


def test_a_disguised_file_is_415():
    upload = SimpleUploadedFile("photo.jpg", b"#!/bin/sh\nrm -rf /\n", content_type="image/jpeg")

    with pytest.raises(UnsupportedMediaType):
        validate_upload(upload, allowed=IMAGE_TYPES, max_bytes=5 * MB)


def test_a_pdf_where_an_image_is_expected_is_415():
    upload = SimpleUploadedFile("avatar.png", MINIMAL_PDF)

    with pytest.raises(UnsupportedMediaType):
        validate_upload(upload, allowed=IMAGE_TYPES, max_bytes=5 * MB)


def test_a_truncated_image_is_415():
    upload = SimpleUploadedFile("broken.png", png_bytes()[:60])

    with pytest.raises(UnsupportedMediaType) as error:
        validate_upload(upload, allowed=IMAGE_TYPES, max_bytes=5 * MB)
    assert error.value.code == "invalid_image"


def test_too_large_is_413_before_sniffing():
    upload = SimpleUploadedFile("big.png", png_bytes())

    with pytest.raises(PayloadTooLarge):
        validate_upload(upload, allowed=IMAGE_TYPES, max_bytes=10)


def test_an_empty_file_is_refused():
    with pytest.raises(UnsupportedMediaType):
        validate_upload(SimpleUploadedFile("a.png", b""), allowed=IMAGE_TYPES, max_bytes=MB)


def test_resize_keeps_the_longest_side_within_the_limit():
    resized = resize_image(io.BytesIO(png_bytes((2000, 1000))), max_side=512)

    with Image.open(resized) as image:
        assert max(image.size) == 512
        assert image.format == "WEBP"


def test_upload_path_keeps_only_the_generated_name():
    assert UploadPath("avatars")(None, "../../x/abc.png") == "avatars/abc.png"
