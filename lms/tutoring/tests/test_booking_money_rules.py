"""A booking's money (issue 9, "Money, once"): its audit line shows the price as the API does
(`amount_string`: "40.00", "1000", "10.000"), and a booking checked out before its currency
left SUPPORTED_CURRENCIES is still paid and credited when the payment succeeds (the setting is
what the platform sells in, not a rule of the books)."""

from decimal import Decimal

import pytest

from lms.audit.models import AuditLog
from lms.payouts.models import Wallet
from lms.payouts.testing import assert_payouts_consistent

from .conftest import book_ok
from .factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db


def tutor_in(currency, rate):
    tutor = TutorFactory(
        instructor_profile__hourly_rate=Decimal(rate), instructor_profile__currency=currency
    )
    slot = SlotFactory(tutor=tutor)
    return tutor, slot


def book_slot(client, slot):
    return book_ok(
        client, tutor_id=str(slot.tutor_id), start=slot.start.isoformat(), duration_minutes=60
    )


@pytest.mark.parametrize(
    ("currency", "rate", "shown"),
    [("USD", "40.00", "40.00"), ("JPY", "1000", "1000"), ("KWD", "10.000", "10.000")],
)
def test_the_booking_audit_line_shows_the_api_price(student_client, currency, rate, shown):
    # given
    _, slot = tutor_in(currency, rate)

    # when
    booking = book_slot(student_client, slot)

    # then
    assert (booking["price"], booking["currency"]) == (shown, currency)
    line = AuditLog.objects.get(action="booking.created", target_id=booking["id"])
    assert (line.data["price"], line.data["currency"]) == (shown, currency)


def test_a_booking_checked_out_before_its_currency_was_dropped_is_paid(student_client, settings):
    # given: booked and checked out in KWD, then the platform stops selling in KWD
    tutor, slot = tutor_in("KWD", "10.000")
    booking = book_slot(student_client, slot)
    payment = student_client.post("/api/v1/payments/checkout/", {"booking_id": booking["id"]})
    assert payment.status_code == 200, payment.json()
    settings.SUPPORTED_CURRENCIES = [c for c in settings.SUPPORTED_CURRENCIES if c != "KWD"]

    # when: the money arrives
    done = student_client.post(
        f"/api/v1/payments/{payment.json()['payment_id']}/simulate/", {"outcome": "succeeded"}
    )

    # then: the booking is paid and the tutor's KWD wallet credited
    assert done.status_code == 200, done.json()
    shown = student_client.get(f"/api/v1/bookings/{booking['id']}/").json()
    assert shown["status"] in {"paid", "confirmed"}
    assert Wallet.objects.get(instructor=tutor, currency="KWD").pending > 0
    assert_payouts_consistent()
