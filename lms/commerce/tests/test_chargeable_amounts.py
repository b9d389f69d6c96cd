"""Amounts the payment provider cannot charge (issue 9, "Money, once"), currency by currency.

- A paid price below one unit the configured provider charges is refused where it is set
  (course price, tutor's hourly rate): 400 `invalid_amount`; zero (free) stays allowed.
- Rounding at pricing never makes a paid line free; a zero total is the free path only when
  prices or a coupon made it zero. An order below what the provider charges answers 400
  `below_minimum_charge` at checkout, before any provider call, and stays pending.
- Stripe's documented minimum charge per currency is refused at checkout the same way.

The oracles (Stripe's payable decimals, its minimum charges) are written out from Stripe's
documentation (docs.stripe.com/currencies), apart from the code under test.
"""

from decimal import Decimal

import pytest
import responses

from lms.commerce.models import Order, OrderItem
from lms.commerce.tests.conftest import (
    STRIPE_BASE,
    add_to_cart,
    place_order,
    stub_payment_intent,
)
from lms.commerce.tests.test_api_coupons import make_coupon
from lms.commerce.tests.test_currencies import (
    SUPPORTED,
    form,
    iso_decimals,
    payable_decimals,
    stripe_units,
)
from lms.conftest import error_codes
from lms.learning.models import Enrollment

pytestmark = pytest.mark.django_db

CHECKOUT = "/api/v1/payments/checkout/"
ME = "/api/v1/auth/me/"

# Stripe's minimum charge amounts (docs.stripe.com/currencies, "Minimum and maximum charge
# amounts"); other currencies have no fixed figure there ("0.50 USD or equivalent").
STRIPE_MINIMUMS = {
    "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50", "CAD": "0.50",
    "CHF": "0.50", "CZK": "15.00", "DKK": "2.50", "EUR": "0.50", "GBP": "0.30", "HKD": "4.00",
    "HUF": "175.00", "INR": "0.50", "JPY": "50", "MXN": "10", "MYR": "2", "NOK": "3.00",
    "NZD": "0.50", "PLN": "2.00", "RON": "2.00", "SEK": "3.00", "SGD": "0.50", "THB": "10",
}  # fmt: skip
# Where Stripe's smallest unit is coarser than ISO's: MGA (whole ariary), three-decimal (tens).
COARSER_AT_STRIPE = [c for c in SUPPORTED if payable_decimals(c) < iso_decimals(c)]


def iso_unit(currency):
    return Decimal(1).scaleb(-iso_decimals(currency))


def stripe_step(currency):
    return Decimal(1).scaleb(-payable_decimals(currency))


def stripe_minimum(currency):
    return Decimal(STRIPE_MINIMUMS.get(currency, stripe_step(currency)))


def create_course(client, price, currency):
    return client.post(
        "/api/v1/courses/",
        {"title": "Cheap", "price": str(price), "currency": currency},
        format="json",
    )


# --- the edge: a price is free or at least one unit the provider charges ---------------------


@pytest.mark.parametrize("currency", SUPPORTED)
def test_with_the_fake_provider_the_smallest_iso_unit_is_a_price(instructor_client, currency):
    # when: priced at one ISO minor unit (0.01 USD, 1 JPY, 0.001 KWD)
    response = create_course(instructor_client, iso_unit(currency), currency)

    # then: the fake provider charges any ISO amount
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("currency", SUPPORTED)
def test_with_stripe_a_price_below_one_stripe_unit_is_refused(
    instructor_client, stripe_settings, currency
):
    # when: priced at one ISO minor unit, and at one of Stripe's units
    smallest = create_course(instructor_client, iso_unit(currency), currency)
    one_step = create_course(instructor_client, stripe_step(currency), currency)

    # then: 400 where Stripe cannot charge that much (0.001 KWD, 0.01 MGA), else 201
    if currency in COARSER_AT_STRIPE:
        assert smallest.status_code == 400, smallest.json()
        assert error_codes(smallest) == ["invalid_amount"]
        assert "smallest amount" in smallest.json()["errors"][0]["detail"]
    else:
        assert smallest.status_code == 201, smallest.json()
    assert one_step.status_code == 201, one_step.json()


