"""Checkout: claim the order's payment, ask the provider outside any lock, complete."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid
from lms.core.money import (
    Money,
    MoneyError,
    amount_string,
    check_chargeable_total,
    check_currency,
)
from lms.core.requests import AnyRequest
from lms.core.stripe_client import BelowMinimumCharge

from .. import locks
from ..errors import CommerceError, ProviderUnavailable
from ..models import (
    Order,
    OrderItem,
    OrderStatus,
    Payment,
)
from ..pricing import CouponRules, Line, coupon_exhausted_for, owes_nothing
from ..providers import CreatedPayment, ProviderError, get_provider
from ..sellables import by_kind
from .fulfilment import apply_success_locked
from .states import FREE_PROVIDER

logger = logging.getLogger(__name__)


def checkout_order(
    *, order_id: Any, by: User, hosted: bool = False, request: AnyRequest = None
) -> Payment:
    """The order's one payment at the provider: created once, reused by every later call.

    As payouts send transfers: claim, commit, call the provider outside any lock or
    transaction, complete. The claim is the order's `Payment` row, written under the order's
    lock with no provider object yet; the provider is then asked with an idempotency key
    derived from that row, so a retry, or two checkouts at once, get the same provider object;
    the first answer is stored under the payment's lock. A provider failure answers 502 and
    leaves the claim for the next checkout; the order stays pending. Only the buyer pays an
    order: anybody else's is 404. A free order (zero prices, or a coupon that covers it all)
    is fulfilled at once, without a provider. A total the provider cannot charge (below its
    minimum charge or one of its units, `lms.core.money.check_chargeable_total`) is 400
    `below_minimum_charge` before the provider is asked, and when Stripe refuses one as
    `amount_too_small` (a minimum no table gives); the order stays pending.
    """
    payment = _claim_payment(order_id=order_id, by=by)
    if payment.provider_ref or payment.provider == FREE_PROVIDER:
        return payment
    provider = get_provider(payment.provider)
    try:
        created = provider.create_payment(payment=payment, order=payment.order, hosted=hosted)
    except BelowMinimumCharge as exc:
        # Stripe's own minimum, where no table gives it: the order stays pending, unpaid.
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:500])
        raise Invalid(
            f"The payment provider refused {payment.money} as below its minimum charge.",
            code=MoneyError.BELOW_MINIMUM_CHARGE,
        ) from exc
    except ProviderError as exc:
        Payment.objects.filter(pk=payment.pk).update(last_error=str(exc)[:500])
        logger.warning(
            "commerce.checkout_provider_error",
            extra={"order": str(payment.order_id), "error": str(exc)[:200]},
        )
        raise ProviderUnavailable() from exc
    return _complete_checkout(payment_id=payment.pk, created=created, by=by, request=request)


@transaction.atomic
def _claim_payment(*, order_id: Any, by: User) -> Payment:
    """The order's payment row, written on the first call under the order's lock."""
    order = locks.lock_order(order_id, owner=by)
    if order.status == OrderStatus.PENDING:
        # Placed before its currency left SUPPORTED_CURRENCIES: 400 unsupported_currency
        # now, not a payment that fulfilment (the ledger) would then refuse.
        check_currency(order.currency)
    existing = Payment.objects.filter(order=order).first()
    if existing is not None:
        existing.order = order
        if not existing.provider_ref and existing.provider != FREE_PROVIDER:
            # claimed before and never created at the provider: asked again only if chargeable
            check_chargeable_total(existing.money, provider=existing.provider)
        return existing
    if order.status != OrderStatus.PENDING:
        raise Conflict(
            f"A {order.status} order cannot be paid.", code=CommerceError.ORDER_NOT_PAYABLE
        )
    if order.coupon_id is not None and coupon_exhausted_for(order.coupon, user=by):  # type: ignore[arg-type]
        raise Conflict(
            "The coupon of this order has been used up.", code=CommerceError.COUPON_EXHAUSTED
        )
    # What was withdrawn since the order was placed (an unpublished course, docs/catalog.md)
    # is sold to nobody new: each kind says.
    items = list(OrderItem.objects.filter(order=order))
    for kind, group in by_kind(items).items():
        kind.check_still_for_sale(order=order, items=group)
    free = _is_free(order, items)
    provider = FREE_PROVIDER if free else get_provider().name
    if not free:
        check_chargeable_total(order.total_money, provider=provider)
    payment = Payment(
        order=order,
        amount=order.total,
        currency=order.currency,
        idempotency_key=f"order-{order.pk}",
        provider=provider,
    )
    payment.save()
    if free:
        apply_success_locked(
            order=order,
            payment=payment,
            amount=Money.zero(order.currency),
            currency=order.currency,
            payment_ref="",
            source="checkout",
        )
    return payment


def _is_free(order: Order, items: list[OrderItem]) -> bool:
    """Paid without a provider: a zero total that nothing but zero prices or the order's
    coupon made zero (`pricing.owes_nothing`). A paid item whose amount rounded to nothing
    (an order placed before pricing's rule) is not given away: its zero total goes to
    `check_chargeable_total` (400 `below_minimum_charge`)."""
    if order.total != 0:
        return False
    lines = [
        Line(item.reference_id, item.instructor_id, Money(item.price, item.currency))
        for item in items
    ]
    coupon = order.coupon
    rules = CouponRules.of(coupon) if coupon is not None else None
    return owes_nothing(lines, rules, order.currency)


@transaction.atomic
def _complete_checkout(
    *, payment_id: Any, created: CreatedPayment, by: User, request: AnyRequest
) -> Payment:
    """Store the provider's object on the claimed payment, once (a concurrent checkout may
    have stored the same object first)."""
    payment = Payment.objects.select_for_update().select_related("order").get(pk=payment_id)
    if payment.provider_ref:
        return payment
    payment.provider_ref = created.ref
    payment.client_secret = created.client_secret
    payment.checkout_url = created.checkout_url
    payment.last_error = ""
    payment.save(
        update_fields=[
            "provider_ref", "client_secret", "checkout_url", "last_error", "updated_at"
        ]
    )  # fmt: skip
    record(
        action=AuditAction.PAYMENT_CREATED,
        actor=by,
        target=payment,
        request=request,
        data={
            "order": payment.order.number,
            "provider": payment.provider,
            "amount": amount_string(payment.amount, payment.currency),
            "currency": payment.currency,
        },
    )
    return payment
