"""Stripe through its real SDK: HTTP stubbed with `responses`, webhooks signed for real."""

import json
import time
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.utils import timezone

from lms.audit.models import AuditLog
from lms.commerce import services, tasks
from lms.commerce.models import Order, Payment, ProviderEvent, Refund
from lms.commerce.tests.conftest import (
    STRIPE_BASE,
    intent_object,
    place_order,
    post_webhook,
    sign,
    stripe_event,
    stub_payment_intent,
)
from lms.conftest import error_codes
from lms.learning.models import Enrollment, EnrollmentStatus
from lms.payouts.models import LedgerTransaction, TransactionKind, Wallet

pytestmark = pytest.mark.django_db
CHECKOUT = "/api/v1/payments/checkout/"


def form(call):
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


def stripe_checkout(client, stripe_http, order, pi_id="pi_test_1"):
    stub_payment_intent(stripe_http, pi_id=pi_id)
    response = client.post(CHECKOUT, {"order_id": order["id"]})
    assert response.status_code == 200, response.json()
    return response.json()


def succeed(client, payment, *, pi_id="pi_test_1", amount=10000, currency="usd", event_id="evt_ok"):
    payload = stripe_event(
        event_id,
        "payment_intent.succeeded",
        intent_object(payment, pi_id=pi_id, amount=amount, currency=currency),
    )
    return post_webhook(client, payload)


# --- checkout ---------------------------------------------------------------------------------


def test_checkout_creates_one_payment_intent_in_minor_units(student_client, course, stripe_http):
    # given
    order = place_order(student_client, course)
    # when
    first = stripe_checkout(student_client, stripe_http, order)
    second = student_client.post(CHECKOUT, {"order_id": order["id"]}).json()
    # then
    assert (first["provider"], first["client_secret"]) == ("stripe", "pi_test_1_secret_abc")
    assert second["payment_id"] == first["payment_id"]
    assert len(stripe_http.calls) == 1
    call = stripe_http.calls[0]
    assert call.request.headers["Idempotency-Key"] == f"order-{order['id']}-intent"
    assert call.request.headers["Authorization"] == "Bearer sk_test_commerce"
    body = form(call)
    assert (body["amount"], body["currency"], body["metadata[payment_id]"]) == (
        "10000",
        "usd",
        first["payment_id"],
    )


def test_zero_decimal_currency_is_sent_as_is(student_client, course_factory, stripe_http):
    order = place_order(student_client, course_factory(price=Decimal("5000"), currency="JPY"))
    stripe_checkout(student_client, stripe_http, order)
    body = form(stripe_http.calls[0])
    assert (body["amount"], body["currency"]) == ("5000", "jpy")


def test_hosted_checkout_session(student_client, course, stripe_http):
    order = place_order(student_client, course)
    stripe_http.add(
        responses.POST,
        f"{STRIPE_BASE}/v1/checkout/sessions",
        json={
            "id": "cs_test_1",
            "object": "checkout.session",
            "url": "https://checkout.stripe.test/cs_test_1",
        },
    )
    response = student_client.post(CHECKOUT, {"order_id": order["id"], "mode": "hosted"})
    assert response.status_code == 200
    assert response.json()["checkout_url"] == "https://checkout.stripe.test/cs_test_1"
    body = form(stripe_http.calls[0])
    assert body["line_items[0][price_data][unit_amount]"] == "10000"
    assert stripe_http.calls[0].request.headers["Idempotency-Key"] == f"order-{order['id']}-session"


