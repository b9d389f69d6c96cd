"""The tutoring demo seeder: the one-off slot it promises, the completed lesson on its slot,
and a second run that changes nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from lms.accounts.tests.factories import UserFactory
from lms.tutoring import demo
from lms.tutoring.models import AvailabilitySlot, Booking, BookingStatus

from .factories import TutorFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)  # a Wednesday


def _counts():
    return AvailabilitySlot.objects.count(), Booking.objects.count()


def test_demo_makes_a_one_off_slot_and_a_completed_lesson_on_its_slot_once():
    alan = TutorFactory(email="alan@demo.learnflow.local")
    TutorFactory(email="frida@demo.learnflow.local")
    UserFactory(email="student@demo.learnflow.local")
    UserFactory(email="lee@demo.learnflow.local")

    with time_machine.travel(NOW, tick=False):
        demo.seed(io.StringIO())
        first = _counts()
        demo.seed(io.StringIO())

        assert _counts() == first
        one_off = AvailabilitySlot.objects.get(tutor=alan, weekly__isnull=True, start__gt=NOW)
    london = one_off.start.astimezone(ZoneInfo("Europe/London"))
    # the next Saturday at least two days ahead, 10:00-12:00 London time
    assert (london.date().isoformat(), london.time()) == ("2027-03-13", time(10, 0))
    assert (one_off.end - one_off.start).total_seconds() == 2 * 3600
    completed = Booking.objects.get(status=BookingStatus.COMPLETED)
    assert completed.slot_id is not None
    assert (completed.slot.start, completed.slot.end) == (completed.start, completed.end)
    assert Booking.objects.filter(status=BookingStatus.PAID, tutor=alan).count() == 1
