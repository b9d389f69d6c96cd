"""The embedded provider: no network. `/payments/{id}/simulate/` plays the provider's part.

A simulated outcome is recorded in the same event inbox as a Stripe webhook and handled by
the same services, so demos and tests exercise the real fulfilment path.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING, Any

from .base import CreatedPayment, CreatedRefund, PaymentEvent, RemotePayment

if TYPE_CHECKING:
    from lms.commerce.models import Order, Payment

SIMULATED_KINDS = {"payment.succeeded": "succeeded", "payment.failed": "failed"}


class FakeProvider:
    name = "fake"

    def create_payment(self, *, payment: Payment, order: Order, hosted: bool) -> CreatedPayment:
        ref = f"fake_pi_{payment.pk.hex}"
        return CreatedPayment(ref=ref, client_secret=f"{ref}_secret_{secrets.token_hex(8)}")

    def refund(self, *, payment: Payment, amount_minor: int, idempotency_key: str) -> CreatedRefund:
        # Deterministic like Stripe's idempotency: the same key gives the same refund.
        digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        return CreatedRefund(ref=f"fake_re_{digest}", status="succeeded")

    def retrieve(self, *, payment: Payment) -> RemotePayment:
        # Nothing happens at a fake provider until someone simulates it.
        return RemotePayment(state="pending")

    def parse_event(self, payload: dict[str, Any]) -> PaymentEvent:
        kind = SIMULATED_KINDS.get(str(payload.get("type")))
        data = payload.get("data") or {}
        if kind is None:
            return PaymentEvent(kind="ignored")
        return PaymentEvent(
            kind="succeeded" if kind == "succeeded" else "failed",
            payment_id=str(data.get("payment_id", "")),
            provider_ref=str(data.get("provider_ref", "")),
            payment_ref=str(data.get("provider_ref", "")),
            amount_minor=data.get("amount_minor"),
            currency=str(data.get("currency", "")).upper(),
            error="Simulated card decline." if kind == "failed" else "",
        )


def simulated_event(*, payment: Payment, outcome: str, amount_minor: int) -> dict[str, Any]:
    """The event `/simulate/` feeds to the inbox; its id makes a repeated simulation a replay."""
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
