"""Testimonials: only a student with a completed booking, once per booking; exact ratings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.conftest import error_codes
from lms.tutoring.models import Booking, TutorSettings

from .conftest import book_ok, paid_booking

pytestmark = pytest.mark.django_db


def complete(booking_id):
    Booking.objects.filter(pk=booking_id).update(status="completed", completed_at=timezone.now())


def post(client, booking, rating=5, **extra):
    body = {"tutor_id": booking["tutor"]["id"], "booking_id": booking["id"], "rating": rating}
    return client.post("/api/v1/testimonials/", {**body, **extra}, format="json")


def test_student_with_a_completed_booking_rates_once(
    student_client, anon_client, slot, django_assert_max_num_queries
):
    booking = paid_booking(student_client, slot)
    complete(booking["id"])

    created = post(student_client, booking, rating=4, comment="Clear and patient.")
    again = post(student_client, booking, rating=5)

    assert created.status_code == 201, created.json()
    assert created.json()["rating"] == 4
    assert again.status_code == 409
    assert error_codes(again) == ["already_reviewed"]
    with django_assert_max_num_queries(2):
        listed = anon_client.get(f"/api/v1/testimonials/?tutor={slot.tutor_id}")
    assert listed.json()["count"] == 1
    assert listed.json()["results"][0]["comment"] == "Clear and patient."
    card = anon_client.get(f"/api/v1/tutors/{slot.tutor_id}/").json()["tutor"]
    assert (card["rating"], card["testimonial_count"]) == (4.0, 1)


def test_without_a_completed_booking_is_403(student_client, client_for, other_student, slot):
    booking = paid_booking(student_client, slot)

    not_completed = post(student_client, booking)
    complete(booking["id"])
    somebody_else = post(client_for(other_student), booking)

    assert not_completed.status_code == 403
    assert error_codes(not_completed) == ["testimonial_not_allowed"]
    assert somebody_else.status_code == 403


def test_bad_input_is_400(student_client, anon_client, slot):
    booking = paid_booking(student_client, slot)
    complete(booking["id"])

    assert post(student_client, booking, rating=0).status_code == 400
    assert post(student_client, booking, rating=6).status_code == 400
    wrong_tutor = post(student_client, booking, tutor_id=str(booking["student"]["id"]))
    assert wrong_tutor.status_code == 400
    assert anon_client.get("/api/v1/testimonials/?tutor=nope").status_code == 400
    assert post(anon_client, booking).status_code == 401


def test_rating_is_exact_over_many(db, slot, client_for):
    from lms.accounts.tests.factories import UserFactory

    tutor = slot.tutor
    ratings = [5, 4, 4]
    for index, rating in enumerate(ratings):
        student = UserFactory()
        client = client_for(student)
        start = slot.start + timedelta(hours=index)
        booking = book_ok(
            client, tutor_id=str(tutor.pk), start=start.isoformat(), duration_minutes=60
        )
        Booking.objects.filter(pk=booking["id"]).update(status="completed", paid_at=timezone.now())
        assert post(client, booking, rating=rating).status_code == 201

    row = TutorSettings.objects.get(tutor=tutor)
    assert (row.rating_sum, row.rating_count) == (13, 3)
    assert client_for(tutor).get(f"/api/v1/tutors/{tutor.pk}/").json()["tutor"]["rating"] == 4.33
