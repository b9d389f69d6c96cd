"""Fulfilment: what a provider's success, failure, refund or dispute does to an order."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.money import Money, amount_string
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts.services import LedgerReference, Sale, credit_sales, split_sale

from .. import locks
from ..errors import CommerceError, ProviderUnavailable
from ..models import (
    Coupon,
    CouponRedemption,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from ..pricing import coupon_exhausted_for
from ..providers import PaymentEvent
from ..receipts import next_steps
from ..sellables import by_kind, splits_of
from .refunds import complete_refund, execute_refund
from .states import FULFILLED, lock_order_and_payment, transition_order

logger = logging.getLogger(__name__)


# The provider-event handlers below join their caller's transaction without a savepoint: they
# are all or nothing, and an error in one rolls back the caller's whole transaction (the
# inbox's, which records the failure after the rollback and lets the provider retry).


@transaction.atomic(savepoint=False)
def apply_payment_succeeded(
    *,
    payment_id: Any,
    amount: Money | None,
    currency: str,
    payment_ref: str = "",
    source: str = "",
) -> str:
    """The provider says the money arrived: fulfil the order once (or refuse a mismatch).

    `amount` is what arrived, converted from the provider's units at its edge (None when the
    provider reported no exact amount of a currency), `currency` the code it reported; the
    amount must be exactly the order's total (`order.total_money`, same currency)."""
    order, payment = lock_order_and_payment(payment_id)
    return apply_success_locked(
        order=order,
        payment=payment,
        amount=amount,
        currency=currency,
        payment_ref=payment_ref,
        source=source,
    )


def apply_success_locked(
    *,
    order: Order,
    payment: Payment,
    amount: Money | None,
    currency: str,
    payment_ref: str,
    source: str,
) -> str:
    if payment_ref and not payment.provider_payment_ref:
        payment.provider_payment_ref = payment_ref
    if order.status in FULFILLED or order.status == OrderStatus.REFUNDED:
        if payment.status != PaymentStatus.SUCCEEDED and payment.status != PaymentStatus.MISMATCH:
            payment.status = PaymentStatus.SUCCEEDED
            payment.succeeded_at = payment.succeeded_at or timezone.now()
        payment.save()
        return "already_handled"
    expected = order.total_money
    reported = amount_string(amount.amount, amount.currency) if amount is not None else None
    if amount is None or amount != expected or currency.upper() != order.currency:
        payment.status = PaymentStatus.MISMATCH
        payment.last_error = (
            f"Provider reported {reported} {currency.upper()[:8]}, order is {expected}"
        )[:500]
        payment.save()
        logger.error(
            "commerce.payment_mismatch",
            extra={
                "order": str(order.pk),
                "payment": str(payment.pk),
                "reported": reported,
                "reported_currency": currency,
                "expected": amount_string(expected.amount, expected.currency),
                "currency": order.currency,
            },
        )
        record(
            action=AuditAction.PAYMENT_AMOUNT_MISMATCH,
            target=payment,
            data={
                "source": source,
                "reported": reported,
                "reported_currency": currency,
                "expected": amount_string(expected.amount, expected.currency),
                "currency": order.currency,
            },
        )
        return "mismatch"
    payment.status = PaymentStatus.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.save()
    coupon = locks.lock_coupon(order.coupon_id) if order.coupon_id else None
    if coupon is not None and coupon_exhausted_for(coupon, user=order.user):
        _refuse_for_exhausted_coupon(order=order, payment=payment, source=source)
        return "coupon_exhausted"
    _fulfil(order=order, payment=payment, coupon=coupon, source=source)
    return "fulfilled"


def _refuse_for_exhausted_coupon(*, order: Order, payment: Payment, source: str) -> None:
    """Another buyer took the coupon's last use first: nothing is granted, money goes back."""
    transition_order(
        order, OrderStatus.FAILED, data={"source": source, "reason": "coupon_exhausted"}
    )
    order.failure_code = CommerceError.COUPON_EXHAUSTED
    order.save(update_fields=["status", "failure_code", "updated_at"])
    refund_id = uuid.uuid4()
    total = order.total_money
    Refund.objects.create(
        id=refund_id,
        order=order,
        payment=payment,
        amount=total.amount,
        currency=total.currency,
        reason="The coupon was used up before this payment arrived.",
        reference_ids=[str(i) for i in order.items.values_list("reference_id", flat=True)],
        idempotency_key=f"refund-{refund_id}",
    )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Your order could not be completed",
        body=f"The coupon of order {order.number} ran out before your payment arrived; "
        f"{total} is being refunded.",
        data={"order_id": str(order.pk), "status": order.status},
    )
    transaction.on_commit(lambda: execute_refund_quietly(refund_id))


