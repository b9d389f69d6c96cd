"""Tutoring test helpers: a bookable tutor with slots, the booking and payment flows through
the API, and the invariant check after every test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from lms.tutoring.testing import assert_tutoring_consistent

from .factories import SlotFactory, TutorFactory


@pytest.fixture(autouse=True)
def _tutoring_invariants_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    uses_db = {"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)
    if uses_db or request.node.get_closest_marker("django_db"):
        assert_tutoring_consistent()


def hour(days: int = 3, at: int = 10) -> datetime:
    """A whole hour `days` ahead, in UTC."""
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    return base.replace(hour=at)


@pytest.fixture
def tutor(db: None) -> Any:
    return TutorFactory(instructor_profile__hourly_rate=Decimal("40.00"))


@pytest.fixture
def tutor_client(client_for: Callable[[Any], APIClient], tutor: Any) -> APIClient:
    return client_for(tutor)


@pytest.fixture
def slot(tutor: Any) -> Any:
    """10:00-13:00 UTC three days ahead."""
    start = hour()
    return SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))


def book(client: APIClient, **body: Any) -> Any:
    return client.post("/api/v1/bookings/", body, format="json")


def book_ok(client: APIClient, **body: Any) -> dict[str, Any]:
    response = book(client, **body)
    assert response.status_code == 201, response.json()
    return response.json()


def pay(client: APIClient, booking_id: str) -> dict[str, Any]:
    """Checkout through commerce and a simulated success of the fake provider."""
    response = client.post("/api/v1/payments/checkout/", {"booking_id": booking_id})
    assert response.status_code == 200, response.json()
    payment = response.json()
    done = client.post(
        f"/api/v1/payments/{payment['payment_id']}/simulate/", {"outcome": "succeeded"}
    )
    assert done.status_code == 200, done.json()
    return client.get(f"/api/v1/bookings/{booking_id}/").json()


def paid_booking(client: APIClient, slot: Any, minutes: int = 60) -> dict[str, Any]:
    booking = book_ok(
        client, tutor_id=str(slot.tutor_id), start=slot.start.isoformat(), duration_minutes=minutes
    )
    return pay(client, booking["id"])


def completed_lesson(*, student: Any, tutor: Any, days_ago: int = 2) -> Any:
    """A paid, completed hour of `student` with `tutor` (40 USD), `days_ago` days ago."""
    from lms.tutoring.models import Booking

    start = timezone.now() - timedelta(days=days_ago)
    return Booking.objects.create(
        student=student,
        tutor=tutor,
        start=start,
        end=start + timedelta(hours=1),
        blocked_end=start + timedelta(hours=1),
        duration_minutes=60,
        status="completed",
        hourly_rate=Decimal("40"),
        price=Decimal("40"),
        platform_fee=Decimal("6"),
        tutor_earning=Decimal("34"),
        currency="USD",
        refund_cutoff_hours=24,
        paid_at=start - timedelta(days=1),
        completed_at=start + timedelta(hours=1),
    )


def rate(tutor: Any, *ratings: int) -> None:
    """Completed lessons of `tutor` with one testimonial each (through the service)."""
    from lms.accounts.tests.factories import UserFactory
    from lms.tutoring.services import create_testimonial

    for index, rating in enumerate(ratings):
        student = UserFactory()
        booking = completed_lesson(student=student, tutor=tutor, days_ago=index + 2)
        create_testimonial(student=student, booking_id=booking.pk, tutor_id=tutor.pk, rating=rating)
