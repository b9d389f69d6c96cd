"""The error codes of tutoring, in one place (API.md "Tutoring", docs/tutoring.md)."""

from enum import StrEnum


class TutoringError(StrEnum):
    SLOT_OVERLAP = "slot_overlap"  # 409: a slot overlapping another slot of the tutor
    SLOT_BOOKED = "slot_booked"  # 409: deleting a slot whose time is booked
    SLOT_UNAVAILABLE = "slot_unavailable"  # 409: the time is taken or not open for booking
    INVALID_TIME_RANGE = "invalid_time_range"  # 400: end not after start
    RANGE_TOO_LONG = "range_too_long"  # 400: a free-time window (from/to) over 62 days
    NAIVE_DATETIME = "naive_datetime"  # 400: a time without its UTC offset
    TIME_IN_PAST = "time_in_past"  # 400
    # 400: a slot (start..end) under 15 minutes or over 8 hours; a `duration_minutes` field
    # outside 15..480 is DRF's `min_value`/`max_value`, as its schema minimum/maximum say
    INVALID_DURATION = "invalid_duration"
    TOO_SHORT_NOTICE = "too_short_notice"  # 400: inside the tutor's minimum notice
    BEYOND_HORIZON = "beyond_booking_horizon"  # 400: too far ahead (BOOKING_HORIZON_DAYS)
    OWN_BOOKING = "cannot_book_yourself"  # 400
    AMBIGUOUS_BOOKING = "ambiguous_booking"  # 400: slot_id given with tutor_id/start/minutes
    TUTOR_NOT_BOOKABLE = "tutor_not_bookable"  # 400: not an instructor, or no hourly rate
    INVALID_BOOKING_STATE = "invalid_booking_state"  # 409: a move the state table refuses
    BOOKING_EXPIRED = "booking_expired"  # 400: paying a booking that expired
    NOT_BOOKING_STUDENT = "not_booking_student"  # 403: paying somebody else's booking
    RESCHEDULE_CLOSED = "reschedule_closed"  # 403: inside the cutoff
    REFUND_NOT_ALLOWED = "booking_refund_not_allowed"  # 403: inside the cutoff
    TESTIMONIAL_NOT_ALLOWED = "testimonial_not_allowed"  # 403: no completed booking
    ALREADY_REVIEWED = "already_reviewed"  # 409: one testimonial per booking
    INVALID_TIMEZONE = "invalid_timezone"  # 400
    TIME_OUT_OF_RANGE = "time_out_of_range"  # 400: a date before 1970 or after 2999
    PRICE_TOO_LOW = "price_too_low"  # 400: rate x duration rounds to nothing in the currency