@pytest.mark.parametrize("failure", ["server_error", "timeout"])
def test_stripe_failure_leaves_the_order_pending_with_nothing_granted(
    student_client, course, stripe_http, failure
):
    # given
    student_client.raise_request_exception = False  # a 5xx answer, not an exception in the test
    order = place_order(student_client, course)
    if failure == "timeout":
        stripe_http.add(
            responses.POST,
            f"{STRIPE_BASE}/v1/payment_intents",
            body=requests.exceptions.ConnectTimeout("timed out"),
        )
    else:
        stub_payment_intent(stripe_http, status=500)
    # when
    response = student_client.post(CHECKOUT, {"order_id": order["id"]})
    # then
    assert response.status_code == 502
    assert error_codes(response) == ["payment_provider_error"]
    assert Order.objects.get(pk=order["id"]).status == "pending"
    [claim] = Payment.objects.all()  # the claim stays, with no provider object yet
    assert (claim.provider_ref, claim.client_secret, claim.status) == (None, "", "pending")
    assert claim.last_error
    assert not Enrollment.objects.exists()
    # and a retry sends the very same idempotency key
    stripe_http.replace(
        responses.POST,
        f"{STRIPE_BASE}/v1/payment_intents",
        json={"id": "pi_retry", "object": "payment_intent", "client_secret": "pi_retry_secret"},
    )
    retried = student_client.post(CHECKOUT, {"order_id": order["id"]})
    assert retried.status_code == 200
    keys = {call.request.headers["Idempotency-Key"] for call in stripe_http.calls}
    assert keys == {f"order-{order['id']}-intent"}


# --- webhooks ---------------------------------------------------------------------------------


def test_signed_success_fulfils_and_a_replay_does_nothing(
    student, student_client, anon_client, course, stripe_http
):
    # given
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    payload = stripe_event(
        "evt_1", "payment_intent.succeeded", intent_object(payment, pi_id="pi_test_1", amount=10000)
    )
    # when
    first = post_webhook(anon_client, payload)
    replay = post_webhook(anon_client, payload)
    # then
    assert (first.status_code, first.json()["outcome"]) == (200, "fulfilled")
    assert (replay.status_code, replay.json()["outcome"]) == (200, "duplicate")
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.filter(student=student, course=course).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 1
    assert ProviderEvent.objects.get(event_id="evt_1").status == "processed"


@pytest.mark.parametrize(
    "signature",
    [
        "t=1,v1=deadbeef",
        "",
        "garbage",
        "stale",
        "future",
        "wrong_secret",
    ],
)
def test_bad_signatures_are_400_and_change_nothing(
    student_client, anon_client, course, stripe_http, signature
):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    payload = stripe_event(
        "evt_bad",
        "payment_intent.succeeded",
        intent_object(payment, pi_id="pi_test_1", amount=10000),
    )
    header = {
        "stale": sign(payload, timestamp=int(time.time()) - 301),
        "future": sign(payload, timestamp=int(time.time()) + 301),
        "wrong_secret": sign(payload, secret="whsec_other"),
    }.get(signature, signature)
    response = post_webhook(anon_client, payload, signature=header)
    assert response.status_code == 400
    assert error_codes(response) == ["invalid_signature"]
    assert not ProviderEvent.objects.exists()
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_tampered_payload_is_refused(student_client, anon_client, course, stripe_http):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    payload = stripe_event(
        "evt_t", "payment_intent.succeeded", intent_object(payment, pi_id="pi_test_1", amount=1)
    )
    header = sign(payload)
    tampered = payload.replace(b'"amount": 1,', b'"amount": 10000,')
    assert post_webhook(anon_client, tampered, signature=header).status_code == 400


@pytest.mark.parametrize(("amount", "currency"), [(9999, "usd"), (10000, "eur"), (1000000, "usd")])
def test_amount_or_currency_mismatch_is_refused_and_logged(
    student_client, anon_client, course, stripe_http, amount, currency, caplog
):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    response = succeed(anon_client, payment, amount=amount, currency=currency)
    assert (response.status_code, response.json()["outcome"]) == (200, "mismatch")
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert Payment.objects.get().status == "mismatch"
    assert not Enrollment.objects.exists()
    assert AuditLog.objects.filter(action="payment.amount_mismatch").count() == 1
    assert "commerce.payment_mismatch" in caplog.text


