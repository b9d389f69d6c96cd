"""Reads of tutoring: tutors, free time, bookings, testimonials."""

from __future__ import annotations

from typing import Any

from .models import SHARED_STATUSES, Booking


def have_booking(student_id: Any, tutor_id: Any) -> bool:
    """Whether `student_id` has booked `tutor_id` and the booking is paid, confirmed or
    completed (what lets the two message each other). One query."""
    return Booking.objects.filter(
        student_id=student_id, tutor_id=tutor_id, status__in=SHARED_STATUSES
    ).exists()
