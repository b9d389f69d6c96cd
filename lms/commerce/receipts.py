"""A paid order's receipt: the PDF (reportlab), attached to the receipt email and served at
`/orders/{id}/receipt/`, and the receipt email's context. Both are built from the order's
snapshots only, so they never change. Every amount goes through `lms.core.money`'s one
rendering for people (`format_money`, what `str(Money)` gives): `49.99 USD`, `1500 JPY`,
`12.345 KWD`, never a stored column's raw `49.990`."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from lms.core.money import format_money

from .models import Order, OrderItem

PLATFORM_NAME = "LearnFlow"


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the buyer does next with the items of one kind: a sentence and its link."""

    text: str
    url: str


# Per sellable kind: (one item, several items, the front end's path). A kind not listed
# here gets the order's own page.
_NEXT_STEPS: dict[str, tuple[str, str, str]] = {
    "course": ("Your course is waiting", "Your courses are waiting", "/my-learning"),
    "booking": (
        "Your lesson booking is confirmed",
        "Your lesson bookings are confirmed",
        "/bookings",
    ),
}


def next_steps(*, order: Order, items: Iterable[OrderItem]) -> list[NextStep]:
    """One sentence per kind of item in the order, in the order the kinds first appear."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    steps = []
    for kind, count in counts.items():
        if kind in _NEXT_STEPS:
            one, many, path = _NEXT_STEPS[kind]
            steps.append(NextStep(one if count == 1 else many, f"{settings.FRONTEND_URL}{path}"))
        else:
            steps.append(NextStep("Your order", f"{settings.FRONTEND_URL}/orders/{order.pk}"))
    return steps


def receipt_email_context(*, order: Order) -> dict[str, Any]:
    """What the receipt email's templates show, every amount already rendered for people."""
    items = list(order.items.all())
    return {
        "order": order,
        "lines": [
            {"title": item.title, "paid": format_money(item.amount_paid, item.currency)}
            for item in items
        ],
        "subtotal": format_money(order.subtotal, order.currency),
        "discount": format_money(order.discount, order.currency) if order.discount else "",
        "total": format_money(order.total, order.currency),
        "next_steps": next_steps(order=order, items=items),
    }


def receipt_pdf(*, order: Order) -> bytes:
    """One A4 page: who paid what for which items, the discount, the total, the refunds."""
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
    pdf.drawString(20 * mm, y, "Item")
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
