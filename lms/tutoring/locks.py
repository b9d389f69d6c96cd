"""Row locks of tutoring, and the one order in which they are taken.

Lock order (every tutoring flow follows it, so no two can deadlock on these locks):

1. Commerce's order, then its payment, when the flow comes from commerce (a booking paid,
   refunded: `BookingKind.fulfil` / `revoke` run under them, lms/commerce/locks.py).
2. The tutor's `TutorSettings` row (`lock_tutor`): every write that changes which time a
   tutor *offers* (adding or deleting a slot or a weekly rule), a reschedule, reviving a
   late-paid booking, the settings themselves and the rating of testimonials. A new booking
   does not take it (below).
3. Booking rows, sorted by id (`lock_bookings`, `lock_booking`).
4. Slot rows: a booking or a reschedule holds the slot its time lies in with `FOR NO KEY
   UPDATE` (`lock_slot_holding`); deleting a slot (or a weekly rule's slots) takes them
   `FOR UPDATE` (`lock_slots_for_delete`), which waits for those and makes them wait.
5. Payouts' wallets and pending lots (lms/payouts/locks.py), last.

A new booking takes no tutor lock: no two active bookings of a tutor can overlap because
PostgreSQL's exclusion constraint refuses the second (409 `slot_unavailable`, also when
two inserts wait on each other and PostgreSQL's deadlock detector ends one), and the time
cannot be withdrawn under it because it holds its slot (4). Bookings of one tutor at
different times of different slots therefore run side by side; two in the same slot queue
on that slot only while they insert, audit and commit. On SQLite, which has one writer at a
time, the service's own overlap check inside the transaction gives the same answers.

A cancellation locks only its booking (it frees time, it never takes any) and asks commerce
for the refund after its own transaction committed, outside every tutoring lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from lms.core.errors import NotFound

from .models import AvailabilitySlot, Booking, TutorSettings


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


def lock_slot_holding(
    tutor_id: Any, start: datetime, end: datetime, *, slot_id: Any = None
) -> AvailabilitySlot | None:
    """The tutor's slot that contains [start, end) (that very slot when `slot_id` is given),
    locked `FOR NO KEY UPDATE` (step 4); None when no slot holds that time any more (it was
    deleted, or never offered it). Bookings wait here only for bookings of the same slot."""
    slots = AvailabilitySlot.objects.select_for_update(no_key=True).filter(
        tutor_id=tutor_id, start__lte=start, end__gte=end
    )
    if slot_id is not None:
        slots = slots.filter(pk=slot_id)
    return slots.order_by("start").first()


def lock_slots_for_delete(slots: Any) -> list[AvailabilitySlot]:
    """Lock the slots of queryset `slots` `FOR UPDATE`, by id (step 4): a booking that holds
    one finishes first, and none can take one until the deleting transaction ends."""
    return list(slots.select_for_update().order_by("id"))
