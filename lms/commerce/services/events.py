"""Provider events: the inbox (recorded once, handled once) and reconciliation with the
provider's own truth for payments that stayed pending."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lms.core.errors import Conflict

from .. import locks, selectors
from ..errors import CommerceError
from ..models import (
    Payment,
    PaymentStatus,
    ProviderEvent,
)
from ..providers import ProviderError, get_provider
from ..providers.fake import simulated_event
from .fulfilment import (
    apply_dispute,
    apply_payment_failed,
    apply_payment_succeeded,
    apply_provider_refund,
)
from .states import FREE_PROVIDER

logger = logging.getLogger(__name__)


def record_provider_event(
    *, provider: str, event_id: str, type: str, payload: dict[str, Any]
) -> str:
    """Write the event to the inbox once (INSERT … ON CONFLICT DO NOTHING: a second delivery,
    even a concurrent one, leaves the first row as it is). Returns the stored event id."""
    event_id = event_id[:255]
    ProviderEvent.objects.bulk_create(
        [ProviderEvent(provider=provider, event_id=event_id, type=type[:100], payload=payload)],
        ignore_conflicts=True,
    )
    return event_id


def process_provider_event(*, provider: str, event_id: str) -> str:
    """Handle an inbox event exactly once: under its row lock, in one transaction with the
    effects; a crash rolls the effects back and leaves it for the next delivery."""
    try:
        with transaction.atomic():
            event = locks.lock_event(provider=provider, event_id=event_id)
            if event.processed_at is not None:
                return "duplicate"
            outcome = _handle_event(event)
            event.status = (
                ProviderEvent.Status.IGNORED
                if outcome == "ignored"
                else ProviderEvent.Status.PROCESSED
            )
            event.processed_at = timezone.now()
            event.attempts += 1
            event.last_error = ""
            event.save(
                update_fields=["status", "processed_at", "attempts", "last_error", "updated_at"]
            )
            return outcome
    except Exception as exc:
        ProviderEvent.objects.filter(provider=provider, event_id=event_id).update(
            attempts=F("attempts") + 1,
            status=ProviderEvent.Status.FAILED,
            last_error=repr(exc)[:2000],
        )
        logger.exception("commerce.event_failed", extra={"event": event_id})
        raise


# A signed event whose fields have shapes no real event has (a list where an object goes).
_UNREADABLE_EVENT_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def _handle_event(event: ProviderEvent) -> str:
    """Apply one inbox event. An event we cannot use (unreadable, or naming no payment of
    ours) is ignored: recorded and answered 200, never retried by the provider for days.

    A payment row exists before the provider hears of it (checkout claims and commits it
    first) and is looked up on the primary, so "unknown" never means "not visible yet".
    """
    try:
        parsed = get_provider(event.provider).parse_event(event.payload)
    except _UNREADABLE_EVENT_ERRORS:
        logger.warning("commerce.event_unreadable", extra={"event": event.event_id})
        return "ignored"
    if parsed.kind == "ignored":
        return "ignored"
    payment = selectors.payment_by_reference(
        payment_id=parsed.payment_id, refs=(parsed.provider_ref, parsed.payment_ref)
    )
    if payment is None or payment.provider != event.provider:
        logger.warning(
            "commerce.event_not_ours",
            extra={"event": event.event_id, "payment_id": parsed.payment_id[:64]},
        )
        return "ignored"
    source = f"{event.provider}:{event.event_id}"
    if parsed.kind == "succeeded":
        return apply_payment_succeeded(
            payment_id=payment.pk,
            amount=parsed.amount,
            currency=parsed.currency,
            payment_ref=parsed.payment_ref,
            source=source,
        )
    if parsed.kind == "failed":
        return apply_payment_failed(payment_id=payment.pk, error=parsed.error, source=source)
    if parsed.kind == "refunded":
        return apply_provider_refund(payment_id=payment.pk, event=parsed, source=source)
    return apply_dispute(payment_id=payment.pk, event=parsed, source=source)


def simulate_payment(*, payment: Payment, outcome: str) -> str:
    """The fake provider's webhook: the same inbox and the same handlers as Stripe's."""
    if payment.provider != "fake" or settings.PAYMENT_PROVIDER != "fake":
        raise Conflict(
            "Payments can be simulated only with the fake provider.",
            code=CommerceError.SIMULATION_UNAVAILABLE,
        )
    payload = simulated_event(payment=payment, outcome=outcome)
    event_id = record_provider_event(
        provider="fake", event_id=payload["id"], type=payload["type"], payload=payload
    )
    return process_provider_event(provider="fake", event_id=event_id)


# --- reconciliation -----------------------------------------------------------------------------


def reconcile_pending_payments(
    *, older_than: timedelta = timedelta(hours=1), limit: int = 200
) -> dict[str, int]:
    """Ask the provider about payments pending for too long (a webhook lost or not sent)."""
    counts = {"checked": 0, "fulfilled": 0, "failed": 0, "errors": 0}
    cutoff = timezone.now() - older_than
    pending = (
        Payment.objects.filter(status=PaymentStatus.PENDING, created_at__lt=cutoff)
        .exclude(provider=FREE_PROVIDER)
        .exclude(provider_ref__isnull=True)
        .order_by("created_at")[:limit]
    )
    for payment in pending:
        counts["checked"] += 1
        try:
            remote = get_provider(payment.provider).retrieve(payment=payment)
        except ProviderError:
            counts["errors"] += 1
            logger.warning("commerce.reconcile_provider_error", extra={"payment": str(payment.pk)})
            continue
        if remote.state == "succeeded":
            outcome = apply_payment_succeeded(
                payment_id=payment.pk,
                amount=remote.amount,
                currency=remote.currency,
                payment_ref=remote.payment_ref,
                source="reconciliation",
            )
            counts["fulfilled"] += outcome == "fulfilled"
        elif remote.state in ("failed", "cancelled"):
            apply_payment_failed(
                payment_id=payment.pk,
                source="reconciliation",
                cancelled=remote.state == "cancelled",
            )
            counts["failed"] += 1
    return counts
