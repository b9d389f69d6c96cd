"""Every supported currency, end to end: course price → cart → order → Stripe's amount →
signed webhook → ledger → wallet → withdrawal → Stripe transfer, each in the right units;
the same for a tutoring booking (hourly rate → booking price → checkout → ... → transfer);
and the same price string wherever a course's price is shown.

The oracle for Stripe's units is written out here from Stripe's documented lists
(docs.stripe.com/currencies), apart from the code under test.
"""

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from urllib.parse import parse_qs

import moneyed
import pytest
import responses
from django.conf import settings
from django.utils import timezone

from lms.commerce.tests.conftest import (
    STRIPE_BASE,
    add_to_cart,
    checkout,
    intent_object,
    place_order,
    post_webhook,
    simulate,
    stripe_event,
    stub_payment_intent,
)
from lms.conftest import error_codes
from lms.core.money import Money
from lms.payouts import services as payouts
from lms.payouts.models import LedgerTransaction, TransactionKind, Wallet, Withdrawal
from lms.payouts.testing import assert_payouts_consistent
from lms.tutoring.tests.conftest import hour
from lms.tutoring.tests.factories import SlotFactory, TutorFactory

pytestmark = pytest.mark.django_db

ZERO_DECIMAL_AT_STRIPE = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL_AT_STRIPE = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
SUPPORTED = list(settings.SUPPORTED_CURRENCIES)


def iso_decimals(currency):
    return len(str(moneyed.get_currency(currency).sub_unit)) - 1


def stripe_units(amount, currency):
    """Stripe's integer for `amount`, by Stripe's documented rules."""
    if currency in ZERO_DECIMAL_AT_STRIPE:
        return int(amount)
    if currency in THREE_DECIMAL_AT_STRIPE:
        units = int(amount * 1000)
        assert units % 10 == 0  # Stripe refuses a last digit other than 0
        return units
    return int(amount * 100)  # ISK and HUF included: two decimals at Stripe


def payable_decimals(currency):
    if currency in ZERO_DECIMAL_AT_STRIPE:
        return 0
    if currency in THREE_DECIMAL_AT_STRIPE:
        return 2
    return min(2, iso_decimals(currency))


def down(amount, decimals):
    return amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_DOWN)


def form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def at_stripe(amount, currency):
    """`amount` in `currency` as Stripe's form carries it: (its integer units, the lower-case
    code)."""
    return str(stripe_units(amount, currency)), currency.lower()


def with_every_decimal(currency):
    """1234.567 cut to the currency's ISO decimals (1234.567 KWD, 1234.56 USD, 1234 JPY)."""
    return down(Decimal("1234.567"), iso_decimals(currency))


def shown(amount, currency):
    """How a response shows `amount`: ISO's decimals (1234.00 MGA, 1234 JPY, 1234.560 KWD)."""
    return f"{amount:.{iso_decimals(currency)}f}"


def pay_by_webhook(client, payment, *, currency, units):
    """Stripe reports the PaymentIntent succeeded, `units` in its own units."""
    return post_webhook(
        client,
        stripe_event(
            f"evt_{currency}_{payment['payment_id'][:8]}",
            "payment_intent.succeeded",
            intent_object(payment, pi_id="pi_round_trip", amount=units, currency=currency.lower()),
        ),
    )


@pytest.fixture
def withdraw_all_by_stripe(
    stripe_settings, client_for, admin_client_api, django_capture_on_commit_callbacks
):
    """Stripe takes the payments and pays out; `withdraw_all_by_stripe(seller, currency)`:
    mature the seller's earnings, withdraw what Stripe can transfer, approve it; the
    transfer's form and the withdrawal's amount (a Money)."""
    stripe_settings.PAYOUT_PROVIDER = "stripe"

    def withdraw(seller, currency):
        payouts.release_matured_earnings(now=timezone.now() + timedelta(days=400))
        wallet = Wallet.objects.get(instructor=seller, currency=currency)
        amount = down(wallet.available, payable_decimals(currency))
        asked = client_for(seller).post(
            "/api/v1/withdrawals/",
            {
                "amount": str(amount),
                "currency": currency,
                "method": "stripe",
                "details": {"account_id": "acct_1Nv0FGQ9RKHgCVdK"},
            },
            format="json",
        )
        assert asked.status_code == 201, asked.json()
        assert asked.json()["amount"] == shown(amount, currency)
        with responses.RequestsMock() as stripe_http:
            stripe_http.add(
                responses.POST, f"{STRIPE_BASE}/v1/transfers", json={"id": "tr_1", "object": "x"}
            )
            with django_capture_on_commit_callbacks(execute=True):
                approved = admin_client_api.post(
                    f"/api/v1/withdrawals/{asked.json()['id']}/approve/"
                )
            assert approved.status_code == 200, approved.json()
            [transfer] = stripe_http.calls
        withdrawal = Withdrawal.objects.get(pk=asked.json()["id"])
        assert withdrawal.status == "paid"
        return form(transfer), withdrawal.money

    return withdraw


