"""Stripe, through its official SDK: PaymentIntents, Checkout Sessions, refunds, webhooks.

Every call sends an idempotency key derived from our own row (never a random one), so a
retried call (a Celery retry, a timeout followed by a second click) cannot charge or refund
twice. Amounts are `Money` on our side and Stripe's integer units on its side, converted
here only (`lms.core.stripe_client`'s table). `STRIPE_API_BASE` points the SDK at
stripe-mock or a local stand-in.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import TYPE_CHECKING, Any

import stripe as stripe_sdk
from django.conf import settings

from lms.core.money import Money
from lms.core.stripe_client import (
    AMOUNT_TOO_SMALL,
    BelowMinimumCharge,
    UnchargeableAmount,
    from_stripe_amount,
    stripe_client,
    stripe_payable_exponent,
    to_stripe_amount,
)

from .base import (
    CreatedPayment,
    CreatedRefund,
    PaymentEvent,
    ProviderError,
    RemotePayment,
    SignatureError,
)

if TYPE_CHECKING:
    from lms.commerce.models import Order, Payment

# Stripe's SDK refuses signatures older than the tolerance but accepts any future timestamp;
# a signature more than this far ahead is refused here too.
SIGNATURE_TOLERANCE_SECONDS = 300
# The type of a signed body that is no event we can use, and how much of it is kept.
UNUSABLE_EVENT = "unusable"
UNUSABLE_BODY_KEPT = 65_536


def _metadata(payment: Payment, order: Order) -> dict[str, str]:
    return {"payment_id": str(payment.pk), "order_id": str(order.pk), "order_number": order.number}


def _amount(units: Any, currency: Any) -> Money | None:
    """A Stripe integer amount as Money of its currency; None when it is not one (no integer,
    no ISO currency, or finer than the currency's minor unit: 500050 ISK is 5000.50 ISK)."""
    if isinstance(units, bool) or not isinstance(units, int) or not isinstance(currency, str):
        return None
    try:
        return Money(from_stripe_amount(units, currency), currency.upper())
    except ValueError:  # InexactAmount, or not an ISO 4217 currency
        return None


def _field(obj: Any, name: str) -> str:
    """A string field of an SDK object (its objects are not dicts; an id when expanded)."""
    value = obj.to_dict().get(name)
    if isinstance(value, dict):
        value = value.get("id")
    return str(value or "")


def _state_of_intent(status: str) -> str:
    if status == "succeeded":
        return "succeeded"
    if status == "canceled":
        return "cancelled"
    return "pending"  # requires_payment_method after a decline: the buyer may try again


def verify_webhook(*, payload: bytes, signature: str, now: float | None = None) -> dict[str, Any]:
    """The event of a webhook whose `Stripe-Signature` is valid, fresh and not from the future."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise SignatureError("Missing signature or webhook secret.")
    timestamps = [
        part.split("=", 1)[1] for part in signature.split(",") if part.strip().startswith("t=")
    ]
    try:
        timestamp = int(timestamps[0])
    except (IndexError, ValueError):
        raise SignatureError("No timestamp in the signature.") from None
    current = time.time() if now is None else now
    if timestamp > current + SIGNATURE_TOLERANCE_SECONDS:
        raise SignatureError("The signature's timestamp is in the future.")
    try:
        text = payload.decode("utf-8")
        stripe_sdk.WebhookSignature.verify_header(
            text, signature, secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
        )
    except (stripe_sdk.SignatureVerificationError, ValueError) as exc:
        raise SignatureError(str(exc)) from exc
    return _event_of(text)


def _event_of(text: str) -> dict[str, Any]:
    """A signed body as an event to record: itself when it is one we can store and read, else
    an `unusable` event (kept for the record, ignored by `parse_event`) named by its digest.

    Stripe only stops retrying on a 2xx, so a signed body that can never be handled (not JSON,
    not an object, no id or type, a NUL that PostgreSQL cannot store) is answered 200.
    """
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        event = None
    usable = (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and bool(event["id"])
        and bool(event["type"])
        and "\\u0000" not in text
    )
    if usable:
        return event
    digest = hashlib.sha256(text.encode()).hexdigest()
    return {
        "id": f"unusable_{digest}",
        "type": UNUSABLE_EVENT,
        "body": text.replace("\x00", "")[:UNUSABLE_BODY_KEPT],
    }


class StripeProvider:
    name = "stripe"

    def payable_exponent(self, currency: str) -> int:
        return stripe_payable_exponent(currency)

    def create_payment(self, *, payment: Payment, order: Order, hosted: bool) -> CreatedPayment:
        try:
            amount = to_stripe_amount(order.total_money)
        except UnchargeableAmount as exc:
            raise ProviderError(str(exc)) from exc
        currency = order.currency.lower()
        metadata = _metadata(payment, order)
        return_url = f"{settings.FRONTEND_URL}/orders/{order.pk}"
        try:
            if hosted:
                session = stripe_client().v1.checkout.sessions.create(
                    params={
                        "mode": "payment",
                        "client_reference_id": str(order.pk),
                        "line_items": [
                            {
                                "quantity": 1,
                                "price_data": {
                                    "currency": currency,
                                    "unit_amount": amount,
                                    "product_data": {"name": f"Order {order.number}"},
                                },
                            }
                        ],
                        "metadata": metadata,
                        "payment_intent_data": {"metadata": metadata},
                        "success_url": f"{return_url}?checkout=success",
                        "cancel_url": f"{return_url}?checkout=cancelled",
                    },
                    options={"idempotency_key": f"{payment.idempotency_key}-session"},
                )
                return CreatedPayment(ref=session.id, checkout_url=_field(session, "url"))
            intent = stripe_client().v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": currency,
                    "metadata": metadata,
                    "automatic_payment_methods": {"enabled": True},
                    "description": f"Order {order.number}",
                },
                options={"idempotency_key": f"{payment.idempotency_key}-intent"},
            )
        except stripe_sdk.StripeError as exc:
            if exc.code == AMOUNT_TOO_SMALL:  # a minimum the table does not know: 400
                raise BelowMinimumCharge(str(exc.user_message or exc)[:500]) from exc
            raise ProviderError(str(exc.user_message or exc)[:500]) from exc
        return CreatedPayment(ref=intent.id, client_secret=_field(intent, "client_secret"))

    def _intent_id(self, payment: Payment) -> str:
        if payment.provider_payment_ref:
            return payment.provider_payment_ref
        ref = payment.provider_ref or ""
        if ref.startswith("cs_"):
            session = stripe_client().v1.checkout.sessions.retrieve(ref)
            return _field(session, "payment_intent")
        return ref

    def refund(self, *, payment: Payment, amount: Money, idempotency_key: str) -> CreatedRefund:
        if amount.currency != payment.currency:
            raise ProviderError(f"A refund in {amount.currency} of a {payment.currency} payment.")
        try:
            amount_units = to_stripe_amount(amount)
        except UnchargeableAmount as exc:
            raise ProviderError(str(exc)) from exc
        try:
            refund = stripe_client().v1.refunds.create(
                params={
                    "payment_intent": self._intent_id(payment),
                    "amount": amount_units,
                    "metadata": {"payment_id": str(payment.pk)},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe_sdk.StripeError as exc:
            raise ProviderError(str(exc.user_message or exc)[:500]) from exc
        status = _field(refund, "status")
        if status not in ("succeeded", "pending", "failed"):
            status = "pending"  # requires_action, canceled...: settled by the charge.refunded event
        return CreatedRefund(ref=refund.id, status=status)  # type: ignore[arg-type]

    def retrieve(self, *, payment: Payment) -> RemotePayment:
        ref = payment.provider_ref or ""
        try:
            if ref.startswith("cs_"):
                session = stripe_client().v1.checkout.sessions.retrieve(ref)
                data = session.to_dict()
                if data.get("payment_status") == "paid":
                    state = "succeeded"
                elif data.get("status") == "expired":
                    state = "cancelled"
                else:
                    state = "pending"
                return RemotePayment(
                    state=state,  # type: ignore[arg-type]
                    amount=_amount(data.get("amount_total"), data.get("currency")),
                    currency=str(data.get("currency") or "").upper(),
                    payment_ref=_field(session, "payment_intent"),
                )
            intent = stripe_client().v1.payment_intents.retrieve(ref)
        except stripe_sdk.StripeError as exc:
            raise ProviderError(str(exc.user_message or exc)[:500]) from exc
        data = intent.to_dict()
        return RemotePayment(
            state=_state_of_intent(str(data.get("status", ""))),  # type: ignore[arg-type]
            amount=_amount(data.get("amount_received") or data.get("amount"), data.get("currency")),
            currency=str(data.get("currency") or "").upper(),
            payment_ref=intent.id,
        )

    def parse_event(self, payload: dict[str, Any]) -> PaymentEvent:
        kind = str(payload.get("type", ""))
        obj: dict[str, Any] = (payload.get("data") or {}).get("object") or {}
        metadata = obj.get("metadata") or {}
        payment_id = str(metadata.get("payment_id", ""))
        currency = str(obj.get("currency") or "").upper()
        if kind == "payment_intent.succeeded":
            return PaymentEvent(
                kind="succeeded",
                payment_id=payment_id,
                provider_ref=obj.get("id", ""),
                payment_ref=obj.get("id", ""),
                amount=_amount(obj.get("amount_received", obj.get("amount")), currency),
                currency=currency,
            )
        if kind == "payment_intent.payment_failed":
            error = (obj.get("last_payment_error") or {}).get("message", "")
            return PaymentEvent(
                kind="failed",
                payment_id=payment_id,
                provider_ref=obj.get("id", ""),
                payment_ref=obj.get("id", ""),
                error=str(error)[:500],
            )
        if kind == "checkout.session.completed":
            if obj.get("payment_status") != "paid":
                return PaymentEvent(kind="ignored")  # delayed methods: wait for the intent
            intent = obj.get("payment_intent") or ""
            return PaymentEvent(
                kind="succeeded",
                payment_id=payment_id,
                provider_ref=obj.get("id", ""),
                payment_ref=intent if isinstance(intent, str) else str(intent.get("id", "")),
                amount=_amount(obj.get("amount_total"), currency),
                currency=currency,
            )
        if kind == "charge.refunded":
            return PaymentEvent(
                kind="refunded",
                payment_id=payment_id,
                payment_ref=str(obj.get("payment_intent") or ""),
                amount=_amount(obj.get("amount"), currency),
                currency=currency,
                amount_refunded=_amount(obj.get("amount_refunded"), currency),
            )
        if kind == "charge.dispute.created":
            return PaymentEvent(
                kind="disputed",
                payment_id=payment_id,
                payment_ref=str(obj.get("payment_intent") or ""),
                amount=_amount(obj.get("amount"), currency),
                currency=currency,
                extra={"dispute_id": obj.get("id", ""), "reason": obj.get("reason", "")},
            )
        return PaymentEvent(kind="ignored")
