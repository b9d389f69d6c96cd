"""The booking's iCalendar event, its SEQUENCE, and reminders sent once each."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from lms.tutoring.models import Booking
from lms.tutoring.services import send_due_reminders

from .conftest import book_ok, paid_booking
from .factories import SlotFactory

pytestmark = pytest.mark.django_db


def event_of(response):
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    return event


def test_ics_is_an_rfc5545_event(student_client, client_for, student, slot):
    booking = paid_booking(student_client, slot)

    response = student_client.get(f"/api/v1/bookings/{booking['id']}/ics/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    event = event_of(response)
    assert str(event["uid"]) == f"booking-{booking['id']}@learnflow"
    assert event.decoded("dtstart") == slot.start.astimezone(UTC)
    assert event.decoded("dtstart").tzinfo is not None
    assert b"DTSTART:" in response.content
    assert b"Z\r\n" in response.content
    assert event.decoded("dtend") == (slot.start + timedelta(hours=1)).astimezone(UTC)
    assert str(event["organizer"]) == f"mailto:{slot.tutor.email}"
    assert str(event["attendee"]) == f"mailto:{student.email}"
    assert int(event["sequence"]) == 0
    assert str(event["location"]) == booking["meeting_url"]
    assert client_for(slot.tutor).get(f"/api/v1/bookings/{booking['id']}/ics/").status_code == 200


def test_sequence_increases_on_reschedule_and_cancel(student_client, slot):
    booking = paid_booking(student_client, slot)
    student_client.post(
        f"/api/v1/bookings/{booking['id']}/reschedule/",
        {"start": (slot.start + timedelta(hours=1)).isoformat()},
    )
    moved = event_of(student_client.get(f"/api/v1/bookings/{booking['id']}/ics/"))
    student_client.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    cancelled = event_of(student_client.get(f"/api/v1/bookings/{booking['id']}/ics/"))

    assert int(moved["sequence"]) == 1
    assert moved.decoded("dtstart") == slot.start + timedelta(hours=1)
    assert int(cancelled["sequence"]) == 2
    assert str(cancelled["status"]) == "CANCELLED"


def test_reminders_24h_and_1h_each_once(
    student_client, tutor, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=30)
    slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    paid_booking(student_client, slot)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        early = send_due_reminders(now=start - timedelta(hours=25))
        day_before = send_due_reminders(now=start - timedelta(hours=23))
        twice = send_due_reminders(now=start - timedelta(hours=22))
        hour_before = send_due_reminders(now=start - timedelta(minutes=50))
        again = send_due_reminders(now=start - timedelta(minutes=40))

    assert (early, day_before, twice, hour_before, again) == (0, 1, 0, 1, 0)
    assert len(mailoutbox) == 4  # student and tutor, twice
    subjects = sorted(message.subject for message in mailoutbox)
    assert subjects[0].startswith("In one hour")
    assert subjects[-1].startswith("Tomorrow")
    assert {tuple(message.to) for message in mailoutbox} == {
        (slot.tutor.email,),
        (Booking.objects.get().student.email,),
    }


def test_booking_inside_the_last_hour_gets_only_the_1h_reminder(
    student_client, tutor, mailoutbox, django_capture_on_commit_callbacks
):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=45)
    slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    paid_booking(student_client, slot)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = send_due_reminders()

    assert sent == 1
    assert len(mailoutbox) == 2
    row = Booking.objects.get()
    assert row.reminded_24h_at is not None
    assert row.reminded_1h_at is not None


def test_pending_and_cancelled_bookings_get_no_reminder(student_client, tutor):
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(minutes=45)
    slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    book_ok(student_client, slot_id=str(slot.pk))

    assert send_due_reminders() == 0
