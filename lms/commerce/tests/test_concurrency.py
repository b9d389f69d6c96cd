"""Races on PostgreSQL with real threads and connections (skipped on SQLite)."""

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import responses
from django.db import connection, transaction

from lms.commerce.models import Coupon, CouponKind, CouponScope, Order, Payment, ProviderEvent
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
from lms.learning.models import Enrollment
from lms.payouts.models import LedgerTransaction, TransactionKind
from lms.payouts.testing import assert_payouts_consistent

CHECKOUT = "/api/v1/payments/checkout/"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_the_same_webhook_twice_at_once_fulfils_once(
    student, student_client, client_for, course, stripe_http
):
    # given
    order = place_order(student_client, course)
    stub_payment_intent(stripe_http, pi_id="pi_race")
    payment = checkout(student_client, order["id"])
    payload = stripe_event(
        "evt_race",
        "payment_intent.succeeded",
        intent_object(payment, pi_id="pi_race", amount=10000),
    )
    clients = [client_for(student), client_for(student), client_for(student)]
    # when
    responses = run_together(*(lambda c=c: post_webhook(c, payload) for c in clients))
    # then
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert sorted(r.json()["outcome"] for r in responses) == ["duplicate", "duplicate", "fulfilled"]
    assert ProviderEvent.objects.count() == 1
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.filter(student=student).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 1
    assert_payouts_consistent()


def test_a_coupon_at_its_limit_is_redeemed_only_up_to_it(client_for, course_factory, admin_user):
    # given: a coupon with two uses left, in the orders of four buyers
    from lms.accounts.tests.factories import UserFactory

    coupon = Coupon.objects.create(
        code="RACE",
        kind=CouponKind.PERCENT,
        value=Decimal("50"),
        scope=CouponScope.PLATFORM,
        created_by=admin_user,
        max_redemptions=2,
    )
    course = course_factory(price=Decimal("40"))
    buyers = []
    for _ in range(4):
        client = client_for(UserFactory())
        add_to_cart(client, course)
        assert client.post("/api/v1/cart/coupon/", {"code": "RACE"}).status_code == 200
        order = client.post("/api/v1/orders/", {}, format="json").json()
        buyers.append((client, order, checkout(client, order["id"])))
    # when: all pay at once
    results = run_together(*(lambda b=b: simulate(b[0], b[2]["payment_id"]) for b in buyers))
    # then
    assert [r.status_code for r in results] == [200] * 4
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == ["failed", "failed", "paid", "paid"]
    coupon.refresh_from_db()
    assert coupon.redemption_count == 2
    assert Enrollment.objects.filter(course=course).count() == 2
    assert set(Order.objects.filter(status="failed").values_list("failure_code", flat=True)) == {
        "coupon_exhausted"
    }
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 2
    assert_payouts_consistent()


def test_concurrent_checkouts_of_one_order_make_one_payment(
    student, student_client, client_for, course
):
    order = place_order(student_client, course)
    clients = [client_for(student) for _ in range(4)]
    results = run_together(
        *(
            lambda c=c: c.post("/api/v1/payments/checkout/", {"order_id": order["id"]})
            for c in clients
        )
    )
    assert [r.status_code for r in results] == [200] * 4
    assert len({r.json()["payment_id"] for r in results}) == 1
    assert Payment.objects.count() == 1


def test_concurrent_refunds_of_one_order_refund_once(student, student_client, client_for, course):
    order = place_order(student_client, course)
    simulate(student_client, checkout(student_client, order["id"])["payment_id"])
    clients = [client_for(student) for _ in range(3)]
    results = run_together(
        *(
            lambda c=c: c.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
            for c in clients
        )
    )
    assert sorted(r.status_code for r in results) == [200, 409, 409]
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE_REVERSAL).count() == 1
    assert_payouts_consistent()


def test_while_stripe_is_asked_no_order_lock_is_held(student, student_client, course, stripe_http):
    # given: the checkout's call has reached Stripe, which has not answered yet
    order = place_order(student_client, course)
    in_flight, answer = threading.Event(), threading.Event()

    def stripe(request):
        in_flight.set()
        answer.wait(timeout=10)
        return 200, {}, '{"id": "pi_slow", "object": "payment_intent", "client_secret": "s"}'

    stripe_http.add_callback(responses.POST, f"{STRIPE_BASE}/v1/payment_intents", callback=stripe)
    result: list[Any] = []

    def pay() -> None:
        try:
            result.append(student_client.post(CHECKOUT, {"order_id": order["id"]}))
        finally:
            connection.close()

    payer = threading.Thread(target=pay)
    payer.start()
    assert in_flight.wait(timeout=10)

    # when: another connection takes the order's row lock meanwhile
    with transaction.atomic():
        locked = Order.objects.select_for_update(nowait=True).filter(pk=order["id"]).count()
    answer.set()
    payer.join(timeout=10)

    # then: the lock was free (NOWAIT would have raised), and the checkout completed
    assert locked == 1
    assert result[0].status_code == 200, result[0].json()
    assert Payment.objects.get().provider_ref == "pi_slow"


def test_concurrent_stripe_checkouts_store_one_intent_under_one_key(
    student, student_client, client_for, course, stripe_http
):
    # given: Stripe answers the same key with the same intent, slowly enough to overlap
    order = place_order(student_client, course)
    intents: dict[str, str] = {}
    guard = threading.Lock()

    def stripe(request):
        time.sleep(0.2)
        with guard:
            pi = intents.setdefault(request.headers["Idempotency-Key"], f"pi_{len(intents)}")
        return 200, {}, f'{{"id": "{pi}", "object": "payment_intent", "client_secret": "s"}}'

    stripe_http.add_callback(responses.POST, f"{STRIPE_BASE}/v1/payment_intents", callback=stripe)

    # when
    clients = [client_for(student) for _ in range(4)]
    results = run_together(
        *(lambda c=c: c.post(CHECKOUT, {"order_id": order["id"]}) for c in clients)
    )

    # then: one payment, one key, one intent stored, the same answer for everyone
    assert [r.status_code for r in results] == [200] * 4
    assert len({r.json()["payment_id"] for r in results}) == 1
    assert len(intents) == 1
    assert Payment.objects.get().provider_ref == "pi_0"
