"""Builders shared by the accounts tests: upload payloads, emails, token helpers."""

from __future__ import annotations

import io
import os
import re
from typing import Any

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lms.accounts.tests.factories import PASSWORD

__all__ = ["PASSWORD"]

MB = 1024 * 1024

# The smallest PDF that `filetype` (and a PDF reader) recognises: header, one object, trailer.
PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def image_bytes(width: int = 64, height: int = 64, fmt: str = "PNG", noisy: bool = False) -> bytes:
    """A real image; `noisy` makes it incompressible so a truncated copy is visibly broken."""
    if noisy:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), (200, 30, 90))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def png_upload(name: str = "photo.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt="PNG", **kwargs), content_type="image/png")


def jpeg_upload(name: str = "photo.jpg", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(fmt="JPEG", **kwargs), content_type="image/jpeg")


def pdf_upload(name: str = "cv.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def text_disguised_as(name: str, content_type: str) -> SimpleUploadedFile:
    """Plain text that claims, by name and Content-Type, to be something else."""
    return SimpleUploadedFile(
        name, b"just some text, not a document\n" * 20, content_type=content_type
    )


def oversized_upload(name: str, size: int, content_type: str) -> SimpleUploadedFile:
    """A PNG header followed by padding up to `size` bytes."""
    head = image_bytes()
    return SimpleUploadedFile(name, head + b"\0" * (size - len(head)), content_type=content_type)


# --- emails ----------------------------------------------------------------------------------


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def link_token(message: mail.EmailMessage) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", str(message.body))
    assert match, message.body
    return match.group(1)


def six_digit_code(message: mail.EmailMessage) -> str:
    match = re.search(r"^\s*(\d{6})\s*$", str(message.body), re.MULTILINE)
    assert match, message.body
    return match.group(1)


def html_part(message: Any) -> str:
    alternatives = [
        content for content, mimetype in message.alternatives if mimetype == "text/html"
    ]
    assert len(alternatives) == 1
    return str(alternatives[0])


def bearer(access: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {access}"}
