"""The receipt email: every amount in the currency's own decimals (USD two, JPY none, KWD
three; the stored columns have three), and the closing words follow what was bought."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from lms.commerce.models import Coupon, CouponKind, CouponScope
from lms.commerce.tests.conftest import add_to_cart, checkout, simulate
from lms.notifications.models import Notification
from lms.tutoring.tests.conftest import hour
from lms.tutoring.tests.factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db


def receipt_of(client, capture, order_or_payment):
    with capture(execute=True):
        assert simulate(client, order_or_payment["payment_id"]).status_code == 200
    [receipt] = [m for m in mail.outbox if "receipt" in m.subject.lower()]
    [(html, _type)] = receipt.alternatives
    return receipt.body, html


@pytest.mark.parametrize(
    ("currency", "price", "subtotal", "discount", "total"),
    [
        ("USD", "50.00", "50.00 USD", "5.00 USD", "45.00 USD"),
        ("JPY", "1500", "1500 JPY", "150 JPY", "1350 JPY"),
        ("KWD", "12.340", "12.340 KWD", "1.234 KWD", "11.106 KWD"),
    ],
)
def test_the_receipt_shows_each_amount_in_its_currency_decimals(
    currency,
    price,
    subtotal,
    discount,
    total,
    student_client,
    course_factory,
    admin_user,
    django_capture_on_commit_callbacks,
):
    # given: a course in the currency, bought with a 10% coupon
    course = course_factory(price=Decimal(price), currency=currency, title="Numbers")
    Coupon.objects.create(
        code="TEN",
        kind=CouponKind.PERCENT,
        value=Decimal("10"),
        scope=CouponScope.PLATFORM,
        created_by=admin_user,
    )
    add_to_cart(student_client, course)
    assert student_client.post("/api/v1/cart/coupon/", {"code": "TEN"}).status_code == 200
    order = student_client.post("/api/v1/orders/", {}, format="json").json()

    # when
    text, html = receipt_of(
        student_client, django_capture_on_commit_callbacks, checkout(student_client, order["id"])
    )

    # then
    assert f"- Numbers: {total}\n" in text
    assert f"Subtotal: {subtotal}\n" in text
    assert f"Discount (TEN): -{discount}\n" in text
    assert f"Total: {total}\n" in text
    assert f"<strong>{total}</strong>" in html
    assert f"-{discount}</td>" in html
    assert "Your course is waiting: " in text
    assert "/my-learning" in text
    assert "booking" not in text


def test_a_lesson_booking_receipt_speaks_of_the_booking(
    student_client, django_capture_on_commit_callbacks
):
    # given: a booked hour with a tutor charging 2500 JPY an hour
    tutor = TutorFactory(
        instructor_profile__hourly_rate=Decimal("2500"), instructor_profile__currency="JPY"
    )
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=2))
    booked = student_client.post(
        "/api/v1/bookings/",
        {"tutor_id": str(tutor.pk), "start": start.isoformat(), "duration_minutes": 60},
        format="json",
    )
    assert booked.status_code == 201, booked.json()
    payment = student_client.post("/api/v1/payments/checkout/", {"booking_id": booked.json()["id"]})
    assert payment.status_code == 200, payment.json()

    # when
    text, html = receipt_of(student_client, django_capture_on_commit_callbacks, payment.json())

    # then
    assert "Total: 2500 JPY\n" in text
    assert "Your lesson booking is confirmed: " in text
    assert "/bookings" in text
    assert "course" not in text.lower()
    assert "Your lesson booking is confirmed</a>" in html
    # the in-app notification of the payment says the same
    paid = Notification.objects.get(title="Payment received")
    assert paid.body.endswith("Your lesson booking is confirmed.")
