"""The one way this project builds a Stripe client (commerce's payments, payouts' transfers).

The official SDK over `requests` (tests stub its HTTP with `responses`), pointed at
`STRIPE_API_BASE` (Stripe, stripe-mock or a local stand-in), with the SDK's own retries off:
callers retry themselves with an idempotency key derived from their own row, so a retried
call can never charge, refund or pay twice.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import stripe
from django.conf import settings

from lms.core.money import ChargeLimits, Money, minor_unit_exponent

REQUEST_TIMEOUT_SECONDS = 20


def stripe_client(*, timeout: float = REQUEST_TIMEOUT_SECONDS) -> stripe.StripeClient:
    """A client with STRIPE_SECRET_KEY, STRIPE_API_BASE, `timeout` seconds and no SDK retries."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=0,
    )


# --- Stripe's own units ---------------------------------------------------------------------
# Stripe's amounts are integers in Stripe's own minor units, which are not always ISO 4217's
# (docs.stripe.com/currencies: "Zero-decimal currencies", "Three-decimal currencies" and
# "Special cases"; support.stripe.com, "Deprecation of fractional ISK charges"):
# - zero-decimal: the amount is in whole units, although ISO gives MGA two decimals;
# - three-decimal: thousandths, with the last digit 0 (12.345 KWD cannot be charged, 12.340 can);
# - ISK: two-decimal in the API although ISO gives it none, every amount a multiple of 100;
# - everything else (HUF and TWD included, for charges, refunds and transfers): hundredths.
STRIPE_ZERO_DECIMAL = frozenset(
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
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


# Stripe's error code for a charge below its minimum (its API reference, "Error codes").
AMOUNT_TOO_SMALL = "amount_too_small"


class BelowMinimumCharge(ValueError):
    """Stripe refused a payment as below its minimum charge (`AMOUNT_TOO_SMALL`): a currency
    whose minimum `STRIPE_MINIMUM_CHARGE` cannot give. Checkout answers it 400
    `below_minimum_charge`, as it does the minimums it knows before asking."""


class UnchargeableAmount(ValueError):
    """An amount finer than Stripe can charge in its currency (see `stripe_payable_exponent`)."""


def stripe_exponent(currency: str) -> int:
    """The power of ten Stripe's integer amounts of `currency` are scaled by."""
    code = currency.upper()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def stripe_payable_exponent(currency: str) -> int:
    """How many decimals a chargeable amount of `currency` may have at Stripe: the finer of
    ISO's and Stripe's units, except that three-decimal amounts end in 0 (two decimals)."""
    code = currency.upper()
    if code in STRIPE_THREE_DECIMAL:
        return 2
    return min(stripe_exponent(code), minor_unit_exponent(code))


# Stripe's minimum charge amounts (docs.stripe.com/currencies, "Minimum and maximum charge
# amounts"), in amounts of the currency. Stripe applies them in the account's settlement
# currency and gives every other currency as "0.50 USD or the equivalent", which moves with
# the exchange rate: those are not modelled here (one unit is their floor), and Stripe's own
# `amount_too_small` refusal of such a charge is the backstop.
STRIPE_MINIMUM_CHARGE = {
    code: Decimal(amount)
    for code, amount in {
        "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50",
        "CAD": "0.50", "CHF": "0.50", "CZK": "15.00", "DKK": "2.50", "EUR": "0.50",
        "GBP": "0.30", "HKD": "4.00", "HUF": "175.00", "INR": "0.50", "JPY": "50",
        "MXN": "10", "MYR": "2", "NOK": "3.00", "NZD": "0.50", "PLN": "2.00",
        "RON": "2.00", "SEK": "3.00", "SGD": "0.50", "THB": "10",
    }.items()
}  # fmt: skip


def stripe_charge_limits(currency: str) -> ChargeLimits:
    """Stripe's `ChargeLimits` of `currency`: the step is one unit of
    `stripe_payable_exponent` (0.01 USD, 1 MGA, 1 ISK, 0.01 KWD), the minimum the documented
    one (`STRIPE_MINIMUM_CHARGE`: 0.50 USD, 50 JPY), else one step."""
    code = currency.upper()
    step = Decimal(1).scaleb(-stripe_payable_exponent(code))
    return ChargeLimits(step=step, minimum=max(step, STRIPE_MINIMUM_CHARGE.get(code, step)))


def to_stripe_amount(money: Money) -> int:
    """`money` as Stripe's integer in its currency: 49.99 USD → 4999, 5000 ISK → 500000,
    10000 MGA → 10000, 12.34 KWD → 12340. `UnchargeableAmount` when it has more decimals
    than `stripe_payable_exponent` allows (Stripe would refuse it or read another amount)."""
    value, currency = money.amount, money.currency
    exponent = stripe_payable_exponent(currency)
    if value != value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_DOWN):
        raise UnchargeableAmount(f"{money} has more decimals than Stripe can charge.")
    return int(value.scaleb(stripe_exponent(currency)))


def from_stripe_amount(units: int, currency: str) -> Decimal:
    """Stripe's integer back to an amount of `currency`, exactly (never rounded: an amount
    finer than ISO's minor unit then fails the caller's comparison instead of hiding)."""
    return Decimal(int(units)).scaleb(-stripe_exponent(currency))