def execute_refund_quietly(refund_id: Any) -> None:
    try:
        execute_refund(refund_id=refund_id)
    except ProviderUnavailable:
        logger.warning("commerce.refund_deferred", extra={"refund": str(refund_id)})


def _fulfil(*, order: Order, payment: Payment, coupon: Coupon | None, source: str) -> None:
    """Paid: grant every item (each kind its own way), count the coupon, credit the sellers;
    then tell.

    The rows that every sale of a popular course or instructor touches (the course's and the
    instructor's counters, the instructor's wallet) are written last, so concurrent sales wait
    on them for the shortest time.
    """
    now = timezone.now()
    transition_order(order, OrderStatus.PAID, data={"source": source, "payment": str(payment.pk)})
    order.paid_at = now
    order.failure_code = ""
    order.save(update_fields=["status", "paid_at", "failure_code", "updated_at"])
    items = list(order.items.order_by("created_at", "id"))
    splits = splits_of(items)
    if coupon is not None:
        Coupon.objects.filter(pk=coupon.pk).update(redemption_count=F("redemption_count") + 1)
        CouponRedemption.objects.create(
            coupon=coupon,
            user=order.user,
            order=order,
            amount=order.discount,
            currency=order.currency,
        )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Payment received",
        body=f"Order {order.number} is paid: {order.total_money}. "
        + " ".join(f"{step.text}." for step in next_steps(order=order, items=items)),
        data={"order_id": str(order.pk), "status": order.status},
        email=False,
    )
    for kind, group in by_kind(items).items():
        kind.fulfil(order=order, items=group)
    credit_sales(
        [
            Sale(reference=LedgerReference.of(item), amount_paid=item.paid, splits=splits[item.pk])
            for item in items
        ]
    )
    from ..tasks import send_order_receipt

    send_order_receipt.delay_on_commit(str(order.pk))
    announce_sales(order=order, items=items, splits=splits)


def announce_sales(*, order: Order, items: list[Any], splits: dict[Any, Any]) -> None:
    """Tell each seller of a paid order what they sold and what they earn from it (their
    share after the platform fee, `payouts.services.split_sale`: the amount credited to their
    pending balance), one notification per seller and order, once the payment commits."""
    earned: dict[Any, tuple[Any, Money, list[str]]] = {}
    nothing = Money.zero(order.currency)
    for item in items:
        _fee, shares = split_sale(amount_paid=item.paid, splits=splits[item.pk])
        for seller, share in shares:
            if not share.is_positive:  # a free item (a 100 % coupon) earns nothing to announce
                continue
            _, total, titles = earned.get(seller.pk, (seller, nothing, []))
            earned[seller.pk] = (seller, total + share, [*titles, item.title])

    def send() -> None:
        for seller, total, titles in earned.values():
            notify(
                user=seller,
                category=Category.COMMERCE,
                title="You made a sale",
                body=f"{', '.join(titles)}: {total} for you, pending"
                " until the refund window closes.",
                data={
                    "order_id": str(order.pk),
                    "amount": amount_string(total.amount, total.currency),
                    "currency": total.currency,
                    "titles": titles,
                },
            )

    transaction.on_commit(send)


@transaction.atomic(savepoint=False)
def apply_payment_failed(
    *, payment_id: Any, error: str = "", source: str = "", cancelled: bool = False
) -> str:
    """A declined or cancelled payment; a paid order never goes back."""
    order, payment = lock_order_and_payment(payment_id)
    if (
        payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.MISMATCH)
        or order.status != OrderStatus.PENDING
    ):
        return "ignored"
    payment.status = PaymentStatus.CANCELLED if cancelled else PaymentStatus.FAILED
    payment.failed_at = timezone.now()
    payment.last_error = error[:500]
    payment.save()
    to = OrderStatus.CANCELLED if cancelled else OrderStatus.FAILED
    transition_order(order, to, data={"source": source, "error": error[:200]})
    order.failure_code = "payment_cancelled" if cancelled else "payment_failed"
    order.save(update_fields=["status", "failure_code", "updated_at"])
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Payment failed",
        body=f"The payment for order {order.number} did not go through. {error}".strip(),
        data={"order_id": str(order.pk), "status": order.status},
    )
    return "failed"


