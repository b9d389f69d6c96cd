"""A booking as an RFC 5545 event (icalendar): one VEVENT with a stable UID, DTSTART/DTEND in
UTC, the tutor as ORGANIZER and the student as ATTENDEE, and SEQUENCE = the booking's
`sequence` (it increases on every reschedule, meeting-link change and cancellation, so
calendars replace the earlier copy)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Booking, BookingStatus


def _person(user: Any) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.full_name)
    return address


def booking_ics(booking: Booking) -> bytes:
    """The calendar file of a booking (student and tutor loaded)."""
    calendar = Calendar()
    calendar.add("prodid", "-//LearnFlow//Tutoring//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    host = str(getattr(settings, "TUTORING_ICS_DOMAIN", "learnflow"))
    event.add("uid", f"booking-{booking.pk}@{host}")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", booking.start.astimezone(UTC))
    event.add("dtend", booking.end.astimezone(UTC))
    event.add("sequence", booking.sequence)
    event.add("summary", f"Lesson: {booking.student.full_name} with {booking.tutor.full_name}")
    cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.REFUNDED)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if booking.meeting_url:
        event.add("location", booking.meeting_url)
        event.add("url", booking.meeting_url)
    event["organizer"] = _person(booking.tutor)
    attendee = _person(booking.student)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()
