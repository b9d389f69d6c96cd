"""Commerce's part of a person's export and deletion (lms.accounts.personal_data).

Export: orders with items, payments and refunds, each paid order's receipt as a PDF; the
cart, the wishlist and coupon redemptions.
Erase: the cart and the wishlist go. Orders, items, payments, refunds and redemptions are
kept as accounting law requires (bookkeeping records, typically 6 to 10 years), tied to the
anonymous placeholder; the billing address keeps only its country (the tax jurisdiction of
the sale), its name and street go; the payment provider's stored events lose any value
holding the payer's email or name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Q

from lms.accounts.personal_data import (
    ExportAttachment,
    ExportDocument,
    identifying_texts,
    scrub_json,
)
from lms.commerce.models import (
    Cart,
    CouponRedemption,
    Order,
    Payment,
    ProviderEvent,
    Refund,
    WishlistItem,
)
from lms.commerce.receipts import receipt_pdf
from lms.core.money import amount_string


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    orders = list(Order.objects.filter(user=user).prefetch_related("items").order_by("created_at"))
    payments: dict[Any, list[dict[str, Any]]] = {}
    for payment in Payment.objects.filter(order__user=user).order_by("created_at"):
        payments.setdefault(payment.order_id, []).append(
            {
                "id": payment.pk,
                "provider": payment.provider,
                "status": payment.status,
                "amount": amount_string(payment.amount, payment.currency),
                "amount_refunded": amount_string(payment.amount_refunded, payment.currency),
                "currency": payment.currency,
                "succeeded_at": payment.succeeded_at,
            }
        )
    refunds: dict[Any, list[dict[str, Any]]] = {}
    for refund in Refund.objects.filter(order__user=user).order_by("created_at"):
        refunds.setdefault(refund.order_id, []).append(
            {
                "id": refund.pk,
                "amount": amount_string(refund.amount, refund.currency),
                "currency": refund.currency,
                "reason": refund.reason,
                "status": refund.status,
                "completed_at": refund.completed_at,
            }
        )
    yield ExportDocument(
        "commerce/orders.json",
        [
            {
                "id": order.pk,
                "number": order.number,
                "status": order.status,
                "currency": order.currency,
                "subtotal": amount_string(order.subtotal, order.currency),
                "discount": amount_string(order.discount, order.currency),
                "total": amount_string(order.total, order.currency),
                "coupon_code": order.coupon_code,
                "billing_address": order.billing_address,
                "created_at": order.created_at,
                "paid_at": order.paid_at,
                "refunded_at": order.refunded_at,
                "items": [
                    {
                        "kind": item.kind,
                        "title": item.title,
                        "price": amount_string(item.price, item.currency),
                        "discount": amount_string(item.discount, item.currency),
                        "amount_paid": amount_string(item.amount_paid, item.currency),
                        "currency": item.currency,
                    }
                    for item in order.items.all()
                ],
                "payments": payments.get(order.pk, []),
                "refunds": refunds.get(order.pk, []),
            }
            for order in orders
        ],
    )
    for order in orders:
        if order.paid_at is not None:
            pdf = ContentFile(receipt_pdf(order=order), name=f"receipt-{order.number}.pdf")
            yield ExportAttachment(f"commerce/files/receipts/receipt-{order.number}.pdf", pdf)
    cart = Cart.objects.filter(user=user).prefetch_related("items").first()
    yield ExportDocument(
        "commerce/cart_and_wishlist.json",
        {
            "cart": [str(item.pk) for item in cart.items.all()] if cart else [],
            "wishlist": [
                str(course_id)
                for course_id in WishlistItem.objects.filter(user=user).values_list(
                    "course_id", flat=True
                )
            ],
            "coupon_redemptions": list(
                CouponRedemption.objects.filter(user=user).values(
                    "coupon__code", "order_id", "amount", "currency", "created_at"
                )
            ),
        },
    )


def erase(user: Any) -> None:
    needles = identifying_texts(user)
    # the payment provider's events may carry the payer's email or name (Stripe's receipts)
    mentions = Q()
    for needle in needles:
        mentions |= Q(payload__icontains=needle)
    for event in ProviderEvent.objects.filter(mentions):
        ProviderEvent.objects.filter(pk=event.pk).update(payload=scrub_json(event.payload, needles))
    Cart.objects.filter(user=user).delete()
    WishlistItem.objects.filter(user=user).delete()
    for order in Order.objects.filter(user=user).exclude(billing_address={}):
        address = order.billing_address or {}
        kept = {"country": address["country"]} if address.get("country") else {}
        Order.objects.filter(pk=order.pk).update(billing_address=kept)
