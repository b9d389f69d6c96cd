"""The embedded provider: no network. `/payments/{id}/simulate/` plays the provider's part.

A simulated outcome is recorded in the same event inbox as a Stripe webhook and handled by
the same services, so demos and tests exercise the real fulfilment path.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from lms.core.money import (
    Money,
    from_minor_units,
    is_currency,
    minor_unit_exponent,
    to_minor_units,
)

from .base import CreatedPayment, CreatedRefund, PaymentEvent, RemotePayment

if TYPE_CHECKING:
    from lms.commerce.models import Order, Payment

SIMULATED_KINDS = {"payment.succeeded": "succeeded", "payment.failed": "failed"}


class FakeProvider:
    """Its units are ISO 4217 minor units, and it charges any amount of a currency's unit."""

    name = "fake"

    def payable_exponent(self, currency: str) -> int:
        return minor_unit_exponent(currency)

    def create_payment(self, *, payment: Payment, order: Order, hosted: bool) -> CreatedPayment:
        ref = f"fake_pi_{payment.pk.hex}"
        return CreatedPayment(ref=ref, client_secret=f"{ref}_secret_{secrets.token_hex(8)}")

    def refund(self, *, payment: Payment, amount: Money, idempotency_key: str) -> CreatedRefund:
        # Deterministic like Stripe's idempotency: the same key gives the same refund.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return CreatedRefund(ref=f"fake_re_{digest}", status="succeeded")

    def retrieve(self, *, payment: Payment) -> RemotePayment:
        # Nothing happens at a fake provider until someone simulates it.
        return RemotePayment(state="pending")

    def parse_event(self, payload: dict[str, Any]) -> PaymentEvent:
        kind = SIMULATED_KINDS.get(str(payload.get("type")))
        data = payload.get("data") or {}
        currency = str(data.get("currency", "")).upper()
        if kind is None:
            return PaymentEvent(kind="ignored")
        return PaymentEvent(
            kind="succeeded" if kind == "succeeded" else "failed",
            payment_id=str(data.get("payment_id", "")),
            provider_ref=str(data.get("provider_ref", "")),
            payment_ref=str(data.get("provider_ref", "")),
            amount=_amount(data.get("amount_minor"), currency),
            currency=currency,
            error="Simulated card decline." if kind == "failed" else "",
        )


def _amount(units: Any, currency: str) -> Money | None:
    """ISO minor units as Money (this provider's units are ISO's); None when not an amount."""
    if isinstance(units, bool) or not isinstance(units, int) or not is_currency(currency):
        return None
    return Money(from_minor_units(units, currency), currency)


def simulated_event(*, payment: Payment, outcome: str) -> dict[str, Any]:
    """The event `/simulate/` feeds to the inbox; its id makes a repeated simulation a replay.
    It carries the payment's amount in this provider's units (ISO minor units)."""
    amount_minor = to_minor_units(payment.amount, payment.currency)
    return {
        "id": f"fake_evt_{payment.pk.hex}_{outcome}",
        "type": f"payment.{outcome}",
        "data": {
            "payment_id": str(payment.pk),
            "provider_ref": payment.provider_ref or "",
            "amount_minor": amount_minor,
            "currency": payment.currency,
        },
    }
