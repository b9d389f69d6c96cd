"""A refund covers order items of any kind: `Refund.reference_ids` holds each item's
reference (a booking's id here, a course's for a course), in the column first named
`course_ids`; the refund API keeps its documented field name `course_ids` for the same list."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms.catalog.tests.factories import PublishedCourseFactory
from lms.commerce.models import Refund
from lms.commerce.tests.conftest import buy

from .conftest import paid_booking

pytestmark = pytest.mark.django_db


def test_a_cancelled_lessons_refund_names_the_booking(student_client, slot):
    # given: a paid lesson, cancelled early (a full refund)
    booking = paid_booking(student_client, slot)

    # when
    response = student_client.post(f"/api/v1/bookings/{booking['id']}/cancel/", {})

    # then: the refund covers the booking's order item by the booking's id
    assert response.json()["status"] == "refunded"
    refund = Refund.objects.get()
    assert refund.reference_ids == [booking["id"]]
    assert refund.order.items.get().reference_id.hex == booking["id"].replace("-", "")


def test_a_course_refund_answers_its_references_as_course_ids(student_client):
    # given: a paid order of one course
    course = PublishedCourseFactory(price=Decimal("20.00"))
    order = buy(student_client, course)

    # when
    response = student_client.post(
        f"/api/v1/orders/{order['id']}/refund/", {"course_ids": [str(course.pk)]}, format="json"
    )

    # then: the API's `course_ids` is the refund's reference_ids
    assert response.status_code == 200, response.json()
    assert response.json()["course_ids"] == [str(course.pk)]
    assert Refund.objects.get().reference_ids == [str(course.pk)]
