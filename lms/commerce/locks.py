"""Row locks of commerce, always taken in this order so two flows never deadlock.

1. `Cart` (the buyer's cart: adding, applying a coupon, placing an order)
2. `Order` (checkout, fulfilment, refunds)
3. `Payment` of that order
4. `Refund` rows of that order
5. `Coupon` (fulfilment counts a redemption)
6. `ProviderEvent` is locked on its own, before any of the above, by the webhook inbox.

Below commerce, fulfilment and refunds then call learning (its enrollment row) and payouts
(wallet rows, sorted); those layers never lock commerce rows, so the order holds.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Subquery

from lms.core.errors import NotFound

from .models import Cart, Coupon, Order, Payment, ProviderEvent, Refund


def lock_cart(*, user: Any) -> Cart:
    """The user's cart, created on first use, locked until the transaction ends."""
    cart = Cart.objects.select_for_update().filter(user=user).first()
    if cart is None:
        # One statement that a concurrent first use cannot make fail (ON CONFLICT DO NOTHING).
        Cart.objects.bulk_create([Cart(user=user)], ignore_conflicts=True)
        cart = Cart.objects.select_for_update().get(user=user)
    return cart


def lock_order(order_id: Any, *, owner: Any = None) -> Order:
    """Lock an order; with `owner`, only one of theirs (another's is 404, as if it did not
    exist)."""
    orders = Order.objects.select_for_update()
    if owner is not None:
        orders = orders.filter(user_id=owner.pk)
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def lock_order_of_payment(payment_id: Any) -> Order:
    """The order a payment belongs to, found and locked in one query, its buyer joined (only
    the order row is locked)."""
    order_id = Payment.objects.filter(pk=payment_id).values("order_id")
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=Subquery(order_id))
    )


def lock_payment(payment_id: Any) -> Payment:
    return Payment.objects.select_for_update().get(pk=payment_id)


def lock_refund(refund_id: Any) -> Refund:
    return Refund.objects.select_for_update().get(pk=refund_id)


def lock_coupon(coupon_id: Any) -> Coupon:
    return Coupon.objects.select_for_update().get(pk=coupon_id)


def lock_event(*, provider: str, event_id: str) -> ProviderEvent:
    return ProviderEvent.objects.select_for_update().get(provider=provider, event_id=event_id)
