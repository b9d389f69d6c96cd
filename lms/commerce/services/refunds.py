"""Refunds: claimed under the order's lock, sent to the provider outside it, completed once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.money import Money, amount_string
from lms.core.permissions import ADMIN, has_role
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify
from lms.payouts.services import LedgerReference, SaleReversal, reverse_sales

from .. import locks
from ..errors import CommerceError, ProviderUnavailable
from ..models import (
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    Refund,
    RefundStatus,
)
from ..providers import ProviderError, get_provider
from ..sellables import by_kind
from .states import FREE_PROVIDER, FULFILLED, lock_order_and_payment, transition_order

logger = logging.getLogger(__name__)


def request_refund(
    *,
    order_id: Any,
    by: User,
    reference_ids: Sequence[str] | None = None,
    reason: str = "",
    request: AnyRequest = None,
) -> Refund:
    """Refund some or all items of a paid order through its provider, then take them back
    (each kind revokes its own: a course's enrollment, a booking). `reference_ids`: the
    items' `reference_id`s (course or booking ids); None: every item not yet refunded."""
    refund = _claim_refund(
        order_id=order_id, by=by, reference_ids=reference_ids, reason=reason, request=request
    )
    return execute_refund(refund_id=refund.pk)


@transaction.atomic
def _claim_refund(
    *,
    order_id: Any,
    by: User,
    reference_ids: Sequence[str] | None,
    reason: str,
    request: AnyRequest,
) -> Refund:
    order = locks.lock_order(order_id)
    if order.status == OrderStatus.REFUNDED:
        raise Conflict("This order is already refunded.", code=CommerceError.ALREADY_REFUNDED)
    if order.status not in FULFILLED:
        raise Conflict(
            f"A {order.status} order cannot be refunded.", code=CommerceError.INVALID_ORDER_STATE
        )
    payment = locks.lock_payment(Payment.objects.values_list("pk", flat=True).get(order=order))
    items = list(order.items.all())
    if reference_ids:
        wanted = {str(i) for i in reference_ids}
        chosen = [item for item in items if str(item.reference_id) in wanted]
        if len(chosen) != len(wanted):
            raise Invalid(
                "Some of these courses are not in the order.",
                code=CommerceError.INVALID_ORDER_STATE,
            )
        if any(item.refund_id is not None for item in chosen):
            raise Conflict(
                "Some of these courses are already refunded.", code=CommerceError.ALREADY_REFUNDED
            )
    else:
        chosen = [item for item in items if item.refund_id is None]
    pending = Refund.objects.select_for_update().filter(order=order, status=RefundStatus.PENDING)
    claimed = {reference for refund in pending for reference in refund.reference_ids}
    if any(str(item.reference_id) in claimed for item in chosen):
        raise Conflict(
            "A refund of these courses is already under way.", code=CommerceError.REFUND_IN_PROGRESS
        )
    if not has_role(by, ADMIN):
        deadline = (order.paid_at or order.created_at) + timedelta(days=settings.REFUND_WINDOW_DAYS)
        if timezone.now() > deadline:
            raise PermissionDenied(
                f"Refunds can be asked within {settings.REFUND_WINDOW_DAYS} days of payment.",
                code=CommerceError.REFUND_WINDOW_CLOSED,
            )
    for kind, group in by_kind(chosen).items():
        kind.check_refundable(order=order, items=group, by=by)
    refund_id = uuid.uuid4()
    amount = sum((item.paid for item in chosen), Money.zero(order.currency))
    refund = Refund.objects.create(
        id=refund_id,
        order=order,
        payment=payment,
        amount=amount.amount,
        currency=amount.currency,
        reason=reason[:500],
        requested_by=by,
        reference_ids=[str(item.reference_id) for item in chosen],
        # Derived from our row: a retried call (Celery, reconciliation) reuses it.
        idempotency_key=f"refund-{refund_id}",
    )
    record(
        action=AuditAction.REFUND_REQUESTED,
        actor=by,
        target=refund,
        request=request,
        data={
            "order": order.number,
            "amount": amount_string(refund.amount, refund.currency),
            "currency": refund.currency,
            "courses": refund.reference_ids,  # the key of every audit line so far
        },
    )
    return refund


def execute_refund(*, refund_id: Any) -> Refund:
    """Ask the provider to return the money (same key on every retry), then apply it."""
    refund = Refund.objects.select_related("payment").get(pk=refund_id)
    if refund.status != RefundStatus.PENDING:
        return refund
    payment = refund.payment
    provider_ref: str | None = None
    if not refund.external and refund.money.is_positive and payment.provider != FREE_PROVIDER:
        try:
            created = get_provider(payment.provider).refund(
                payment=payment, amount=refund.money, idempotency_key=refund.idempotency_key
            )
        except ProviderError as exc:
            Refund.objects.filter(pk=refund.pk).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:500]
            )
            logger.warning("commerce.refund_provider_error", extra={"refund": str(refund.pk)})
            raise ProviderUnavailable() from exc
        if created.status == "failed":
            with transaction.atomic():
                refund = locks.lock_refund(refund.pk)
                refund.status = RefundStatus.FAILED
                refund.provider_ref = created.ref
                refund.save(update_fields=["status", "provider_ref", "updated_at"])
                record(
                    action=AuditAction.REFUND_FAILED,
                    target=refund,
                    data={"provider_ref": created.ref},
                )
            raise Conflict(
                "The payment provider declined the refund.", code=CommerceError.REFUND_FAILED
            )
        provider_ref = created.ref
    with transaction.atomic():
        order, payment = lock_order_and_payment(payment.pk)
        refund = locks.lock_refund(refund.pk)
        if refund.status == RefundStatus.PENDING:
            complete_refund(order=order, payment=payment, refund=refund, provider_ref=provider_ref)
    refund.refresh_from_db()
    return refund