@pytest.mark.parametrize("currency", SUPPORTED)
def test_every_supported_currency_round_trips_in_the_right_units(
    currency, course_factory, student_client, withdraw_all_by_stripe
):
    # given: a course priced with every decimal its currency has (1234.567 KWD, 1234 JPY)
    price = with_every_decimal(currency)
    course = course_factory(price=price, currency=currency)
    total = down(price, payable_decimals(currency))  # what Stripe can charge, never more
    with responses.RequestsMock() as stripe_http:
        stub_payment_intent(stripe_http, pi_id="pi_round_trip")

        # when: cart → order → checkout
        order = place_order(student_client, course)
        response = student_client.post("/api/v1/payments/checkout/", {"order_id": order["id"]})
        assert response.status_code == 200, response.json()
        payment = response.json()

        # then: the order keeps the price and charges what Stripe can take
        assert order["items"][0]["price"] == str(price)
        assert (order["total"], order["currency"]) == (shown(total, currency), currency)
        [intent] = stripe_http.calls
        sent = form(intent)
        assert (sent["amount"], sent["currency"]) == at_stripe(total, currency)

        # when: Stripe reports the money in its own units
        answer = pay_by_webhook(
            student_client, payment, currency=currency, units=stripe_units(total, currency)
        )

    # then: the order is paid and the instructor is credited 85 % of it
    assert answer.status_code == 200, answer.content
    assert student_client.get(f"/api/v1/orders/{order['id']}/").json()["status"] == "paid"
    fee = (total * Decimal("0.15")).quantize(Decimal(1).scaleb(-iso_decimals(currency)))
    wallet = Wallet.objects.get(instructor=course.instructor, currency=currency)
    assert wallet.pending == total - fee
    sale = LedgerTransaction.objects.get(kind=TransactionKind.SALE)
    assert sale.money == Money.exact(total, currency)

    # when: the earning matures and the instructor withdraws what Stripe can transfer
    transfer, amount = withdraw_all_by_stripe(course.instructor, currency)

    # then: the transfer carries the withdrawal in Stripe's units and the books balance
    assert (transfer["amount"], transfer["currency"]) == at_stripe(amount.amount, currency)
    assert_payouts_consistent()


@pytest.mark.parametrize("currency", SUPPORTED)
def test_every_supported_currency_round_trips_a_tutoring_booking(
    currency, student_client, withdraw_all_by_stripe
):
    # given: a tutor whose hourly rate has every decimal the currency has
    rate = with_every_decimal(currency)
    tutor = TutorFactory(
        instructor_profile__hourly_rate=rate, instructor_profile__currency=currency
    )
    start = hour()
    SlotFactory(tutor=tutor, start=start, end=start + timedelta(hours=3))
    price = down(rate, payable_decimals(currency))  # one hour, what Stripe can charge
    fee = (price * Decimal("0.15")).quantize(Decimal(1).scaleb(-iso_decimals(currency)))

    # when: booked for an hour
    booked = student_client.post(
        "/api/v1/bookings/",
        {"tutor_id": str(tutor.pk), "start": start.isoformat(), "duration_minutes": 60},
        format="json",
    )

    # then: priced in the tutor's currency, the fee half up, nothing lost
    assert booked.status_code == 201, booked.json()
    booking = booked.json()
    assert (booking["price"], booking["platform_fee"], booking["tutor_earning"]) == (
        shown(price, currency),
        shown(fee, currency),
        shown(price - fee, currency),
    )
    assert booking["currency"] == currency

    # when: paid through commerce's checkout with Stripe, which reports it in its own units
    with responses.RequestsMock() as stripe_http:
        stub_payment_intent(stripe_http, pi_id="pi_round_trip")
        response = student_client.post("/api/v1/payments/checkout/", {"booking_id": booking["id"]})
        assert response.status_code == 200, response.json()
        [intent] = stripe_http.calls
        sent = form(intent)
        answer = pay_by_webhook(
            student_client, response.json(), currency=currency, units=int(sent["amount"])
        )

    # then: Stripe was asked for the booking's price in its units; the tutor earns the rest
    assert (sent["amount"], sent["currency"]) == at_stripe(price, currency)
    assert answer.status_code == 200, answer.content
    assert student_client.get(f"/api/v1/bookings/{booking['id']}/").json()["status"] == "paid"
    wallet = Wallet.objects.get(instructor=tutor, currency=currency)
    assert wallet.pending_money == Money.exact(price - fee, currency)

    # when: the lesson's hold passes and the tutor withdraws what Stripe can transfer
    transfer, amount = withdraw_all_by_stripe(tutor, currency)

    # then
    assert amount == Money.exact(down(price - fee, payable_decimals(currency)), currency)
    assert (transfer["amount"], transfer["currency"]) == at_stripe(amount.amount, currency)
    assert_payouts_consistent()


