"""Tutoring's part of a person's export and deletion (lms.accounts.personal_data).

Export: bookings as student and as tutor (times, prices, states), testimonials written and
received, the tutor's slots, weekly availability and settings.
Deletion blocker: an upcoming paid or confirmed lesson (cancel it first: the other side is
owed a lesson or a refund), code `upcoming_bookings`.
Erase: the comments of testimonials the person wrote (ratings stay: the tutor's rating is
built on them), their future slots and weekly availability; pending bookings are cancelled.
Bookings themselves stay, tied to the anonymous placeholder: they are the records of paid
lessons (commerce keeps the orders).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.utils import timezone

from lms.accounts.personal_data import ExportAttachment, ExportDocument
from lms.core.errors import Conflict

from .models import (
    AvailabilitySlot,
    Booking,
    BookingStatus,
    CancelReason,
    Testimonial,
    TutorSettings,
    WeeklyAvailability,
)
from .services.states import transition_booking


def _booking_row(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "student_id": booking.student_id,
        "tutor_id": booking.tutor_id,
        "start": booking.start,
        "end": booking.end,
        "status": booking.status,
        "price": booking.price,
        "platform_fee": booking.platform_fee,
        "tutor_earning": booking.tutor_earning,
        "currency": booking.currency,
        "meeting_url": booking.meeting_url,
        "cancel_reason": booking.cancel_reason,
        "created_at": booking.created_at,
    }


def export(user: Any) -> Iterator[ExportDocument | ExportAttachment]:
    bookings = Booking.objects.filter(Q(student=user) | Q(tutor=user)).order_by("start")
    yield ExportDocument("tutoring/bookings.json", [_booking_row(b) for b in bookings])
    testimonials = Testimonial.objects.filter(Q(student=user) | Q(tutor=user)).order_by(
        "created_at"
    )
    yield ExportDocument(
        "tutoring/testimonials.json",
        [
            {
                "id": t.pk,
                "booking_id": t.booking_id,
                "tutor_id": t.tutor_id,
                "written_by_me": t.student_id == user.pk,
                "rating": t.rating,
                "comment": t.comment,
                "created_at": t.created_at,
            }
            for t in testimonials
        ],
    )
    yield ExportDocument(
        "tutoring/availability.json",
        {
            "slots": list(
                AvailabilitySlot.objects.filter(tutor=user).order_by("start").values("start", "end")
            ),
            "weekly": list(
                WeeklyAvailability.objects.filter(tutor=user).values(
                    "weekday", "start_time", "duration_minutes", "timezone", "starts_on", "ends_on"
                )
            ),
            "settings": list(
                TutorSettings.objects.filter(tutor=user).values(
                    "buffer_minutes", "min_notice_minutes"
                )
            ),
        },
    )


def refuse_deletion(user: Any) -> None:
    upcoming = Booking.objects.filter(
        Q(student=user) | Q(tutor=user),
        status__in=(BookingStatus.PAID, BookingStatus.CONFIRMED),
        end__gt=timezone.now(),
    )
    if upcoming.exists():
        raise Conflict(
            "Cancel your upcoming lessons before deleting your account.",
            code="upcoming_bookings",
        )


def erase(user: Any) -> None:
    now = timezone.now()
    Testimonial.objects.filter(student=user).exclude(comment="").update(comment="")
    AvailabilitySlot.objects.filter(tutor=user, start__gt=now).delete()
    WeeklyAvailability.objects.filter(tutor=user).delete()
    pending = Booking.objects.select_for_update().filter(
        Q(student=user) | Q(tutor=user), status=BookingStatus.PENDING
    )
    for booking in pending.order_by("id"):
        transition_booking(booking, BookingStatus.CANCELLED, data={"reason": "account_deleted"})
        booking.cancelled_at = now
        booking.cancel_reason = (
            CancelReason.STUDENT if booking.student_id == user.pk else CancelReason.TUTOR
        )
        booking.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
