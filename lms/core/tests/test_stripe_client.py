"""The shared Stripe client: our key, our base address, no retries of its own; Stripe's units."""

from decimal import Decimal

import pytest
import responses
import stripe

from lms.core.money import InexactAmount, Money
from lms.core.stripe_client import (
    UnchargeableAmount,
    from_stripe_amount,
    stripe_client,
    stripe_payable_exponent,
    to_stripe_amount,
)

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


# --- Stripe's units, currency by currency (docs.stripe.com/currencies) --------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("10.00", "USD", 1000),  # two-decimal: cents
        ("10.45", "HUF", 1045),  # HUF charges in two decimals
        ("99.99", "TWD", 9999),
        ("500", "JPY", 500),  # zero-decimal: whole units
        ("1000", "KRW", 1000),
        ("1000", "CLP", 1000),
        ("1000", "VND", 1000),
        ("1000", "UGX", 1000),
        ("10000", "MGA", 10000),  # ISO has two decimals, Stripe none: 100x off before
        ("5", "ISK", 500),  # ISO has none, Stripe two (always 00): 1/100 off before
        ("5000", "ISK", 500000),
        ("5.120", "KWD", 5120),  # three-decimal: thousandths ending in 0
        ("5.12", "BHD", 5120),
        ("1.5", "JOD", 1500),
        ("0.01", "OMR", 10),
        ("12.34", "TND", 12340),
    ],
)
def test_amounts_in_stripe_units(amount, currency, units):
    assert to_stripe_amount(Money(Decimal(amount), currency)) == units
    assert from_stripe_amount(units, currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("5.124", "KWD"), ("0.001", "OMR"), ("10000.50", "MGA")],
)
def test_amounts_stripe_cannot_charge_are_refused_not_rounded(amount, currency):
    with pytest.raises(UnchargeableAmount):
        to_stripe_amount(Money(Decimal(amount), currency))


@pytest.mark.parametrize(("amount", "currency"), [("5.5", "ISK"), ("1.5", "JPY")])
def test_amounts_finer_than_iso_never_reach_stripe(amount, currency):
    # what ISO gives no decimals cannot be a Money, so it never gets as far as Stripe's units
    with pytest.raises(InexactAmount):
        to_stripe_amount(Money(Decimal(amount), currency))


def test_payable_decimals_are_the_finer_of_iso_and_stripe():
    assert {c: stripe_payable_exponent(c) for c in ("USD", "JPY", "ISK", "MGA", "KWD", "HUF")} == {
        "USD": 2, "JPY": 0, "ISK": 0, "MGA": 0, "KWD": 2, "HUF": 2,
    }  # fmt: skip