@pytest.mark.parametrize(
    ("price", "currency", "shown"),
    [("1500", "JPY", "1500"), ("12.345", "KWD", "12.345"), ("49.9", "USD", "49.90")],
)
def test_a_course_shows_one_price_string_everywhere(
    course_factory, anon_client, student_client, price, currency, shown
):
    # given
    course = course_factory(price=Decimal(price), currency=currency)

    # when
    listed = anon_client.get("/api/v1/courses/").json()["results"]
    detail = anon_client.get(f"/api/v1/courses/{course.slug}/").json()
    recommended = student_client.get("/api/v1/dashboard/recommendations/").json()["results"]
    student_client.post("/api/v1/cart/items/", {"course_id": str(course.pk)})
    cart = student_client.get("/api/v1/cart/").json()
    wished = student_client.post("/api/v1/wishlist/", {"course_id": str(course.pk)}).json()
    order = student_client.post("/api/v1/orders/", {}, format="json").json()

    # then
    assert [item["price"] for item in listed if item["id"] == str(course.pk)] == [shown]
    assert detail["price"] == shown
    assert [item["price"] for item in recommended if item["id"] == str(course.pk)] == [shown]
    assert cart["items"][0]["price"] == shown
    assert wished["course"]["price"] == shown
    assert order["items"][0]["price"] == shown


@pytest.mark.parametrize(
    ("payload", "status", "answer"),
    [
        ({"price": "1500.50", "currency": "JPY"}, 400, ["invalid_amount"]),
        ({"price": "12.345", "currency": "KWD"}, 201, "12.345"),
        ({"price": "1.5", "currency": "BHD"}, 201, "1.500"),
        ({"price": "10", "currency": "CLF"}, 400, ["unsupported_currency"]),
        ({"is_free": True, "currency": "CLF"}, 400, ["unsupported_currency"]),
        ({"is_free": True, "currency": "OMR"}, 201, "0.000"),
        ({"price": "10", "currency": "XYZ"}, 400, ["unsupported_currency"]),
        ({"price": "49.999", "currency": "USD"}, 400, ["invalid_amount"]),
    ],
)
def test_a_course_price_is_refused_at_creation_never_after_payment(
    instructor_client, payload, status, answer
):
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Money", **payload}, format="json"
    )
    assert response.status_code == status, response.json()
    if status == 400:
        assert error_codes(response) == answer
    else:
        assert response.json()["price"] == answer


def test_an_unsupported_currency_is_refused_by_the_setting(instructor_client, settings):
    # given: the platform stops selling in KWD
    settings.SUPPORTED_CURRENCIES = ["USD", "EUR"]

    # when / then
    response = instructor_client.post(
        "/api/v1/courses/", {"title": "Dinars", "price": "1.000", "currency": "KWD"}, format="json"
    )
    assert (response.status_code, error_codes(response)) == (400, ["unsupported_currency"])


@pytest.fixture
def dinar_course(course_factory):
    return course_factory(price=Decimal("12.340"), currency="KWD")


def stop_selling_in_kwd(settings):
    settings.SUPPORTED_CURRENCIES = [c for c in settings.SUPPORTED_CURRENCIES if c != "KWD"]


def test_a_course_in_a_dropped_currency_is_not_put_in_a_cart(
    student_client, dinar_course, settings
):
    # given: the course was priced in KWD, then the platform stopped selling in it
    stop_selling_in_kwd(settings)

    # when
    response = student_client.post("/api/v1/cart/items/", {"course_id": str(dinar_course.pk)})

    # then
    assert (response.status_code, error_codes(response)) == (400, ["unsupported_currency"])
    assert student_client.get("/api/v1/cart/").json()["items"] == []


def test_a_cart_holding_a_course_in_a_dropped_currency_is_not_ordered(
    student_client, dinar_course, settings
):
    # given: in the cart from before the setting changed
    add_to_cart(student_client, dinar_course)
    stop_selling_in_kwd(settings)

    # when
    response = student_client.post("/api/v1/orders/", {}, format="json")

    # then: no order, the cart as it was
    assert (response.status_code, error_codes(response)) == (400, ["unsupported_currency"])
    assert student_client.get("/api/v1/orders/").json()["results"] == []
    assert len(student_client.get("/api/v1/cart/").json()["items"]) == 1


