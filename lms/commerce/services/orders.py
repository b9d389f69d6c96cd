"""Orders: the cart turned into price snapshots, or one item of any sellable kind."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid
from lms.core.money import Money, amount_string, check_currency
from lms.core.requests import AnyRequest

from .. import locks
from ..course_kind import (
    COURSE,
    buyer_columns,
    check_buyable,
)
from ..errors import CommerceError
from ..models import (
    CartItem,
    Order,
    OrderItem,
    OrderStatus,
)
from ..pricing import CouponRules, Line, check_coupon_usable, price_lines
from ..providers import get_provider
from ..sellables import Offer, sellable_kinds

logger = logging.getLogger(__name__)


def _new_order_number() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    suffix = "".join(secrets.choice(alphabet) for _ in range(8))
    return f"LF-{timezone.now():%Y%m%d}-{suffix}"


@transaction.atomic
def place_order(
    *, user: User, billing_address: dict[str, str] | None = None, request: AnyRequest = None
) -> Order:
    """Turn the cart into a pending order with price snapshots and empty the cart, at once.

    A course that was unpublished or became owned since it went into the cart refuses the
    whole order with its code; the cart is left as it was.
    """
    cart = locks.lock_cart(user=user)
    items = list(
        CartItem.objects.filter(cart=cart)
        .select_related("course")
        .annotate(**buyer_columns(user, OuterRef("course_id")))
        .order_by("created_at", "id")
    )
    if not items:
        raise Invalid("Your cart is empty.", code=CommerceError.CART_EMPTY)
    courses = [item.course for item in items]
    currency = courses[0].currency
    for item, course in zip(items, courses, strict=True):
        check_buyable(
            user=user,
            course=course,
            co_teaches=item.buyer_co_teaches,  # type: ignore[attr-defined]
            enrolled=item.buyer_enrolled,  # type: ignore[attr-defined]
        )
        if course.currency != currency:
            raise Conflict("Your cart mixes currencies.", code=CommerceError.CURRENCY_MISMATCH)
    coupon = cart.coupon
    rules = None
    if coupon is not None:
        check_coupon_usable(coupon, user=user)
        rules = CouponRules.of(coupon)
    lines = [Line(c.pk, c.instructor_id, Money(c.price, c.currency)) for c in courses]
    priced = price_lines(
        lines, rules, currency, payable_exponent=get_provider().payable_exponent(currency)
    )
    order = Order.objects.create(
        number=_new_order_number(),
        user=user,
        currency=currency,
        subtotal=priced.subtotal.amount,
        discount=priced.discount.amount,
        total=priced.total.amount,
        coupon=coupon,
        coupon_code=coupon.code if coupon else "",
        billing_address=billing_address or {},
    )
    by_id = {c.pk: c for c in courses}
    OrderItem.objects.bulk_create(
        OrderItem(
            order=order,
            kind=COURSE,
            reference_id=line.line.reference_id,
            course_id=line.line.reference_id,
            title=by_id[line.line.reference_id].title,
            instructor_id=line.line.seller_id,
            currency=currency,
            price=line.line.price.amount,
            discount=line.discount.amount,
            amount_paid=line.amount_paid.amount,
        )
        for line in priced.lines
    )
    CartItem.objects.filter(cart=cart).delete()
    if cart.coupon_id is not None:
        cart.coupon = None
        cart.save(update_fields=["coupon", "updated_at"])
    record(
        action=AuditAction.ORDER_PLACED,
        actor=user,
        target=order,
        request=request,
        data={
            "number": order.number,
            "total": amount_string(order.total, order.currency),
            "currency": currency,
            "coupon": order.coupon_code,
        },
    )
    return order


@transaction.atomic
def place_item_order(
    *, user: User, kind: str, reference_id: Any, request: AnyRequest = None
) -> Order:
    """A pending order of one item of any registered sellable kind (a tutoring booking is
    paid this way, through the same checkout): the kind prices it and says whether `user`
    may buy it. The same item asked for again while its order is pending reuses that order.
    An unregistered kind is 400 `unknown_sellable_kind`."""
    if kind not in sellable_kinds:
        raise Invalid(f"{kind!r} cannot be bought here.", code=CommerceError.UNKNOWN_SELLABLE_KIND)
    offer: Offer = sellable_kinds.get(kind).offer(buyer=user, reference_id=reference_id)
    check_currency(offer.currency)  # one dropped from the setting: 400, before any payment
    pending = (
        Order.objects.select_for_update()
        .filter(
            user=user,
            status=OrderStatus.PENDING,
            items__kind=offer.kind,
            items__reference_id=offer.reference_id,
        )
        .first()
    )
    if pending is not None:
        return pending
    lines = [Line(offer.reference_id, offer.seller_id, offer.price)]
    priced = price_lines(
        lines,
        None,
        offer.currency,
        payable_exponent=get_provider().payable_exponent(offer.currency),
    )
    order = Order.objects.create(
        number=_new_order_number(),
        user=user,
        currency=offer.currency,
        subtotal=priced.subtotal.amount,
        discount=priced.discount.amount,
        total=priced.total.amount,
    )
    [line] = priced.lines
    OrderItem.objects.create(
        order=order,
        kind=offer.kind,
        reference_id=offer.reference_id,
        course_id=offer.reference_id if offer.kind == COURSE else None,
        title=offer.title[:200],
        instructor_id=offer.seller_id,
        currency=offer.currency,
        price=line.line.price.amount,
        discount=line.discount.amount,
        amount_paid=line.amount_paid.amount,
    )
    record(
        action=AuditAction.ORDER_PLACED,
        actor=user,
        target=order,
        request=request,
        data={
            "number": order.number,
            "total": amount_string(order.total, order.currency),
            "currency": order.currency,
            "kind": offer.kind,
            "reference": str(offer.reference_id),
        },
    )
    return order