@transaction.atomic(savepoint=False)
def apply_provider_refund(*, payment_id: Any, event: PaymentEvent, source: str = "") -> str:
    """The provider reports money returned (ours, or started from its dashboard)."""
    order, payment = lock_order_and_payment(payment_id)
    zero = Money.zero(order.currency)
    refunded = event.amount_refunded if event.amount_refunded is not None else zero
    if (event.currency and event.currency != order.currency) or refunded.currency != zero.currency:
        logger.error("commerce.refund_currency_mismatch", extra={"order": str(order.pk)})
        return "refund_currency_mismatch"
    ours = list(Refund.objects.select_for_update().filter(order=order).order_by("created_at"))
    settled = sum((r.money for r in ours if r.status == RefundStatus.SUCCEEDED), zero)
    # The provider confirms our pending refunds (their own API answer may not have come back).
    for refund in ours:
        if refund.status == RefundStatus.PENDING and settled + refund.money <= refunded:
            complete_refund(
                order=order, payment=payment, refund=refund, provider_ref=refund.provider_ref
            )
            settled += refund.money
    excess = refunded - settled
    if not excess.is_positive:
        return "refund_confirmed"
    if order.status not in FULFILLED:
        # A refund that overtook the success (or an unfulfilled order): nothing was granted,
        # so the order converges to refunded and a later success finds nothing to do.
        payment.refunded_money = min(payment.money, payment.refunded_money + excess)
        payment.save(update_fields=["amount_refunded", "updated_at"])
        if payment.refunded_money >= payment.money and order.status != OrderStatus.REFUNDED:
            transition_order(
                order, OrderStatus.REFUNDED, data={"source": source, "before_fulfilment": True}
            )
            order.refunded_at = timezone.now()
            order.refunded_money = order.total_money
            order.save(update_fields=["status", "refunded_at", "refunded_amount", "updated_at"])
        return "refunded_unfulfilled"
    open_items = list(order.items.filter(refund__isnull=True))
    open_total = sum((item.paid for item in open_items), zero)
    if excess != open_total:
        payment.refunded_money = min(payment.money, payment.refunded_money + excess)
        payment.save(update_fields=["amount_refunded", "updated_at"])
        logger.warning(
            "commerce.external_partial_refund",
            extra={
                "order": str(order.pk),
                "amount": amount_string(excess.amount, excess.currency),
                "currency": excess.currency,
            },
        )
        record(
            action=AuditAction.REFUND_EXTERNAL_PARTIAL,
            target=order,
            data={
                "source": source,
                "amount": amount_string(excess.amount, excess.currency),
                "currency": excess.currency,
            },
        )
        return "external_partial"
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=excess.amount,
        currency=excess.currency,
        reason="Refunded at the payment provider.",
        external=True,
        reference_ids=[str(item.reference_id) for item in open_items],
        idempotency_key=f"external-{payment.pk}-{refunded.amount}",
    )
    complete_refund(order=order, payment=payment, refund=refund, provider_ref=None)
    return "refunded_external"


@transaction.atomic(savepoint=False)
def apply_dispute(*, payment_id: Any, event: PaymentEvent, source: str = "") -> str:
    """A chargeback was opened: flagged for staff, audited; access stays until it is decided."""
    order, payment = lock_order_and_payment(payment_id)
    if payment.disputed_at is None:
        payment.disputed_at = timezone.now()
        payment.save(update_fields=["disputed_at", "updated_at"])
    logger.warning("commerce.dispute_opened", extra={"order": str(order.pk), **event.extra})
    record(
        action=AuditAction.PAYMENT_DISPUTED,
        target=payment,
        data={
            "source": source,
            "order": order.number,
            **{k: str(v) for k, v in event.extra.items()},
        },
    )
    return "disputed"