def test_an_order_in_a_dropped_currency_is_not_checked_out(student_client, dinar_course, settings):
    # given: placed before the setting changed
    order = place_order(student_client, dinar_course)
    stop_selling_in_kwd(settings)

    # when
    response = student_client.post("/api/v1/payments/checkout/", {"order_id": order["id"]})

    # then: refused before any payment; the order stays pending, unpaid and payable later
    assert (response.status_code, error_codes(response)) == (400, ["unsupported_currency"])
    shown = student_client.get(f"/api/v1/orders/{order['id']}/").json()
    assert (shown["status"], shown["payment"]) == ("pending", None)
    settings.SUPPORTED_CURRENCIES = [*settings.SUPPORTED_CURRENCIES, "KWD"]
    paid = simulate(student_client, checkout(student_client, order["id"])["payment_id"])
    assert paid.json()["order_status"] == "paid"
    assert_payouts_consistent()


# The keys of audit data that hold an amount of money (the line's `currency` beside it).
AUDIT_AMOUNT_KEYS = frozenset({"amount", "total", "expected", "reported", "value"})


def audit_amounts(admin_client):
    """Every amount in the audit log as the audit API serves it: (action, key, string)."""
    lines = admin_client.get("/api/v1/audit-logs/", {"page_size": 100}).json()["results"]
    return {
        (line["action"], key, value)
        for line in lines
        for key, value in line["data"].items()
        if key in AUDIT_AMOUNT_KEYS and value is not None
    }


@pytest.mark.parametrize(
    ("price", "off", "currency", "total", "coupon"),
    [
        ("1500", "100", "JPY", "1400", "100"),
        ("12.345", "1.5", "KWD", "10.845", "1.500"),
        ("49.9", "5", "USD", "44.90", "5.00"),
    ],
)
def test_the_audit_lines_show_the_one_price_string(
    course_factory, student_client, admin_client_api, price, off, currency, total, coupon
):
    # given: a fixed coupon, and a course bought with it
    course = course_factory(price=Decimal(price), currency=currency)
    created = admin_client_api.post(
        "/api/v1/coupons/",
        {"code": "OFF", "kind": "fixed", "value": off, "currency": currency, "scope": "platform"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    add_to_cart(student_client, course)
    assert student_client.post("/api/v1/cart/coupon/", {"code": "OFF"}).status_code == 200
    order = student_client.post("/api/v1/orders/", {}, format="json").json()
    payment = checkout(student_client, order["id"])
    assert simulate(student_client, payment["payment_id"]).status_code == 200

    # when: an admin refunds it
    refunded = admin_client_api.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
    assert refunded.status_code == 200, refunded.json()

    # then: every amount of the audit lines is the string the API answers
    assert (created.json()["value"], order["total"]) == (coupon, total)
    assert audit_amounts(admin_client_api) == {
        ("coupon.created", "value", coupon),
        ("order.placed", "total", total),
        ("payment.created", "amount", total),
        ("refund.requested", "amount", total),
        ("order.refunded", "amount", total),
        ("refund.succeeded", "amount", total),
    }


@pytest.mark.parametrize("currency", ["JPY", "KWD", "USD"])
def test_a_mismatched_amount_is_audited_in_the_one_price_string(
    currency, course_factory, student_client, admin_client_api, stripe_settings
):
    # given: a course checked out at Stripe
    price = with_every_decimal(currency)
    course = course_factory(price=price, currency=currency)
    total = down(price, payable_decimals(currency))
    with responses.RequestsMock() as stripe_http:
        stub_payment_intent(stripe_http, pi_id="pi_round_trip")
        order = place_order(student_client, course)
        payment = checkout(student_client, order["id"])

    # when: Stripe reports ten of its units less than the order's total
    answer = pay_by_webhook(
        student_client, payment, currency=currency, units=stripe_units(total, currency) - 10
    )

    # then: the mismatch is audited with both amounts as the API would show them
    assert answer.status_code == 200, answer.content
    stripe_decimals = (
        0 if currency in ZERO_DECIMAL_AT_STRIPE else 3 if currency in THREE_DECIMAL_AT_STRIPE else 2
    )
    reported = total - Decimal(10).scaleb(-stripe_decimals)
    assert {
        (key, value)
        for action, key, value in audit_amounts(admin_client_api)
        if action == "payment.amount_mismatch"
    } == {("expected", shown(total, currency)), ("reported", shown(reported, currency))}
