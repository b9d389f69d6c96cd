"""Row locks of tutoring, and the one order in which they are taken.

Lock order (every tutoring flow follows it, so no two can deadlock):

1. Commerce's order, then its payment, when the flow comes from commerce (a booking paid,
   refunded: `BookingKind.fulfil` / `revoke` run under them, lms/commerce/locks.py).
2. The tutor's `TutorSettings` row (`lock_tutor`): every write that changes which time of
   a tutor is free (adding or deleting a slot, booking, rescheduling, reviving a late-paid
   booking) and the rating of testimonials. It serialises those writes per tutor, so the
   service-side overlap checks are exact on SQLite too; PostgreSQL's exclusion constraints
   are the backstop.
3. Booking rows, sorted by id (`lock_bookings`).
4. Slot rows.
5. Payouts' wallets and pending lots (lms/payouts/locks.py), last.

A cancellation locks only its booking (it frees time, it never takes any) and asks commerce
for the refund after its own transaction committed, outside every tutoring lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lms.core.errors import NotFound

from .models import Booking, TutorSettings


def tutor_settings(tutor_id: Any) -> TutorSettings:
    """The tutor's settings row, created with the defaults when missing (not locked)."""
    found, _ = TutorSettings.objects.get_or_create(tutor_id=tutor_id)
    return found


def lock_tutor(tutor_id: Any) -> TutorSettings:
    """Lock the tutor's settings row (created first when missing): step 2 of the order."""
    found = TutorSettings.objects.select_for_update().filter(tutor_id=tutor_id).first()
    if found is None:  # the tutor's first write: create the row (a racing twin may), then lock
        TutorSettings.objects.get_or_create(tutor_id=tutor_id)
        found = TutorSettings.objects.select_for_update().get(tutor_id=tutor_id)
    return found


def lock_booking(booking_id: Any) -> Booking:
    """Lock one booking (step 3); 404 when it is gone."""
    booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
    if booking is None:
        raise NotFound("No such booking.")
    return booking


def lock_bookings(ids: Iterable[Any]) -> list[Booking]:
    """Lock bookings known by id, sorted by id (step 3)."""
    return list(Booking.objects.select_for_update().filter(pk__in=list(ids)).order_by("id"))
