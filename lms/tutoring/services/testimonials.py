"""Testimonials: a student rates the tutor of a completed booking, once per booking."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from lms.accounts.models import User
from lms.audit.actions import AuditAction
from lms.audit.services import record
from lms.core.errors import Conflict, Invalid, PermissionDenied
from lms.core.requests import AnyRequest
from lms.notifications.models import Category
from lms.notifications.services import notify

from .. import locks
from ..errors import TutoringError
from ..models import Booking, BookingStatus, Testimonial, TutorSettings


@transaction.atomic
def create_testimonial(
    *,
    student: User,
    booking_id: Any,
    tutor_id: Any,
    rating: int,
    comment: str = "",
    request: AnyRequest = None,
) -> Testimonial:
    """Rate (1-5) the tutor of `booking_id`, a completed booking of `student`.

    403 `testimonial_not_allowed` without such a booking (somebody else's counts as none);
    400 when `tutor_id` is not that booking's tutor or the rating is out of range; 409
    `already_reviewed` for a second one of the booking (a unique constraint under a race).
    The tutor's rating is kept exact as a sum and a count of ratings (TutorSettings)."""
    if not 1 <= rating <= 5:
        raise Invalid("The rating is 1 to 5.", code="invalid_rating")
    booking = Booking.objects.filter(pk=booking_id, student_id=student.pk).first()
    if booking is None or booking.status != BookingStatus.COMPLETED:
        raise PermissionDenied(
            "You can rate a tutor after a completed lesson.",
            code=TutoringError.TESTIMONIAL_NOT_ALLOWED,
        )
    if str(booking.tutor_id) != str(tutor_id):
        raise Invalid("This booking is with another tutor.", code="tutor_mismatch")
    locks.lock_tutor(booking.tutor_id)
    if Testimonial.objects.filter(booking=booking).exists():
        raise _already()
    try:
        with transaction.atomic():
            testimonial = Testimonial.objects.create(
                booking=booking,
                tutor_id=booking.tutor_id,
                student=student,
                rating=rating,
                comment=comment,
            )
    except IntegrityError as exc:
        raise _already() from exc
    TutorSettings.objects.filter(tutor_id=booking.tutor_id).update(
        rating_sum=F("rating_sum") + rating, rating_count=F("rating_count") + 1
    )
    record(
        action=AuditAction.TESTIMONIAL_CREATED,
        actor=student,
        target=testimonial,
        request=request,
        data={"booking": str(booking.pk), "rating": rating},
    )
    notify(
        user=booking.tutor,
        category=Category.TUTORING,
        title="New testimonial",
        body=f"{student.full_name} rated your lesson {rating}/5.",
        data={"testimonial_id": str(testimonial.pk), "booking_id": str(booking.pk)},
        email=False,
    )
    return testimonial


def _already() -> Conflict:
    return Conflict(
        "This lesson already has your testimonial.", code=TutoringError.ALREADY_REVIEWED
    )
