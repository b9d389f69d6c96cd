"""`available_on` is decided by the database (`selectors.has_free_window`); the free windows
of a tutor are computed in Python (`timing.free_windows`). Both must give the same answer for
every layout of slots and bookings, tutors' minimum notices and booking horizon: checked on
random layouts, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F

from lms.accounts.models import InstructorProfile
from lms.accounts.tests.factories import UserFactory
from lms.tutoring import selectors
from lms.tutoring.models import AvailabilitySlot, Booking, BookingStatus, TutorSettings
from lms.tutoring.timing import day_bounds

from .factories import TutorFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 10, 7, 30, tzinfo=UTC)  # not on a quarter hour
STATUSES = [*BookingStatus.values]


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    """A duration in whole minutes, sometimes with seconds (exact 15-minute edges and not)."""
    seconds = rng.choice([0, 0, 0, 30, 59])
    return timedelta(minutes=rng.randint(low, high), seconds=seconds)


def _layout(rng: random.Random, tutors: list, student) -> None:
    """Random slots (no overlap per tutor) around NOW and the next days, and bookings in and
    around them: active ones never overlapping (the exclusion constraint), others anywhere."""
    slots, bookings = [], []
    for tutor in tutors:
        cursor = NOW - timedelta(hours=rng.randint(0, 30))
        for _ in range(rng.randint(0, 5)):
            cursor += _minutes(rng, 0, 600)
            end = cursor + _minutes(rng, 15, 480)
            slots.append(AvailabilitySlot(tutor=tutor, start=cursor, end=end))
            busy_until = cursor - timedelta(minutes=rng.choice([0, 10, 20]))
            for _ in range(rng.randint(0, 4)):
                start = busy_until + _minutes(rng, 0, 90)
                booking_end = start + _minutes(rng, 15, 120)
                blocked_end = booking_end + timedelta(minutes=rng.choice([0, 0, 5, 15, 30]))
                status = rng.choice(STATUSES)
                if status in ("pending", "paid", "confirmed", "completed"):
                    busy_until = blocked_end
                bookings.append(
                    Booking(
                        student=student,
                        tutor=tutor,
                        start=start,
                        end=booking_end,
                        blocked_end=blocked_end,
                        duration_minutes=int((booking_end - start).total_seconds() // 60),
                        status=status,
                        hourly_rate=Decimal("40.00"),
                        price=Decimal("20.00"),
                        platform_fee=Decimal("3.00"),
                        tutor_earning=Decimal("17.00"),
                        currency="USD",
                        refund_cutoff_hours=24,
                        paid_at=None if status in ("pending", "cancelled") else NOW,
                    )
                )
            cursor = max(end, busy_until)
    AvailabilitySlot.objects.bulk_create(slots)
    Booking.objects.bulk_create(bookings)


def _notices(rng: random.Random, tutors: list) -> None:
    """Some tutors without a settings row (no notice), others with 0 to a day and a half."""
    for tutor in tutors:
        if rng.random() < 0.75:
            TutorSettings.objects.update_or_create(
                tutor=tutor,
                defaults={"min_notice_minutes": rng.choice([0, 0, 7, 15, 60, 120, 600, 2160])},
            )
        else:
            TutorSettings.objects.filter(tutor=tutor).delete()


@pytest.mark.parametrize("seed", range(6))
def test_the_database_answers_as_the_python_windows(seed, settings):
    rng = random.Random(seed)
    # the horizon falls inside the days asked about (1 or 2 days ahead), or past them
    settings.BOOKING_HORIZON_DAYS = rng.choice([1, 2, 30])
    student = UserFactory()
    tutors = [TutorFactory() for _ in range(8)]
    _layout(rng, tutors, student)
    _notices(rng, tutors)
    profiles = InstructorProfile.objects.filter(user__in=tutors)
    with time_machine.travel(NOW, tick=False):
        for day_offset in (-1, 0, 1, 2, 3):
            for tz in ("UTC", "Asia/Tokyo", "America/New_York"):
                day = (NOW + timedelta(days=day_offset)).date()
                start, end = day_bounds(day, ZoneInfo(tz))
                expected = selectors.tutors_free_between(start=start, end=end, tutor_ids=None)
                found = set(
                    profiles.filter(
                        selectors.has_free_window(start=start, end=end, tutor=F("user_id"))
                    ).values_list("user_id", flat=True)
                )
                assert found == expected & {t.pk for t in tutors}, (seed, day, tz)