def test_failed_then_succeeded_events(student_client, anon_client, course, stripe_http):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    failed = stripe_event(
        "evt_f",
        "payment_intent.payment_failed",
        {
            **intent_object(
                payment, pi_id="pi_test_1", amount=10000, status="requires_payment_method"
            ),
            "last_payment_error": {"message": "Your card was declined."},
        },
    )
    assert post_webhook(anon_client, failed).json()["outcome"] == "failed"
    assert Order.objects.get(pk=order["id"]).status == "failed"
    assert succeed(anon_client, payment).json()["outcome"] == "fulfilled"
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_success_then_a_late_failure_never_unpays(student_client, anon_client, course, stripe_http):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    succeed(anon_client, payment)
    failed = stripe_event(
        "evt_f2",
        "payment_intent.payment_failed",
        intent_object(payment, pi_id="pi_test_1", amount=10000, status="failed"),
    )
    assert post_webhook(anon_client, failed).json()["outcome"] == "ignored"
    assert Order.objects.get(pk=order["id"]).status == "paid"


def test_checkout_session_completed_and_its_intent_fulfil_once(
    student_client, anon_client, course, stripe_http
):
    order = place_order(student_client, course)
    stripe_http.add(
        responses.POST,
        f"{STRIPE_BASE}/v1/checkout/sessions",
        json={
            "id": "cs_1",
            "object": "checkout.session",
            "url": "https://checkout.stripe.test/cs_1",
        },
    )
    payment = student_client.post(CHECKOUT, {"order_id": order["id"], "mode": "hosted"}).json()
    session = stripe_event(
        "evt_cs",
        "checkout.session.completed",
        {
            "id": "cs_1",
            "object": "checkout.session",
            "payment_status": "paid",
            "amount_total": 10000,
            "currency": "usd",
            "payment_intent": "pi_from_cs",
            "metadata": {"payment_id": payment["payment_id"]},
        },
    )
    assert post_webhook(anon_client, session).json()["outcome"] == "fulfilled"
    intent = succeed(anon_client, payment, pi_id="pi_from_cs", event_id="evt_pi_cs")
    assert intent.json()["outcome"] == "already_handled"
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 1
    assert Payment.objects.get().provider_payment_ref == "pi_from_cs"


def test_refund_before_success_converges_to_refunded(
    student, student_client, anon_client, course, stripe_http
):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    refunded = stripe_event(
        "evt_r0",
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_test_1",
            "amount": 10000,
            "amount_refunded": 10000,
            "currency": "usd",
        },
    )
    assert post_webhook(anon_client, refunded).json()["outcome"] == "refunded_unfulfilled"
    assert succeed(anon_client, payment).json()["outcome"] == "already_handled"
    assert Order.objects.get(pk=order["id"]).status == "refunded"
    assert not Enrollment.objects.filter(student=student).exists()
    assert not LedgerTransaction.objects.exists()


def test_refund_from_the_dashboard_reverses_everything(
    student, student_client, anon_client, course, stripe_http
):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    succeed(anon_client, payment)
    refunded = stripe_event(
        "evt_r1",
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_test_1",
            "amount": 10000,
            "amount_refunded": 10000,
            "currency": "usd",
        },
    )
    assert post_webhook(anon_client, refunded).json()["outcome"] == "refunded_external"
    assert Order.objects.get(pk=order["id"]).status == "refunded"
    assert Enrollment.objects.get(student=student).status == EnrollmentStatus.REVOKED
    assert Wallet.objects.get(instructor=course.instructor).pending == 0


def test_api_refund_goes_through_stripe_and_its_event_is_a_no_op(
    student_client, anon_client, course, stripe_http
):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    succeed(anon_client, payment)
    stripe_http.add(
        responses.POST,
        f"{STRIPE_BASE}/v1/refunds",
        json={"id": "re_1", "object": "refund", "status": "succeeded", "amount": 10000},
    )
    response = student_client.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
    assert response.status_code == 200, response.json()
    refund = Refund.objects.get()
    call = stripe_http.calls[-1]
    assert call.request.headers["Idempotency-Key"] == f"refund-{refund.pk}"
    assert form(call) == {
        "payment_intent": "pi_test_1",
        "amount": "10000",
        "metadata[payment_id]": payment["payment_id"],
    }
    event = stripe_event(
        "evt_r2",
        "charge.refunded",
        {
            "id": "ch_1",
            "object": "charge",
            "payment_intent": "pi_test_1",
            "amount": 10000,
            "amount_refunded": 10000,
            "currency": "usd",
        },
    )
    assert post_webhook(anon_client, event).json()["outcome"] == "refund_confirmed"
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE_REVERSAL).count() == 1
    assert Refund.objects.count() == 1


