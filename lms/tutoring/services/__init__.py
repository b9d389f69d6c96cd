"""Every write of tutoring, one module per section; this package's names are its API.

- `availability`: one-off slots, weekly availability and its expansion;
- `bookings`: create (priced), confirm, complete (and automatically), reschedule, cancel
  (with commerce's refund when the policy gives one), expire unpaid ones;
- `earnings`: when a booking's earning leaves its hold in the ledger;
- `reminders`: the 24-hour and 1-hour reminders, each once;
- `testimonials`: one rating per completed booking;
- `states`: the booking's state machine.

Lock order: lms/tutoring/locks.py. Payment and refunds go through commerce (the booking is
a sellable kind: lms/tutoring/sellable.py).
"""

from .availability import (
    create_slot,
    create_weekly,
    delete_slot,
    delete_weekly,
    extend_weekly_availability,
    tutor_timezone,
    update_settings,
)
from .bookings import (
    cancel_booking,
    complete_booking,
    complete_due_bookings,
    confirm_booking,
    create_booking,
    expire_pending_bookings,
    hourly_rate_of,
    price_of,
    refund_due,
    reschedule_booking,
    set_meeting_url,
)
from .reminders import send_due_reminders
from .states import BOOKING_STATES, BOOKING_TRANSITIONS, transition_booking
from .testimonials import create_testimonial

__all__ = [
    "BOOKING_STATES",
    "BOOKING_TRANSITIONS",
    "cancel_booking",
    "complete_booking",
    "complete_due_bookings",
    "confirm_booking",
    "create_booking",
    "create_slot",
    "create_testimonial",
    "create_weekly",
    "delete_slot",
    "delete_weekly",
    "expire_pending_bookings",
    "extend_weekly_availability",
    "hourly_rate_of",
    "price_of",
    "refund_due",
    "reschedule_booking",
    "send_due_reminders",
    "set_meeting_url",
    "transition_booking",
    "tutor_timezone",
    "update_settings",
]
