"""Commerce test helpers: courses for sale, the purchase flow through the API, Stripe's
HTTP stubbed with `responses` (the real SDK on top) and webhooks signed for real."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import responses
from rest_framework.test import APIClient

from lms.catalog.tests.factories import PublishedCourseFactory
from lms.payouts.testing import assert_payouts_consistent

STRIPE_BASE = "https://stripe.test"
WEBHOOK_SECRET = "whsec_test_secret_for_commerce"
WEBHOOK_URL = "/api/v1/payments/webhook/stripe/"


@pytest.fixture(autouse=True)
def _ledger_balances_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that touched the database leaves a balanced ledger and matching wallets."""
    yield
    uses_db = {"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)
    if uses_db or request.node.get_closest_marker("django_db"):
        assert_payouts_consistent()


@pytest.fixture
def course_factory(db: None) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("price", Decimal("49.99"))
        return PublishedCourseFactory(**kwargs)

    return make


@pytest.fixture
def course(course_factory: Callable[..., Any]) -> Any:
    return course_factory(price=Decimal("100.00"))


def add_to_cart(client: APIClient, course: Any) -> Any:
    response = client.post("/api/v1/cart/items/", {"course_id": str(course.pk)})
    assert response.status_code == 201, response.json()
    return response


def place_order(client: APIClient, *courses: Any, **body: Any) -> dict[str, Any]:
    for course in courses:
        add_to_cart(client, course)
    response = client.post("/api/v1/orders/", body or {}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def checkout(client: APIClient, order_id: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/payments/checkout/", {"order_id": order_id, **extra})
    assert response.status_code == 200, response.json()
    return response.json()


def simulate(client: APIClient, payment_id: str, outcome: str = "succeeded") -> Any:
    return client.post(f"/api/v1/payments/{payment_id}/simulate/", {"outcome": outcome})


def buy(client: APIClient, *courses: Any) -> dict[str, Any]:
    """Cart → order → checkout → simulated success; returns the order as the API shows it."""
    order = place_order(client, *courses)
    payment = checkout(client, order["id"])
    response = simulate(client, payment["payment_id"])
    assert response.status_code == 200, response.json()
    return client.get(f"/api/v1/orders/{order['id']}/").json()


# --- Stripe -----------------------------------------------------------------------------------


@pytest.fixture
def stripe_settings(settings: Any) -> Any:
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_commerce"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_commerce"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = STRIPE_BASE
    return settings


@pytest.fixture
def stripe_http(stripe_settings: Any) -> Iterator[responses.RequestsMock]:
    """Stripe's API stubbed; any request that was not stubbed fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def stub_payment_intent(
    mock: responses.RequestsMock, *, pi_id: str = "pi_test_1", status: int = 200, **fields: Any
) -> None:
    body = {
        "id": pi_id,
        "object": "payment_intent",
        "client_secret": f"{pi_id}_secret_abc",
        "status": "requires_payment_method",
        **fields,
    }
    mock.add(
        responses.POST,
        f"{STRIPE_BASE}/v1/payment_intents",
        json=body
        if status == 200
        else {"error": {"type": "api_error", "message": "Stripe is down"}},
        status=status,
    )


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """`Stripe-Signature` computed with Stripe's algorithm: HMAC-SHA256 of `{t}.{payload}`."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def stripe_event(event_id: str, event_type: str, obj: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "data": {"object": obj},
        }
    ).encode()


def post_webhook(client: APIClient, payload: bytes, signature: str | None = None) -> Any:
    headers = {"HTTP_STRIPE_SIGNATURE": sign(payload) if signature is None else signature}
    return client.post(WEBHOOK_URL, data=payload, content_type="application/json", **headers)


def intent_object(
    payment: dict[str, Any] | Any,
    *,
    pi_id: str,
    amount: int,
    currency: str = "usd",
    status: str = "succeeded",
) -> dict[str, Any]:
    payment_id = payment["payment_id"] if isinstance(payment, dict) else str(payment.pk)
    return {
        "id": pi_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount,
        "currency": currency,
        "status": status,
        "metadata": {"payment_id": payment_id},
    }
