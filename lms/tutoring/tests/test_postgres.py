"""Races and database guards that only PostgreSQL can show: the exclusion constraints over
tstzrange (btree_gist) and concurrent requests for the same time, payment or reminder."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

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
from lms.tutoring.services.bookings import _save_guarded
from lms.tutoring.testing import assert_tutoring_consistent

from .conftest import book, book_ok, hour, pay
from .factories import SlotFactory, TutorFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def client_of(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


def book_time(client, tutor, start, *, minutes):
    """A booking of `tutor` by time (`start` a datetime or its ISO text); the status code."""
    start = start if isinstance(start, str) else start.isoformat()
    return book(client, tutor_id=str(tutor.pk), start=start, duration_minutes=minutes).status_code


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
        return book_time(clients[i], tutor, start + timedelta(minutes=15 * i), minutes=60)

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
        return book_time(clients[1], tutor, target, minutes=60)

    codes = sorted(value for _, value in run_at_once(2, work))

    assert codes in ([200, 409], [201, 409])
    assert_tutoring_consistent()


# --- a booking takes no tutor lock (lms/tutoring/locks.py) ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_eight_students_booking_different_times_of_one_tutor_at_once_all_win():
    tutor = TutorFactory()
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=2))  # the same slot
    SlotFactory(tutor=tutor, start=hour(days=4), end=hour(days=4) + timedelta(hours=2))
    times = [start + timedelta(minutes=30 * i) for i in range(4)]
    times += [hour(days=4) + timedelta(minutes=30 * i) for i in range(4)]
    clients = [client_of(UserFactory()) for _ in range(8)]

    def work(i):
        return book_time(clients[i], tutor, times[i], minutes=30)

    outcomes = run_at_once(8, work)

    assert [value for _, value in outcomes] == [201] * 8, outcomes
    assert Booking.objects.filter(tutor=tutor, status="pending").count() == 8
    assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_bookings_overlapping_only_through_the_buffer_in_two_slots_at_once_one_wins():
    """Two slots back to back; with a 30-minute buffer, a lesson at the end of the first
    blocks the start of the second. The two bookings hold different slots, so only the
    exclusion constraint stands between them (or PostgreSQL's deadlock detector, when each
    insert waits for the other): exactly one 201, never a 500."""
    tutor = TutorFactory()
    tutoring_models.TutorSettings.objects.create(tutor=tutor, buffer_minutes=30)
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=1))
    SlotFactory(tutor=tutor, start=start + timedelta(hours=1), end=start + timedelta(hours=2))
    times = [start + timedelta(minutes=30), start + timedelta(hours=1)]
    for attempt in range(3):  # a few rounds: the two inserts meet in different orders
        Booking.objects.all().delete()
        clients = [client_of(UserFactory()) for _ in range(2)]

        def work(i, clients=clients):
            return book_time(clients[i], tutor, times[i], minutes=30)

        codes = sorted(value for _, value in run_at_once(2, work))

        assert codes == [201, 409], (attempt, codes)
        assert Booking.objects.count() == 1
        assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_a_booking_and_the_deletion_of_its_slot_at_once_never_both_succeed():
    tutor = TutorFactory()
    start = hour()
    tutor_client = client_of(tutor)
    for attempt in range(3):
        Booking.objects.all().delete()
        AvailabilitySlot.objects.all().delete()
        slot = SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=2))
        student = client_of(UserFactory())

        def work(i, slot=slot, student=student):
            if i == 0:
                return tutor_client.delete(f"/api/v1/availability-slots/{slot.pk}/").status_code
            return book_time(student, tutor, start, minutes=60)

        deleted, booked = (value for _, value in run_at_once(2, work))

        assert (deleted, booked) in ((204, 409), (409, 201)), (attempt, deleted, booked)
        if booked == 201:
            assert Booking.objects.get().slot_id == slot.pk
            assert AvailabilitySlot.objects.filter(pk=slot.pk).exists()
        else:
            assert not Booking.objects.exists()
            assert not AvailabilitySlot.objects.exists()
        assert_tutoring_consistent()


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_writes_waiting_on_each_other_end_in_a_409_not_a_500():
    """Each transaction writes one booking, then one over the other's: each insert waits for
    the other transaction (the exclusion constraint), PostgreSQL's deadlock detector ends one
    (40P01), and the service answers it as the lost race it is: 409 `slot_unavailable`."""
    tutor = TutorFactory()
    students = [UserFactory(), UserFactory()]
    starts = [hour(), hour() + timedelta(hours=2)]
    after_first = threading.Barrier(2)

    def booking(i, start):
        return Booking(
            student=students[i], tutor=tutor, start=start, end=start + timedelta(minutes=30),
            blocked_end=start + timedelta(minutes=30), duration_minutes=30,
            hourly_rate=Decimal(40), price=Decimal(20), platform_fee=Decimal(3),
            tutor_earning=Decimal(17), currency="USD", refund_cutoff_hours=24,
        )  # fmt: skip

    def work(i):
        with transaction.atomic():
            booking(i, starts[i]).save(force_insert=True)
            after_first.wait(timeout=10)
            _save_guarded(booking(i, starts[1 - i]), force_insert=True)
        return "saved"

    outcomes = run_at_once(2, work)

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"], outcomes
    [error] = [value for kind, value in outcomes if kind == "error"]
    assert error.status_code == 409, error
    assert error.code == "slot_unavailable"
    assert Booking.objects.count() == 2  # the winner's two
    assert_tutoring_consistent()
