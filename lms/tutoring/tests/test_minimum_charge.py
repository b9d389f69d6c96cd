"""A lesson below the payment provider's minimum charge is refused when it is booked, not at
checkout: a booking is paid alone, in one payment (lms.core.money.charge_limits)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from lms.conftest import error_codes
from lms.tutoring.tests.conftest import book, hour
from lms.tutoring.tests.factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cheap_tutor(db: None) -> Any:
    tutor = TutorFactory(instructor_profile__hourly_rate=Decimal("1.00"))
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))
    return tutor


def _book(client: Any, tutor: Any, minutes: int) -> Any:
    return book(client, tutor_id=str(tutor.pk), start=hour().isoformat(), duration_minutes=minutes)


def test_with_stripe_a_lesson_under_its_minimum_is_refused_when_booked(
    settings, client_for, student, cheap_tutor
):
    # given: Stripe charges at least 0.50 USD; 15 minutes at 1.00 USD an hour cost 0.25 USD
    settings.PAYMENT_PROVIDER = "stripe"
    client = client_for(student)

    # when
    response = _book(client, cheap_tutor, 15)

    # then
    assert response.status_code == 400
    assert error_codes(response) == ["below_minimum_charge"]
    assert "0.50 USD" in str(response.json())


def test_with_stripe_a_lesson_at_its_minimum_is_booked(settings, client_for, student, cheap_tutor):
    settings.PAYMENT_PROVIDER = "stripe"

    response = _book(client_for(student), cheap_tutor, 30)  # 0.50 USD

    assert response.status_code == 201, response.json()
    assert response.json()["price"] == "0.50"


def test_the_fake_provider_charges_any_unit(client_for, student, cheap_tutor):
    response = _book(client_for(student), cheap_tutor, 15)

    assert response.status_code == 201, response.json()
