"""Tutoring's registrations: the booking kind in commerce, personal data, the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.accounts import personal_data
from lms.commerce.sellables import sellable_kinds
from lms.core.errors import Conflict
from lms.tutoring import models as tutoring_models
from lms.tutoring import personal_data as tutoring_data
from lms.tutoring.models import AvailabilitySlot, Booking
from lms.tutoring.selectors import have_booking
from lms.tutoring.sellable import BookingKind

from .conftest import book_ok, paid_booking

pytestmark = pytest.mark.django_db


def test_booking_kind_is_registered_with_commerce():
    assert isinstance(sellable_kinds.get("booking"), BookingKind)
    assert personal_data.exporters.get("tutoring") is tutoring_data.export
    assert personal_data.erasers.get("tutoring") is tutoring_data.erase


def test_have_booking_only_once_paid(student_client, student, slot):
    booking = book_ok(student_client, slot_id=str(slot.pk))
    assert not have_booking(student.pk, slot.tutor_id)

    from .conftest import pay

    pay(student_client, booking["id"])

    assert have_booking(student.pk, slot.tutor_id)
    assert not have_booking(slot.tutor_id, student.pk)


def test_export_and_erase(student_client, student, slot):
    booking = paid_booking(student_client, slot)
    Booking.objects.filter(pk=booking["id"]).update(status="completed", completed_at=timezone.now())
    student_client.post(
        "/api/v1/testimonials/",
        {"tutor_id": str(slot.tutor_id), "booking_id": booking["id"], "rating": 5, "comment": "Hi"},
        format="json",
    )

    documents = {doc.path: doc.data for doc in tutoring_data.export(student)}
    tutor_documents = {doc.path: doc.data for doc in tutoring_data.export(slot.tutor)}

    assert [row["id"] for row in documents["tutoring/bookings.json"]] == [Booking.objects.get().pk]
    assert documents["tutoring/testimonials.json"][0]["comment"] == "Hi"
    assert len(tutor_documents["tutoring/availability.json"]["slots"]) == 1
    tutoring_data.refuse_deletion(student)  # completed: nothing upcoming
    tutoring_data.erase(student)
    tutoring_data.erase(slot.tutor)
    assert tutoring_models.Testimonial.objects.get().comment == ""
    assert tutoring_models.Testimonial.objects.get().rating == 5
    assert not AvailabilitySlot.objects.exists()


def test_an_upcoming_paid_lesson_blocks_deletion(student_client, student, slot):
    paid_booking(student_client, slot)

    with pytest.raises(Conflict) as caught:
        tutoring_data.refuse_deletion(student)

    assert caught.value.code == "upcoming_bookings"


def test_erase_cancels_pending_bookings(student_client, student, slot):
    book_ok(student_client, slot_id=str(slot.pk))

    tutoring_data.erase(student)

    assert Booking.objects.get().status == "cancelled"


def test_admin_lists_render(client, admin_user, slot, student_client):
    paid_booking(student_client, slot)
    client.force_login(admin_user)

    for path in (
        "/admin/tutoring/booking/",
        "/admin/tutoring/availabilityslot/",
        "/admin/tutoring/testimonial/",
        f"/admin/tutoring/booking/{Booking.objects.get().pk}/change/",
    ):
        assert client.get(path).status_code == 200, path


def test_admin_cancel_action_refunds(client, admin_user, slot, student_client):
    paid_booking(student_client, slot)
    client.force_login(admin_user)

    response = client.post(
        "/admin/tutoring/booking/",
        {"action": "cancel_with_refund", "_selected_action": [str(Booking.objects.get().pk)]},
    )

    assert response.status_code == 302
    assert Booking.objects.get().status == "refunded"
    assert timedelta(0) < Booking.objects.get().start - timezone.now()


def test_staff_who_may_only_view_bookings_are_not_offered_the_cancel_action(rf):
    from django.contrib import admin as django_admin
    from django.contrib.auth.models import Permission

    from lms.accounts.tests.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_booking"))
    changer = UserFactory(is_staff=True)
    changer.user_permissions.add(Permission.objects.get(codename="change_booking"))
    booking_admin = django_admin.site._registry[Booking]

    def offered(user):
        request = rf.get("/admin/tutoring/booking/")
        request.user = type(user).objects.get(pk=user.pk)  # a fresh permission cache
        return set(booking_admin.get_actions(request))

    assert offered(viewer) == set()
    assert offered(changer) == {"cancel_with_refund"}
