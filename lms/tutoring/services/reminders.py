"""Lesson reminders, 24 hours and 1 hour before the start, each sent once.

The beat task (every 5 minutes) finds paid or confirmed bookings inside a reminder's window
whose reminder was not sent, and claims each with one conditional UPDATE (`... WHERE
reminded_24h_at IS NULL`): of two runs at once exactly one claims it and queues the emails
(one to the student, one to the tutor) after commit. A reschedule clears both stamps.
A booking made less than an hour ahead gets the 1-hour reminder only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import Booking, BookingStatus

REMINDERS = (
    ("reminded_24h_at", timedelta(hours=24)),
    ("reminded_1h_at", timedelta(hours=1)),
)


def send_due_reminders(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Claim and queue every due reminder; returns how many were claimed."""
    now = now or timezone.now()
    claimed = 0
    for field, ahead in REMINDERS:
        due = Booking.objects.filter(
            status__in=(BookingStatus.PAID, BookingStatus.CONFIRMED),
            start__gt=now,
            start__lte=now + ahead,
            **{f"{field}__isnull": True},
        ).values_list("pk", "start")[:limit]
        for booking_id, start in due:
            with transaction.atomic():
                won = Booking.objects.filter(pk=booking_id, **{f"{field}__isnull": True}).update(
                    **{field: now}
                )
                if not won:
                    continue
                # Inside the last hour the day-before reminder is stale: stamped, not sent.
                if field == "reminded_24h_at" and start - now <= timedelta(hours=1):
                    continue
                claimed += 1
                _queue(str(booking_id), field)
    return claimed


def _queue(booking_id: str, field: str) -> None:
    """The reminder's email, sent once the claiming transaction commits."""
    from ..tasks import send_booking_reminder_email

    send_booking_reminder_email.delay_on_commit(
        booking_id, "24h" if field == "reminded_24h_at" else "1h"
    )
