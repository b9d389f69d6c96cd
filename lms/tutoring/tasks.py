"""Celery tasks of tutoring: thin wrappers over services (ids in, never instances)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings

from lms.core.email import send_templated_email
from lms.core.tasks import IDEMPOTENT, RETRIED

from . import services
from .models import Booking


@shared_task(**IDEMPOTENT)
def expire_pending_bookings() -> int:
    """Beat, every minute: unpaid bookings older than 15 minutes free their time."""
    return services.expire_pending_bookings()


@shared_task(**IDEMPOTENT)
def complete_due_bookings() -> int:
    """Beat, hourly: lessons that ended 24 hours ago are completed (the hold starts)."""
    return services.complete_due_bookings()


@shared_task(**IDEMPOTENT)
def send_due_reminders() -> int:
    """Beat, every 5 minutes: the 24-hour and 1-hour reminders, each claimed once."""
    return services.send_due_reminders()


@shared_task(**IDEMPOTENT)
def extend_weekly_availability() -> int:
    """Beat, daily: weekly availability expanded into slots up to the horizon."""
    return services.extend_weekly_availability()


@shared_task(**RETRIED)
def send_booking_reminder_email(booking_id: str, which: str) -> None:
    """One reminder email each to the student and the tutor of a booking."""
    booking = Booking.objects.select_related("student", "tutor").get(pk=booking_id)
    if booking.status not in ("paid", "confirmed"):
        return
    for person, other in ((booking.student, booking.tutor), (booking.tutor, booking.student)):
        context: dict[str, Any] = {
            "booking": booking,
            "person": person,
            "other_name": other.full_name,
            "which": which,
            "frontend_url": settings.FRONTEND_URL,
        }
        send_templated_email(to=person.email, template="tutoring_reminder", context=context)


@shared_task(**RETRIED, **IDEMPOTENT)
def refund_late_payment(order_id: str, student_id: str) -> str:
    """A payment that arrived after its booking's time went to somebody else: refunded in full
    through commerce (idempotent: a second run finds the refund under way or done)."""
    from lms.accounts.models import User
    from lms.commerce.services import request_refund
    from lms.core.errors import Conflict

    try:
        refund = request_refund(
            order_id=order_id,
            by=User.objects.get(pk=student_id),
            reason="Paid after the booking expired and its time was taken.",
        )
    except Conflict:
        return "already"
    return str(refund.status)