@pytest.mark.parametrize(
    ("price", "currency"), [("0.005", "KWD"), ("0.009", "BHD"), ("0.50", "MGA")]
)
def test_with_stripe_a_price_update_below_one_unit_is_refused(
    instructor_client, stripe_settings, price, currency
):
    # given: a course with a fine price
    created = create_course(instructor_client, "5", currency)
    assert created.status_code == 201, created.json()

    # when: repriced below one Stripe unit; or made free
    cheap = instructor_client.patch(
        f"/api/v1/courses/{created.json()['slug']}/", {"price": price}, format="json"
    )
    free = instructor_client.patch(
        f"/api/v1/courses/{created.json()['slug']}/", {"is_free": True}, format="json"
    )

    # then
    assert cheap.status_code == 400, cheap.json()
    assert error_codes(cheap) == ["invalid_amount"]
    assert free.status_code == 200, free.json()


@pytest.mark.parametrize("currency", COARSER_AT_STRIPE)
def test_with_stripe_an_hourly_rate_below_one_unit_is_refused(
    instructor_client, stripe_settings, currency
):
    # when
    tiny = instructor_client.patch(
        ME, {"profile": {"hourly_rate": str(iso_unit(currency)), "currency": currency}},
        format="json",
    )  # fmt: skip
    fine = instructor_client.patch(
        ME, {"profile": {"hourly_rate": str(stripe_step(currency)), "currency": currency}},
        format="json",
    )  # fmt: skip

    # then
    assert tiny.status_code == 400, tiny.json()
    assert error_codes(tiny) == ["invalid_amount"]
    assert fine.status_code == 200, fine.json()


# --- checkout: never free by rounding, never a 502 for a too small amount -------------------


@pytest.mark.parametrize("currency", COARSER_AT_STRIPE)
def test_a_paid_course_below_one_stripe_unit_is_never_given_away(
    course_factory, student, student_client, stripe_settings, currency
):
    # given: a course priced below one Stripe unit before the rule (written directly)
    course = course_factory(price=iso_unit(currency), currency=currency)
    order = place_order(student_client, course)

    # when
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stripe_http:
        stub_payment_intent(stripe_http)
        response = student_client.post(CHECKOUT, {"order_id": order["id"]})
        calls = len(stripe_http.calls)

    # then: a paid line is never rounded to nothing; refused before Stripe, nothing granted
    assert Decimal(order["total"]) > 0
    assert response.status_code == 400, response.json()
    assert error_codes(response) == ["below_minimum_charge"]
    assert calls == 0
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert not Enrollment.objects.filter(student=student, course=course).exists()


@pytest.mark.parametrize("currency", SUPPORTED)
def test_with_the_fake_provider_a_zero_total_without_a_coupon_is_not_free(
    course_factory, student, student_client, currency
):
    # given: an order whose paid line was rounded to nothing (as before the rule)
    course = course_factory(price=iso_unit(currency), currency=currency)
    order = place_order(student_client, course)
    OrderItem.objects.filter(order_id=order["id"]).update(
        discount=iso_unit(currency), amount_paid=0
    )
    Order.objects.filter(pk=order["id"]).update(discount=iso_unit(currency), total=0)

    # when
    response = student_client.post(CHECKOUT, {"order_id": order["id"]})

    # then: not the free path
    assert response.status_code == 400, response.json()
    assert error_codes(response) == ["below_minimum_charge"]
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert not Enrollment.objects.filter(student=student, course=course).exists()


def test_a_full_coupon_is_still_the_free_path(course_factory, student, student_client):
    # given: a 100 % coupon on a paid course
    course = course_factory(price=Decimal("20.00"))
    make_coupon(code="ALL", value=Decimal("100"))
    add_to_cart(student_client, course)
    assert student_client.post("/api/v1/cart/coupon/", {"code": "ALL"}).status_code == 200
    order = student_client.post("/api/v1/orders/", {}, format="json").json()

    # when
    response = student_client.post(CHECKOUT, {"order_id": order["id"]})

    # then
    assert response.status_code == 200, response.json()
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.filter(student=student, course=course).exists()