def test_retried_refund_sends_the_same_idempotency_key(
    student, student_client, anon_client, course, stripe_http
):
    # given: Stripe fails the first refund call
    student_client.raise_request_exception = False
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    succeed(anon_client, payment)
    stripe_http.add(
        responses.POST,
        f"{STRIPE_BASE}/v1/refunds",
        json={"error": {"type": "api_error", "message": "boom"}},
        status=500,
    )
    failed = student_client.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
    assert (failed.status_code, error_codes(failed)) == (502, ["payment_provider_error"])
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.get(student=student).status == EnrollmentStatus.ACTIVE
    again = student_client.post(f"/api/v1/orders/{order['id']}/refund/", {}, format="json")
    assert (again.status_code, error_codes(again)) == (409, ["refund_in_progress"])
    # when: the periodic task retries
    stripe_http.replace(
        responses.POST,
        f"{STRIPE_BASE}/v1/refunds",
        json={"id": "re_2", "object": "refund", "status": "succeeded"},
    )
    Refund.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    assert services.retry_pending_refunds() == 1
    # then
    refund_calls = [c for c in stripe_http.calls if c.request.url.endswith("/v1/refunds")]
    assert len(refund_calls) == 2
    refund = Refund.objects.get()
    assert {c.request.headers["Idempotency-Key"] for c in refund_calls} == {f"refund-{refund.pk}"}
    assert (refund.status, refund.attempts, refund.provider_ref) == ("succeeded", 2, "re_2")
    assert Order.objects.get(pk=order["id"]).status == "refunded"


def test_a_handler_crash_is_retried_and_fulfils_once(
    student, student_client, anon_client, course, stripe_http, monkeypatch
):
    # given: crediting the earnings crashes once, after the enrollment was written
    anon_client.raise_request_exception = False
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    real = services.fulfilment.credit_sales
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(services.fulfilment, "credit_sales", flaky)
    payload = stripe_event(
        "evt_crash",
        "payment_intent.succeeded",
        intent_object(payment, pi_id="pi_test_1", amount=10000),
    )
    # when
    crashed = post_webhook(anon_client, payload)
    # then: nothing of it stayed
    assert crashed.status_code == 503
    assert error_codes(crashed) == ["webhook_processing_failed"]
    assert Order.objects.get(pk=order["id"]).status == "pending"
    assert not Enrollment.objects.exists()
    event = ProviderEvent.objects.get(event_id="evt_crash")
    assert (event.status, event.attempts, event.processed_at) == ("failed", 1, None)
    # when Stripe delivers it again
    retried = post_webhook(anon_client, payload)
    replay = post_webhook(anon_client, payload)
    assert (retried.status_code, retried.json()["outcome"]) == (200, "fulfilled")
    assert replay.json()["outcome"] == "duplicate"
    assert Enrollment.objects.filter(student=student).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.SALE).count() == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("processed", 2)


def test_dispute_is_flagged_and_audited(student_client, anon_client, course, stripe_http):
    order = place_order(student_client, course)
    payment = stripe_checkout(student_client, stripe_http, order)
    succeed(anon_client, payment)
    dispute = stripe_event(
        "evt_d",
        "charge.dispute.created",
        {
            "id": "dp_1",
            "object": "dispute",
            "payment_intent": "pi_test_1",
            "amount": 10000,
            "currency": "usd",
            "reason": "fraudulent",
            "charge": "ch_1",
        },
    )
    assert post_webhook(anon_client, dispute).json()["outcome"] == "disputed"
    assert Payment.objects.get().disputed_at is not None
    assert AuditLog.objects.filter(action="payment.disputed").count() == 1


