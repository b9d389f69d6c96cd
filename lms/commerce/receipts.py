"""The PDF receipt of a paid order (reportlab), attached to the receipt email and served at
`/orders/{id}/receipt/`. Built from the order's snapshots only, so it never changes."""

from __future__ import annotations

import io

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from lms.core.money import format_money

from .models import Order

PLATFORM_NAME = "LearnFlow"


def receipt_pdf(*, order: Order) -> bytes:
    """One A4 page: who paid what for which courses, the discount, the total, the refunds."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(f"Receipt {order.number}")
    _width, height = A4
    y = height - 25 * mm
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(20 * mm, y, f"{PLATFORM_NAME} receipt")
    pdf.setFont("Helvetica", 10)
    y -= 10 * mm
    paid = order.paid_at.strftime("%Y-%m-%d %H:%M UTC") if order.paid_at else "-"
    buyer = order.user
    for label, value in (
        ("Order", order.number),
        ("Paid", paid),
        ("Status", order.get_status_display()),
        ("Billed to", order.billing_address.get("name") or buyer.full_name or buyer.email),
        ("Email", buyer.email),
    ):
        pdf.drawString(20 * mm, y, f"{label}:")
        pdf.drawString(50 * mm, y, str(value)[:90])
        y -= 6 * mm
    address = ", ".join(
        str(order.billing_address[key])
        for key in ("line1", "line2", "city", "postal_code", "country")
        if order.billing_address.get(key)
    )
    if address:
        pdf.drawString(50 * mm, y, address[:90])
        y -= 6 * mm
    y -= 6 * mm
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(20 * mm, y, "Course")
    pdf.drawRightString(150 * mm, y, "Price")
    pdf.drawRightString(190 * mm, y, "Paid")
    pdf.setFont("Helvetica", 10)
    y -= 7 * mm
    for item in order.items.all():
        if y < 40 * mm:
            pdf.showPage()
            pdf.setFont("Helvetica", 10)
            y = height - 25 * mm
        title = item.title if len(item.title) <= 70 else item.title[:67] + "..."
        suffix = " (refunded)" if item.refund_id else ""
        pdf.drawString(20 * mm, y, title + suffix)
        pdf.drawRightString(150 * mm, y, format_money(item.price, item.currency))
        pdf.drawRightString(190 * mm, y, format_money(item.amount_paid, item.currency))
        y -= 6 * mm
    y -= 4 * mm
    totals = [("Subtotal", order.subtotal)]
    if order.discount:
        totals.append((f"Discount {order.coupon_code}".strip(), -order.discount))
    totals.append(("Total", order.total))
    if order.refunded_amount:
        totals.append(("Refunded", -order.refunded_amount))
    for label, amount in totals:
        pdf.setFont("Helvetica-Bold" if label == "Total" else "Helvetica", 10)
        pdf.drawString(120 * mm, y, label)
        pdf.drawRightString(190 * mm, y, format_money(amount, order.currency))
        y -= 6 * mm
    pdf.setFont("Helvetica", 8)
    pdf.drawString(20 * mm, 15 * mm, f"{PLATFORM_NAME} - {settings.FRONTEND_URL}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
