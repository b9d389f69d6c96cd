"""Certificate codes and the certificate PDF (reportlab, with a QR code of the public check)."""

from __future__ import annotations

import io
import re
import secrets
from typing import TYPE_CHECKING

import qrcode
from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

if TYPE_CHECKING:
    from .models import Certificate

# No 0/O, 1/I/L or U/V pairs: a code read aloud or typed from paper comes out right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_PREFIX = "LF"
_GROUP = 4


def new_code() -> str:
    """`LF-XXXX-XXXX`: two groups of four from the unambiguous alphabet (29^8 ≈ 5·10^11)."""
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(_GROUP * 2))
    return f"{CODE_PREFIX}-{body[:_GROUP]}-{body[_GROUP:]}"


def normalize_code(raw: str) -> str | None:
    """A code as a person typed it (any case, spaces or dashes) in its canonical form, or None."""
    compact = re.sub(r"[\s\-]", "", raw or "").upper()
    if compact.startswith(CODE_PREFIX):
        compact = compact[len(CODE_PREFIX) :]
    if len(compact) != _GROUP * 2 or any(char not in CODE_ALPHABET for char in compact):
        return None
    return f"{CODE_PREFIX}-{compact[:_GROUP]}-{compact[_GROUP:]}"


def verification_url(code: str) -> str:
    """The public page that checks a certificate (the QR code points here)."""
    return f"{settings.FRONTEND_URL}/certificates/verify/{code}"


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, border=2, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def render_pdf(certificate: Certificate) -> bytes:
    """One landscape A4 page: who, what, taught by whom, when, the code and its QR code."""
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(f"Certificate {certificate.code}")
    pdf.setAuthor("LearnFlow")
    pdf.setSubject(certificate.course_title)

    pdf.setStrokeColor(colors.HexColor("#1d4ed8"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)

    centre = width / 2
    pdf.setFillColor(colors.HexColor("#1d4ed8"))
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawCentredString(centre, height - 45 * mm, "Certificate of Completion")
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(centre, height - 62 * mm, "This certifies that")
    pdf.setFont("Helvetica-Bold", 26)
    pdf.drawCentredString(centre, height - 78 * mm, certificate.student_name)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(centre, height - 92 * mm, "has completed the course")
    pdf.setFont("Helvetica-Bold", 20)
    pdf.drawCentredString(centre, height - 106 * mm, certificate.course_title[:90])
    instructors = ", ".join(certificate.instructor_names)
    if instructors:
        pdf.setFont("Helvetica", 12)
        pdf.drawCentredString(centre, height - 120 * mm, f"Taught by {instructors}"[:120])

    pdf.setFont("Helvetica", 11)
    issued = certificate.issued_at.strftime("%d %B %Y")
    pdf.drawString(25 * mm, 40 * mm, f"Issued on {issued}")
    pdf.drawString(25 * mm, 33 * mm, f"Certificate code: {certificate.code}")
    pdf.setFont("Helvetica", 9)
    pdf.drawString(25 * mm, 26 * mm, f"Verify at {verification_url(certificate.code)}")

    qr = ImageReader(io.BytesIO(qr_png(verification_url(certificate.code))))
    side = 40 * mm
    pdf.drawImage(qr, width - 25 * mm - side, 22 * mm, width=side, height=side)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