def test_unknown_events_and_payments(anon_client, student_client, course, stripe_http):
    anon_client.raise_request_exception = False
    ignored = post_webhook(anon_client, stripe_event("evt_x", "customer.created", {"id": "cus_1"}))
    assert (ignored.status_code, ignored.json()["outcome"]) == (200, "ignored")
    not_ours = post_webhook(
        anon_client,
        stripe_event(
            "evt_y",
            "payment_intent.succeeded",
            {"id": "pi_elsewhere", "amount": 100, "currency": "usd", "metadata": {}},
        ),
    )
    assert not_ours.json()["outcome"] == "ignored"
    # a payment id in the metadata that is not ours (ours exist before Stripe hears of them):
    # recorded and answered 200, so that Stripe does not retry it for three days
    unknown = post_webhook(
        anon_client,
        stripe_event(
            "evt_z",
            "payment_intent.succeeded",
            {
                "id": "pi_soon",
                "amount": 100,
                "currency": "usd",
                "metadata": {"payment_id": "00000000-0000-0000-0000-0000000000aa"},
            },
        ),
    )
    assert (unknown.status_code, unknown.json()["outcome"]) == (200, "ignored")
    assert ProviderEvent.objects.get(event_id="evt_z").status == ProviderEvent.Status.IGNORED


def test_webhook_needs_no_token_but_rejects_garbage(anon_client, stripe_settings):
    payload = b"not json"
    response = anon_client.post(
        "/api/v1/payments/webhook/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE="t=1,v1=forged",
    )
    assert response.status_code == 400
    assert json.loads(response.content)["errors"][0]["code"] == "invalid_signature"
    # signed garbage is Stripe's own (or its key leaked): recorded, answered 200, not retried
    signed = anon_client.post(
        "/api/v1/payments/webhook/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=sign(payload),
    )
    assert (signed.status_code, signed.json()["outcome"]) == (200, "ignored")


# --- reconciliation ---------------------------------------------------------------------------


def _pending_two_hours(student_client, stripe_http, course, *, intent, status=200):
    """An order checked out two hours ago whose webhook never came; Stripe's answer to the
    reconciliation's question about its PaymentIntent is `intent`."""
    order = place_order(student_client, course)
    stripe_checkout(student_client, stripe_http, order)
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=2))
    stripe_http.add(
        responses.GET, f"{STRIPE_BASE}/v1/payment_intents/pi_test_1", json=intent, status=status
    )
    return order


def test_reconciliation_asks_stripe_about_old_pending_payments(
    student, student_client, course, stripe_http
):
    # given: a payment pending for two hours whose webhook never came
    order = _pending_two_hours(
        student_client,
        stripe_http,
        course,
        intent={
            "id": "pi_test_1",
            "object": "payment_intent",
            "status": "succeeded",
            "amount": 10000,
            "amount_received": 10000,
            "currency": "usd",
        },
    )
    # when
    counts = tasks.reconcile_pending_payments()
    # then
    assert counts["fulfilled"] == 1
    assert Order.objects.get(pk=order["id"]).status == "paid"
    assert Enrollment.objects.filter(student=student, course=course).exists()


def test_reconciliation_leaves_recent_payments_and_survives_stripe_errors(
    student_client, course, stripe_http
):
    order = place_order(student_client, course)
    stripe_checkout(student_client, stripe_http, order)
    assert services.reconcile_pending_payments()["checked"] == 0  # too recent to ask about
    Payment.objects.update(created_at=timezone.now() - timedelta(hours=2))
    stripe_http.add(
        responses.GET,
        f"{STRIPE_BASE}/v1/payment_intents/pi_test_1",
        json={"error": {"type": "api_error"}},
        status=500,
    )
    counts = services.reconcile_pending_payments()
    assert (counts["checked"], counts["errors"]) == (1, 1)
    assert Order.objects.get(pk=order["id"]).status == "pending"


def test_reconciliation_cancels_a_cancelled_intent(student_client, course, stripe_http):
    order = _pending_two_hours(
        student_client,
        stripe_http,
        course,
        intent={
            "id": "pi_test_1",
            "object": "payment_intent",
            "status": "canceled",
            "amount": 10000,
            "currency": "usd",
        },
    )
    assert services.reconcile_pending_payments()["failed"] == 1
    assert Order.objects.get(pk=order["id"]).status == "cancelled"
