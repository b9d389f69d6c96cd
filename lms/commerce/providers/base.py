"""The payment provider interface: what commerce asks of Stripe or of the fake provider.

A provider speaks its own integer units at its edge only (Stripe's are not always ISO's);
everything it returns is normalised into these small value objects, amounts as `Money`, and
it takes `Money` (a refund's amount), so the services never see a provider's types or units.
A reported figure that is no exact amount of an ISO currency (unknown code, finer than the
currency's minor unit) is None: the services treat it as a mismatch, never round it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from lms.core.money import Money

if TYPE_CHECKING:
    from lms.commerce.models import Order, Payment

PaymentState = Literal["pending", "succeeded", "failed", "cancelled"]
EventKind = Literal["succeeded", "failed", "refunded", "disputed", "ignored"]


class ProviderError(Exception):
    """The provider refused, failed (5xx) or did not answer in time."""


class SignatureError(Exception):
    """A webhook whose signature is missing, wrong, stale or from the future."""


@dataclass(frozen=True, slots=True)
class CreatedPayment:
    ref: str
    client_secret: str = ""
    checkout_url: str = ""


@dataclass(frozen=True, slots=True)
class CreatedRefund:
    ref: str
    status: Literal["succeeded", "pending", "failed"]


@dataclass(frozen=True, slots=True)
class RemotePayment:
    """The provider's truth about one payment (reconciliation)."""

    state: PaymentState
    amount: Money | None = None
    currency: str = ""  # the code the provider reported (also when `amount` is None)
    payment_ref: str = ""


@dataclass(frozen=True, slots=True)
class PaymentEvent:
    """One provider event, normalised: which payment it concerns and what happened to it."""

    kind: EventKind
    payment_id: str = ""  # ours, from the provider object's metadata when present
    provider_ref: str = ""  # the PaymentIntent or Checkout Session id
    payment_ref: str = ""  # the PaymentIntent id
    amount: Money | None = None  # converted from the provider's units at its edge
    currency: str = ""  # the code the provider reported (also when `amount` is None)
    amount_refunded: Money | None = None
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str

    def payable_exponent(self, currency: str) -> int:
        """How many decimals an amount this provider charges in `currency` may have."""
        ...

    def create_payment(self, *, payment: Payment, order: Order, hosted: bool) -> CreatedPayment:
        """Create the provider's payment for `payment` (idempotent by payment.idempotency_key)."""
        ...

    def refund(self, *, payment: Payment, amount: Money, idempotency_key: str) -> CreatedRefund:
        """Return `amount` of `payment` (idempotent by `idempotency_key`)."""
        ...

    def retrieve(self, *, payment: Payment) -> RemotePayment: ...

    def parse_event(self, payload: dict[str, Any]) -> PaymentEvent: ...
