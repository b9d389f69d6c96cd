"""The shared Stripe client: our key, our base address, and no retries of its own."""

import pytest
import responses
import stripe

from lms.core.stripe_client import stripe_client

BASE = "https://stripe.core.test"


@pytest.fixture
def stripe_settings(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_core"
    settings.STRIPE_API_BASE = BASE
    return settings


@responses.activate
def test_the_client_calls_the_configured_base_with_the_secret_key(stripe_settings):
    # given
    responses.add(responses.GET, f"{BASE}/v1/balance", json={"object": "balance"})
    # when
    stripe_client().v1.balance.retrieve()
    # then
    [call] = responses.calls
    assert call.request.headers["Authorization"] == "Bearer sk_test_core"


@responses.activate
def test_the_sdk_never_retries_by_itself(stripe_settings):
    # given: Stripe answers 500 (which the SDK would retry when allowed to)
    responses.add(
        responses.POST,
        f"{BASE}/v1/transfers",
        json={"error": {"type": "api_error", "message": "down"}},
        status=500,
        headers={"Stripe-Should-Retry": "true"},
    )
    # when
    with pytest.raises(stripe.APIError):
        stripe_client().v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": "acct_123456"},
            options={"idempotency_key": "ours"},
        )
    # then: one request only; a retry is the caller's, with its own key
    [call] = responses.calls
    assert call.request.headers["Idempotency-Key"] == "ours"