def complete_refund(
    *, order: Order, payment: Payment, refund: Refund, provider_ref: str | None
) -> None:
    """Money is back with the buyer: revoke, reverse the earnings, mark the order (locked)."""
    refund.status = RefundStatus.SUCCEEDED
    refund.provider_ref = provider_ref or refund.provider_ref
    refund.completed_at = timezone.now()
    refund.attempts += 1
    refund.save()
    if order.status in FULFILLED:
        items = list(order.items.filter(reference_id__in=refund.reference_ids, refund__isnull=True))
        for kind, group in by_kind(items).items():
            kind.revoke(order=order, items=group, refund=refund)
        # Every refunded item's earnings reversed, and the items marked, in a number of
        # queries that does not grow with them (as fulfilment credits them).
        reverse_sales(
            [
                SaleReversal(
                    reference=LedgerReference.of(item), refund_reference=LedgerReference.of(refund)
                )
                for item in items
                if item.paid.is_positive
            ]
        )
        OrderItem.objects.filter(pk__in=[item.pk for item in items]).update(
            refund=refund, updated_at=timezone.now()
        )
        order.refunded_money = min(order.total_money, order.refunded_money + refund.money)
        still_open = order.items.filter(refund__isnull=True).exists()
        transition_order(
            order,
            OrderStatus.PARTIALLY_REFUNDED if still_open else OrderStatus.REFUNDED,
            actor=refund.requested_by,
            data={
                "refund": str(refund.pk),
                "amount": amount_string(refund.amount, refund.currency),
                "currency": refund.currency,
            },
        )
        order.refunded_at = timezone.now()
        order.save(update_fields=["status", "refunded_amount", "refunded_at", "updated_at"])
    payment.refunded_money = min(payment.money, payment.refunded_money + refund.money)
    payment.save(update_fields=["amount_refunded", "updated_at"])
    record(
        action=AuditAction.REFUND_SUCCEEDED,
        actor=refund.requested_by,
        target=refund,
        data={
            "order": order.number,
            "amount": amount_string(refund.amount, refund.currency),
            "currency": refund.currency,
            "provider_ref": refund.provider_ref or "",
            "external": refund.external,
        },
    )
    notify(
        user=order.user,
        category=Category.COMMERCE,
        title="Refund issued",
        body=f"{refund.money} of order {order.number} is on its way back to you.",
        data={"order_id": str(order.pk), "refund_id": str(refund.pk), "status": order.status},
    )


def retry_pending_refunds(*, older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> int:
    """Send refunds whose provider call failed again, with the very same idempotency key."""
    done = 0
    cutoff = timezone.now() - older_than
    for refund_id in (
        Refund.objects.filter(status=RefundStatus.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    ):
        try:
            refund = execute_refund(refund_id=refund_id)
        except (ProviderUnavailable, Conflict):
            continue
        done += refund.status == RefundStatus.SUCCEEDED
    return done
