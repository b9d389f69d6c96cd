"""Demo tutoring data for `manage.py seed_demo`: two tutors with rates, weekly availability in
their own timezones and a one-off slot (Alan, the next Saturday at least two days ahead,
10:00-12:00 London time); a paid upcoming lesson and a completed one (on its own slot) with
a testimonial.

Bookings are paid through the real flow (commerce's checkout of a booking with the fake
provider), so the tutor's earning is in the ledger. The completed lesson is a past one: its
booking row is written directly (a booking cannot be made in the past through the service),
then paid, completed and rated through the services. Idempotent: weekly rules and the one-off
slot are made once (a tutor with a rule, or with a future one-off slot, is left as is), and
a demo student who already booked the tutor is skipped.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from lms.accounts.models import InstructorProfile, User
from lms.commerce import services as commerce

from . import services
from .models import AvailabilitySlot, Booking, WeeklyAvailability

TUTORS = [
    # email, hourly rate, currency, timezone, languages, weekly (weekday, local time, minutes)
    ("alan@demo.learnflow.local", Decimal("45.00"), "USD", "Europe/London", ["en", "de"],
     [(0, time(18, 0), 120), (2, time(18, 0), 120)]),
    ("frida@demo.learnflow.local", Decimal("30.00"), "USD", "America/Mexico_City", ["es", "en"],
     [(1, time(10, 0), 180), (3, time(10, 0), 180)]),
]  # fmt: skip
STUDENT = "student@demo.learnflow.local"
OTHER_STUDENT = "lee@demo.learnflow.local"


def _tutor(email: str, rate: Decimal, currency: str, zone: str, languages: list[str]) -> User:
    user = User.objects.get(email=email)
    InstructorProfile.objects.filter(user=user).update(
        hourly_rate=rate, currency=currency, timezone=zone, languages=languages
    )
    return User.objects.select_related("instructor_profile").get(pk=user.pk)


def _pay(booking: Booking, buyer: User) -> None:
    order = commerce.place_item_order(user=buyer, kind="booking", reference_id=booking.pk)
    payment = commerce.checkout_order(order_id=order.pk, by=buyer)
    commerce.simulate_payment(payment=payment, outcome="succeeded")


def _completed_lesson(tutor: User, student: User) -> Booking:
    """A lesson last week, paid, completed and rated."""
    start = (timezone.now() - timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=1)
    profile = tutor.instructor_profile
    price = services.price_of(tutor=tutor, hourly_rate=services.hourly_rate_of(profile), minutes=60)
    slot, _ = AvailabilitySlot.objects.get_or_create(tutor=tutor, start=start, end=end)
    booking = Booking.objects.create(
        student=student, tutor=tutor, slot=slot, start=start, end=end, blocked_end=end,
        duration_minutes=60, tutor_timezone=profile.timezone, hourly_rate=price.hourly_rate.amount,
        price=price.price.amount, platform_fee=price.platform_fee.amount,
        tutor_earning=price.tutor_earning.amount,
        currency=price.currency, refund_cutoff_hours=settings.BOOKING_REFUND_CUTOFF_HOURS,
        expires_at=timezone.now() + timedelta(minutes=15),
        meeting_url="https://meet.jit.si/learnflow-demo-lesson",
    )  # fmt: skip
    _pay(booking, student)
    services.complete_booking(by=tutor, booking_id=booking.pk)
    services.create_testimonial(
        student=student,
        booking_id=booking.pk,
        tutor_id=tutor.pk,
        rating=5,
        comment="Patient, clear, and the exercises made it click.",
    )
    return booking


def _one_off_slot(tutor: User) -> None:
    """Two hours on the next Saturday at least two days ahead, 10:00 in the tutor's zone
    (no weekly rule of the demo falls on a Saturday); once: kept while a future one-off slot
    of the tutor exists."""
    now = timezone.now()
    if AvailabilitySlot.objects.filter(tutor=tutor, weekly__isnull=True, start__gt=now).exists():
        return
    local_zone = ZoneInfo(tutor.instructor_profile.timezone)
    day = (now + timedelta(days=2)).astimezone(local_zone).date()
    day += timedelta(days=(5 - day.weekday()) % 7)
    start = datetime.combine(day, time(10, 0), tzinfo=local_zone)
    services.create_slot(tutor=tutor, start=start, end=start + timedelta(hours=2))


def seed(stdout: Any) -> None:
    if settings.PAYMENT_PROVIDER != "fake":
        stdout.write("tutoring demo: skipped (PAYMENT_PROVIDER is not 'fake')")
        return
    student = User.objects.filter(email=STUDENT).first()
    other = User.objects.filter(email=OTHER_STUDENT).first()
    tutors = []
    for email, rate, currency, zone, languages, weekly in TUTORS:
        if not User.objects.filter(email=email).exists():
            return
        tutor = _tutor(email, rate, currency, zone, languages)
        tutors.append(tutor)
        if not WeeklyAvailability.objects.filter(tutor=tutor).exists():
            for weekday, at, minutes in weekly:
                services.create_weekly(
                    tutor=tutor, weekday=weekday, start_time=at, duration_minutes=minutes
                )
    alan, frida = tutors
    _one_off_slot(alan)
    if student is None or other is None or Booking.objects.filter(student=student).exists():
        stdout.write("tutoring demo: tutors ready (bookings already seeded)")
        return
    upcoming = (
        AvailabilitySlot.objects.filter(tutor=alan, start__gt=timezone.now() + timedelta(days=2))
        .order_by("start")
        .first()
    )
    if upcoming is not None:
        booking = services.create_booking(
            student=student, tutor_id=alan.pk, start=upcoming.start, duration_minutes=60
        )
        _pay(booking, student)
    _completed_lesson(frida, other)
    stdout.write(
        "tutoring demo: 2 tutors with weekly availability (Alan also a one-off Saturday "
        "slot), 1 paid lesson "
        f"({STUDENT} with Alan), 1 completed lesson with a testimonial"
    )
