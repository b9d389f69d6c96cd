"""Races and database guards that only PostgreSQL can show: the exclusion constraints over
tstzrange (btree_gist) and concurrent requests for the same time, payment or reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from lms.accounts.tests.factories import UserFactory
from lms.accounts.tokens import issue_token_pair
from lms.commerce.models import Refund
from lms.core.testing import run_at_once
from lms.tutoring import models as tutoring_models
from lms.tutoring.models import AvailabilitySlot, Booking
from lms.tutoring.services import create_slot, send_due_reminders
from lms.tutoring.testing import assert_tutoring_consistent

from .conftest import book_ok, hour, pay
from .factories import SlotFactory, TutorFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


@pytest.mark.django_db(transaction=True)
def test_six_students_booking_one_slot_at_once_exactly_one_wins():
    slot = SlotFactory(tutor=TutorFactory(), start=hour(), end=hour() + timedelta(hours=1))
    clients = [client_of(UserFactory()) for _ in range(6)]

    outcomes = run_at_once(
        6, lambda i: clients[i].post("/api/v1/bookings/", {"slot_id": str(slot.pk)}).status_code
    )

    codes = sorted(value for kind, value in outcomes if kind == "ok")
    assert codes == [201, 409, 409, 409, 409, 409], outcomes
    assert Booking.objects.count() == 1
    assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_overlapping_bookings_by_time_at_once_exactly_one_wins():
    tutor = TutorFactory()
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=4))
    clients = [client_of(UserFactory()) for _ in range(4)]

    def work(i):
        body = {
            "tutor_id": str(tutor.pk),
            "start": (start + timedelta(minutes=15 * i)).isoformat(),
            "duration_minutes": 60,
        }
        return clients[i].post("/api/v1/bookings/", body, format="json").status_code

    codes = sorted(value for kind, value in run_at_once(4, work) if kind == "ok")

    assert codes == [201, 409, 409, 409]
    assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_overlapping_availability_at_once_one_succeeds():
    tutor = TutorFactory()
    start = hour()

    outcomes = run_at_once(
        2,
        lambda i: create_slot(
            tutor=tutor,
            start=start + timedelta(minutes=30 * i),
            end=start + timedelta(minutes=30 * i + 60),
        ),
    )

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert error.code == "slot_overlap"
    assert AvailabilitySlot.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_exclusion_constraints_refuse_overlaps_written_around_the_services():
    tutor = TutorFactory()
    student = UserFactory()
    start = hour()
    AvailabilitySlot.objects.create(tutor=tutor, start=start, end=start + timedelta(hours=1))
    with pytest.raises(IntegrityError, match="tutoring_slot_no_overlap"), transaction.atomic():
        AvailabilitySlot.objects.create(
            tutor=tutor, start=start + timedelta(minutes=30), end=start + timedelta(hours=2)
        )
    fields = {
        "student": student, "tutor": tutor, "duration_minutes": 60, "hourly_rate": 40,
        "price": 40, "platform_fee": 6, "tutor_earning": 34, "currency": "USD",
        "refund_cutoff_hours": 24,
    }  # fmt: skip
    Booking.objects.create(
        start=start, end=start + timedelta(hours=1), blocked_end=start + timedelta(hours=1),
        status="paid", paid_at=timezone.now(), **fields,
    )  # fmt: skip
    with pytest.raises(IntegrityError, match="tutoring_booking_no_overlap"), transaction.atomic():
        Booking.objects.create(
            start=start + timedelta(minutes=59), end=start + timedelta(hours=2),
            blocked_end=start + timedelta(hours=2), **fields,
        )  # fmt: skip
    # back to back ([) ranges) and cancelled bookings do not hold time
    Booking.objects.create(
        start=start + timedelta(hours=1), end=start + timedelta(hours=2),
        blocked_end=start + timedelta(hours=2), **fields,
    )  # fmt: skip
    Booking.objects.create(
        start=start, end=start + timedelta(hours=1), blocked_end=start + timedelta(hours=1),
        status="cancelled", **fields,
    )  # fmt: skip
    assert Booking.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_cancelling_twice_at_once_refunds_once():
    tutor = TutorFactory()
    student = UserFactory()
    slot = SlotFactory(tutor=tutor, start=hour(), end=hour() + timedelta(hours=1))
    client = client_of(student)
    booking = book_ok(client, slot_id=str(slot.pk))
    pay(client, booking["id"])
    clients = [client_of(student), client_of(student)]

    outcomes = run_at_once(
        2,
        lambda i: clients[i].post(f"/api/v1/bookings/{booking['id']}/cancel/").status_code,
    )

    assert sorted(value for _, value in outcomes) == [200, 409]
    assert Refund.objects.count() == 1
    assert Booking.objects.get().status == "refunded"
    assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_two_testimonials_of_one_booking_at_once_one_is_kept():
    tutor = TutorFactory()
    student = UserFactory()
    slot = SlotFactory(tutor=tutor, start=hour(), end=hour() + timedelta(hours=1))
    client = client_of(student)
    booking = book_ok(client, slot_id=str(slot.pk))
    pay(client, booking["id"])
    Booking.objects.filter(pk=booking["id"]).update(status="completed", completed_at=timezone.now())
    clients = [client_of(student), client_of(student)]
    body = {"tutor_id": str(tutor.pk), "booking_id": booking["id"], "rating": 4}

    outcomes = run_at_once(
        2, lambda i: clients[i].post("/api/v1/testimonials/", body, format="json").status_code
    )

    assert sorted(value for _, value in outcomes) == [201, 409]
    assert tutoring_models.Testimonial.objects.count() == 1
    assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_reminder_task_twice_at_once_sends_each_reminder_once(mailoutbox):
    tutor = TutorFactory()
    student = UserFactory()
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=20)
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    client = client_of(student)
    booking = book_ok(client, slot_id=str(AvailabilitySlot.objects.get().pk))
    pay(client, booking["id"])
    mailoutbox.clear()

    outcomes = run_at_once(2, lambda _: send_due_reminders())

    assert sorted(value for _, value in outcomes) == [0, 1]
    assert len(mailoutbox) == 2  # the student's and the tutor's


@pytest.mark.django_db(transaction=True)
def test_a_reschedule_and_a_booking_racing_for_one_time_exactly_one_wins():
    tutor = TutorFactory()
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))
    mover, newcomer = UserFactory(), UserFactory()
    moving = book_ok(
        client_of(mover), tutor_id=str(tutor.pk), start=start.isoformat(), duration_minutes=60
    )
    target = (start + timedelta(hours=2)).isoformat()
    clients = [client_of(mover), client_of(newcomer)]

    def work(i):
        if i == 0:
            return (
                clients[0]
                .post(f"/api/v1/bookings/{moving['id']}/reschedule/", {"start": target})
                .status_code
            )
        body = {"tutor_id": str(tutor.pk), "start": target, "duration_minutes": 60}
        return clients[1].post("/api/v1/bookings/", body, format="json").status_code

    codes = sorted(value for _, value in run_at_once(2, work))

    assert codes in ([200, 409], [201, 409])
    assert_tutoring_consistent()
