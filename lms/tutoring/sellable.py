"""Bookings as a sellable kind of commerce (lms.commerce.sellables): how a booking is paid
through the same checkout, what paying does, who may have it refunded and what a refund
takes back. Registered by `TutoringConfig.ready` (commerce never imports tutoring).

- offer: the student's own pending booking at its price snapshot (404 for anybody else's,
  400 `booking_expired` once it expired, 409 once paid or cancelled);
- splits: the whole sale to the tutor (the platform fee comes off first in payouts'
  split_sale, the same rule that priced the booking, so the ledger's earning is the
  booking's `tutor_earning`);
- fulfil: pending → paid (a late payment of an expired booking is honoured when its time is
  still free, refunded in full otherwise); both sides notified; the earning held until
  completion (services.earnings);
- check_refundable: the cancellation policy (services.bookings.refund_due);
- revoke: → refunded, the tutor told (commerce tells the student and reverses the earning).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.accounts.models import User
from lms.commerce.sellables import Offer, Splits
from lms.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from lms.core.money import Money, format_money
from lms.notifications.models import Category
from lms.notifications.services import notify

from . import locks
from .errors import TutoringError
from .models import (
    ACTIVE_STATUSES,
    BOOKING_EXCLUSION,
    AvailabilitySlot,
    Booking,
    BookingStatus,
    CancelReason,
)
from .services.bookings import refund_due
from .services.earnings import BOOKING_KIND, hold_paid_bookings
from .services.states import transition_booking

if TYPE_CHECKING:
    from lms.commerce.models import Order, OrderItem, Refund

S = BookingStatus


def _title(booking: Booking) -> str:
    return f"Lesson with {booking.tutor.full_name} on {booking.start:%Y-%m-%d %H:%M} UTC"


def _bookings(items: Sequence[OrderItem], *, lock: bool) -> dict[uuid.UUID, Booking]:
    ids = [item.reference_id for item in items]
    if lock:
        # Tutors before bookings (lms/tutoring/locks.py): a late payment may take time again.
        tutor_ids = sorted(
            {str(t) for t in Booking.objects.filter(pk__in=ids).values_list("tutor_id", flat=True)}
        )
        for tutor_id in tutor_ids:
            locks.lock_tutor(tutor_id)
        return {b.pk: b for b in locks.lock_bookings(ids)}
    return Booking.objects.in_bulk(ids)


class BookingKind:
    kind = BOOKING_KIND

    def offer(self, *, buyer: User, reference_id: uuid.UUID) -> Offer:
        booking = (
            Booking.objects.select_related("tutor")
            .filter(pk=reference_id, student_id=buyer.pk)
            .first()
        )
        if booking is None:
            raise NotFound("No such booking.")
        _check_payable(booking)
        return Offer(
            kind=BOOKING_KIND,
            reference_id=booking.pk,
            title=_title(booking),
            seller_id=booking.tutor_id,
            price=Money(booking.price, booking.currency),
        )

    def check_still_for_sale(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        for booking in _bookings(items, lock=False).values():
            _check_payable(booking)

    def splits(self, items: Sequence[OrderItem]) -> dict[uuid.UUID, Splits]:
        bookings = _bookings(items, lock=False)
        tutors = User.objects.in_bulk({b.tutor_id for b in bookings.values()})
        return {
            item.pk: [(tutors[bookings[item.reference_id].tutor_id], Decimal(100))]
            for item in items
        }

    def fulfil(self, *, order: Order, items: Sequence[OrderItem]) -> None:
        now = timezone.now()
        paid = []
        for booking in _bookings(items, lock=True).values():
            if booking.status == S.PENDING or _can_revive(booking):
                transition_booking(
                    booking,
                    S.PAID,
                    data={"order": order.number, "late": booking.status != S.PENDING},
                )
                booking.paid_at = now
                booking.order_id = order.pk
                booking.expires_at = None
                booking.cancelled_at = None
                booking.cancel_reason = ""
                if not _save_revived(booking):
                    _refuse_late_payment(booking, order=order)
                    continue
                paid.append(booking.pk)
                _tell_paid(booking)
            elif booking.status == S.CANCELLED:
                _refuse_late_payment(booking, order=order)
        if paid:
            transaction.on_commit(lambda: hold_paid_bookings(paid))

    def check_refundable(self, *, order: Order, items: Sequence[OrderItem], by: User) -> None:
        now = timezone.now()
        for booking in _bookings(items, lock=False).values():
            if booking.status == S.CANCELLED and booking.cancel_reason == CancelReason.LATE_PAYMENT:
                continue
            if booking.status not in (S.PAID, S.CONFIRMED):
                raise Conflict(
                    f"A {booking.status} booking cannot be refunded.",
                    code=TutoringError.INVALID_BOOKING_STATE,
                )
            if not refund_due(booking, by=by, now=now):
                raise PermissionDenied(
                    f"Refunds stop {booking.refund_cutoff_hours} hours before the lesson.",
                    code=TutoringError.REFUND_NOT_ALLOWED,
                )

    def revoke(self, *, order: Order, items: Sequence[OrderItem], refund: Refund) -> None:
        now = timezone.now()
        by = refund.requested_by
        for booking in _bookings(items, lock=True).values():
            booking.refunded_at = now
            if booking.status in (S.PAID, S.CONFIRMED):
                by_tutor = by is not None and by.pk == booking.tutor_id
                transition_booking(
                    booking,
                    S.REFUNDED,
                    actor=by,
                    data={"refund": str(refund.pk), "by": "tutor" if by_tutor else "student"},
                )
                booking.cancelled_at = now
                booking.cancelled_by = by
                booking.cancel_reason = CancelReason.TUTOR if by_tutor else CancelReason.STUDENT
                booking.sequence += 1
                notify(
                    user=booking.tutor,
                    category=Category.TUTORING,
                    title="Lesson cancelled and refunded",
                    body=f"The lesson on {booking.start:%Y-%m-%d %H:%M} UTC was cancelled; "
                    f"{format_money(booking.price, booking.currency)} went back to the student.",
                    data={"booking_id": str(booking.pk), "status": booking.status},
                )
            booking.save()


def _check_payable(booking: Booking) -> None:
    if booking.status == S.CANCELLED and booking.cancel_reason == CancelReason.EXPIRED:
        raise Invalid("This booking expired: book again.", code=TutoringError.BOOKING_EXPIRED)
    if booking.status != S.PENDING:
        raise Conflict(
            f"A {booking.status} booking cannot be paid.", code=TutoringError.INVALID_BOOKING_STATE
        )
    if booking.expires_at is not None and booking.expires_at <= timezone.now():
        raise Invalid("This booking expired: book again.", code=TutoringError.BOOKING_EXPIRED)


def _can_revive(booking: Booking) -> bool:
    """An expired booking whose time is still free and still offered (the tutor is locked by
    the caller): no active booking over it, and the tutor's availability still covers it
    (a tutor may withdraw a slot once the booking expired; then the late money is refunded)."""
    if booking.status != S.CANCELLED or booking.cancel_reason != CancelReason.EXPIRED:
        return False
    taken = Booking.objects.filter(
        tutor_id=booking.tutor_id,
        status__in=ACTIVE_STATUSES,
        start__lt=booking.blocked_end,
        blocked_end__gt=booking.start,
    ).exists()
    return not taken and _still_offered(booking)


def _still_offered(booking: Booking) -> bool:
    """Whether the tutor's slots (one, or several end to end) cover the lesson's time."""
    covered_until = booking.start
    slots = AvailabilitySlot.objects.filter(
        tutor_id=booking.tutor_id, start__lt=booking.end, end__gt=booking.start
    ).order_by("start")
    for start, end in slots.values_list("start", "end"):
        if start > covered_until:
            return False  # a gap
        covered_until = max(covered_until, end)
        if covered_until >= booking.end:
            return True
    return False


def _save_revived(booking: Booking) -> bool:
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as exc:
        if BOOKING_EXCLUSION in str(exc):
            return False
        raise
    return True


def _refuse_late_payment(booking: Booking, *, order: Order) -> None:
    """Money for a booking whose time went to somebody else: refunded in full after commit."""
    booking.refresh_from_db()
    booking.cancel_reason = CancelReason.LATE_PAYMENT
    booking.order_id = order.pk
    booking.save(update_fields=["cancel_reason", "order_id", "updated_at"])
    from .tasks import refund_late_payment

    refund_late_payment.delay_on_commit(str(order.pk), str(booking.student_id))


def _tell_paid(booking: Booking) -> None:
    when = f"{booking.start:%Y-%m-%d %H:%M} UTC"
    notify(
        user=booking.student,
        category=Category.TUTORING,
        title="Lesson booked",
        body=f"Your lesson with {booking.tutor.full_name} on {when} is paid.",
        data={"booking_id": str(booking.pk), "status": booking.status},
    )
    notify(
        user=booking.tutor,
        category=Category.TUTORING,
        title="New lesson booked",
        body=f"{booking.student.full_name} booked a lesson on {when} "
        f"({format_money(booking.tutor_earning, booking.currency)} for you).",
        data={"booking_id": str(booking.pk), "status": booking.status},
    )
