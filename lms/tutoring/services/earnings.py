"""When a booking's earning leaves its hold (the pending lot of the sale in payouts' ledger).

Commerce credits the sale as pending when the booking is paid, with payouts' default hold
(EARNINGS_HOLD_DAYS from the payment). For a lesson the hold runs from its completion
(issue 13): right after the payment the lot is held until the automatic completion plus the
hold, and the completion (or a late cancellation, after which the tutor keeps the earning)
restarts it from that moment.

Payouts moves the lots (`payouts.services.hold_sale_earnings`, under its own locks and in its
order); the ledger itself is not touched.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lms.commerce.models import OrderItem
from lms.payouts.services import LedgerReference, hold_sale_earnings

from ..models import Booking

BOOKING_KIND = "booking"


def _sale_references(bookings: Iterable[Booking]) -> list[LedgerReference]:
    by_order = {(b.order_id, b.pk) for b in bookings if b.order_id is not None}
    if not by_order:
        return []
    items = OrderItem.objects.filter(
        kind=BOOKING_KIND,
        order_id__in={order for order, _ in by_order},
        reference_id__in={booking for _, booking in by_order},
    )
    return [LedgerReference.of(item) for item in items]


def hold_earning_until(booking: Booking, release_at: datetime) -> int:
    """Set the release time of the booking's unreleased pending lots (payouts'
    `hold_sale_earnings`); returns how many."""
    return hold_sale_earnings(references=_sale_references([booking]), release_at=release_at)


def hold_paid_bookings(booking_ids: Iterable[Any]) -> None:
    """After a payment committed: hold each paid booking's lot to its default release."""
    from .bookings import default_hold_until

    for booking in Booking.objects.filter(pk__in=list(booking_ids), paid_at__isnull=False):
        if booking.completed_at is None and booking.cancelled_at is None:
            hold_earning_until(booking, default_hold_until(booking))
