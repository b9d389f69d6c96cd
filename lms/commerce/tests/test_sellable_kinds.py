"""Commerce sells any registered kind: a stand-in kind (as tutoring will register bookings)
is ordered, paid through the same checkout, credited in the ledger and refunded, with no
code of commerce knowing it."""

import uuid
from decimal import Decimal

import pytest

from lms.accounts.tests.factories import InstructorFactory
from lms.commerce.models import Order, OrderItem
from lms.commerce.sellables import Offer, sellable_kinds
from lms.commerce.tests.conftest import (
    intent_object,
    post_webhook,
    simulate,
    stripe_event,
    stub_payment_intent,
)
from lms.conftest import error_codes
from lms.core.errors import Conflict
from lms.core.money import Money
from lms.payouts.models import Wallet

pytestmark = pytest.mark.django_db
CHECKOUT = "/api/v1/payments/checkout/"


class LessonSlotKind:
    """What a tutoring app would register: one priced slot per reference."""

    kind = "booking"

    def __init__(self, tutor, price="30.00", currency="EUR"):
        self.tutor, self.price, self.currency = tutor, Decimal(price), currency
        self.granted: list[uuid.UUID] = []
        self.revoked: list[uuid.UUID] = []
        self.taken: set[uuid.UUID] = set()

    def offer(self, *, buyer, reference_id):
        if reference_id in self.taken:
            raise Conflict("This slot is taken.", code="slot_unavailable")
        return Offer(
            kind="booking",
            reference_id=reference_id,
            title="Lesson with a tutor",
            seller_id=self.tutor.pk,
            price=Money(self.price, self.currency),
        )

    def check_still_for_sale(self, *, order, items):
        return None

    def splits(self, items):
        return {item.pk: [(self.tutor, Decimal(100))] for item in items}

    def fulfil(self, *, order, items):
        self.granted += [item.reference_id for item in items]
        self.taken |= {item.reference_id for item in items}

    def check_refundable(self, *, order, items, by):
        return None

    def revoke(self, *, order, items, refund):
        self.revoked += [item.reference_id for item in items]


@pytest.fixture
def booking_kind():
    kind = LessonSlotKind(InstructorFactory())
    with sellable_kinds.swapped({"course": sellable_kinds.get("course"), "booking": kind}):
        yield kind


def test_a_registered_kind_is_ordered_paid_credited_and_refunded(student_client, booking_kind):
    # given
    booking = uuid.uuid4()

    # when: the buyer pays the booking through the one checkout
    checkout = student_client.post(CHECKOUT, {"booking_id": str(booking)})
    assert checkout.status_code == 200, checkout.json()
    again = student_client.post(CHECKOUT, {"booking_id": str(booking)})
    paid = simulate(student_client, checkout.json()["payment_id"])

    # then: one order of one item of that kind, granted once, the seller credited
    assert again.json()["payment_id"] == checkout.json()["payment_id"]
    assert paid.status_code == 200, paid.json()
    order = Order.objects.get()
    [item] = OrderItem.objects.filter(order=order)
    assert (item.kind, item.reference_id, item.course_id) == ("booking", booking, None)
    assert order.status == "paid"
    assert booking_kind.granted == [booking]
    wallet = Wallet.objects.get(instructor=booking_kind.tutor, currency="EUR")
    assert wallet.pending == Decimal("25.50")  # 85 % of 30.00
    shown = student_client.get(f"/api/v1/orders/{order.pk}/").json()["items"][0]
    assert (shown["kind"], shown["reference"], shown["course"]) == ("booking", str(booking), None)

    # when: it is refunded
    refunded = student_client.post(f"/api/v1/orders/{order.pk}/refund/", {}, format="json")

    # then: the kind takes back what it granted and the earning is reversed
    assert refunded.status_code == 200, refunded.json()
    assert booking_kind.revoked == [booking]
    wallet.refresh_from_db()
    assert wallet.pending == 0


def test_the_kind_decides_who_may_buy(student_client, booking_kind):
    booking = uuid.uuid4()
    booking_kind.taken.add(booking)
    response = student_client.post(CHECKOUT, {"booking_id": str(booking)})
    assert (response.status_code, error_codes(response)) == (409, ["slot_unavailable"])
    assert not Order.objects.exists()


def test_without_a_registered_booking_kind_bookings_cannot_be_paid(student_client):
    with sellable_kinds.swapped({"course": sellable_kinds.get("course")}):
        response = student_client.post(CHECKOUT, {"booking_id": str(uuid.uuid4())})
    assert (response.status_code, error_codes(response)) == (400, ["booking_checkout_unavailable"])


def test_a_refund_from_the_provider_dashboard_takes_back_any_kind(
    student_client, anon_client, booking_kind, stripe_http
):
    # given: a booking paid through Stripe
    booking = uuid.uuid4()
    stub_payment_intent(stripe_http, pi_id="pi_booking")
    payment = student_client.post(CHECKOUT, {"booking_id": str(booking)}).json()
    paid = stripe_event(
        "evt_paid",
        "payment_intent.succeeded",
        intent_object(payment, pi_id="pi_booking", amount=3000, currency="eur"),
    )
    assert post_webhook(anon_client, paid).json()["outcome"] != "ignored"

    # when: it is refunded in Stripe's dashboard
    refunded = stripe_event(
        "evt_refunded",
        "charge.refunded",
        {
            "id": "ch_booking",
            "object": "charge",
            "payment_intent": "pi_booking",
            "amount": 3000,
            "amount_refunded": 3000,
            "currency": "eur",
        },
    )

    # then: the booking item is refunded like a course's: revoked, earning reversed
    assert post_webhook(anon_client, refunded).json()["outcome"] == "refunded_external"
    assert Order.objects.get().status == "refunded"
    assert OrderItem.objects.get().refund_id is not None
    assert booking_kind.revoked == [booking]
    assert Wallet.objects.get(instructor=booking_kind.tutor, currency="EUR").pending == 0