@pytest.mark.parametrize("currency", COARSER_AT_STRIPE)
def test_with_stripe_a_coupon_that_leaves_a_fraction_charges_one_unit(
    course_factory, student_client, stripe_settings, currency
):
    # given: two Stripe units, 60 % off: what is left is below one Stripe unit
    step = stripe_step(currency)
    course = course_factory(price=2 * step, currency=currency)
    make_coupon(code="MOST", value=Decimal("60"))
    add_to_cart(student_client, course)
    assert student_client.post("/api/v1/cart/coupon/", {"code": "MOST"}).status_code == 200

    # when
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    with responses.RequestsMock() as stripe_http:
        stub_payment_intent(stripe_http)
        response = student_client.post(CHECKOUT, {"order_id": order["id"]})
        sent = form(stripe_http.calls[0]) if stripe_http.calls else {}

    # then: one unit is charged, never zero, never more than the price
    assert Decimal(order["total"]) == step
    assert response.status_code == 200, response.json()
    assert sent["amount"] == str(stripe_units(step, currency))


@pytest.mark.parametrize("currency", SUPPORTED)
def test_with_stripe_a_total_below_the_minimum_charge_is_400_before_stripe(
    course_factory, student_client, stripe_settings, currency
):
    # given: a cart one Stripe unit below Stripe's minimum charge (or of one unit where
    # Stripe documents no minimum)
    minimum, step = stripe_minimum(currency), stripe_step(currency)
    below = minimum - step
    course = course_factory(price=below if below > 0 else step, currency=currency)
    order = place_order(student_client, course)

    # when
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stripe_http:
        stub_payment_intent(stripe_http)
        response = student_client.post(CHECKOUT, {"order_id": order["id"]})
        calls = len(stripe_http.calls)

    # then
    if below > 0:
        assert response.status_code == 400, response.json()
        assert error_codes(response) == ["below_minimum_charge"]
        assert calls == 0
        assert Order.objects.get(pk=order["id"]).status == "pending"
    else:
        assert response.status_code == 200, response.json()
        assert calls == 1


@pytest.mark.parametrize("currency", sorted(set(STRIPE_MINIMUMS) & set(SUPPORTED)))
def test_with_stripe_a_total_at_the_minimum_charge_is_sent(
    course_factory, student_client, stripe_settings, currency
):
    # given: two courses that are each below the minimum and together reach it
    minimum = stripe_minimum(currency)
    half = (minimum / 2).quantize(stripe_step(currency))
    first = course_factory(price=half, currency=currency)
    second = course_factory(price=minimum - half, currency=currency)
    order = place_order(student_client, first, second)

    # when
    with responses.RequestsMock() as stripe_http:
        stub_payment_intent(stripe_http)
        response = student_client.post(CHECKOUT, {"order_id": order["id"]})
        [intent] = stripe_http.calls

    # then: a cart adds up, so each course alone may be below the minimum
    assert response.status_code == 200, response.json()
    assert form(intent)["amount"] == str(stripe_units(minimum, currency))


@pytest.mark.parametrize("currency", sorted(set(SUPPORTED) - set(STRIPE_MINIMUMS)))
def test_stripes_own_amount_too_small_is_400_not_502(
    course_factory, student_client, stripe_settings, currency
):
    # given: a small total in a currency whose minimum Stripe gives only as "0.50 USD or
    # equivalent", which Stripe then refuses
    course = course_factory(price=stripe_step(currency), currency=currency)
    order = place_order(student_client, course)

    # when
    with responses.RequestsMock() as stripe_http:
        stripe_http.add(
            responses.POST,
            f"{STRIPE_BASE}/v1/payment_intents",
            json={
                "error": {
                    "type": "invalid_request_error",
                    "code": "amount_too_small",
                    "message": "Amount must convert to at least 50 cents.",
                }
            },
            status=400,
        )
        response = student_client.post(CHECKOUT, {"order_id": order["id"]})

    # then: the buyer is told why; the order stays pending, nothing is granted
    assert response.status_code == 400, response.json()
    assert error_codes(response) == ["below_minimum_charge"]
    assert Order.objects.get(pk=order["id"]).status == "pending"
