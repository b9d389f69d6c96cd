"""Payment providers, chosen by `PAYMENT_PROVIDER` (`fake` by default, or `stripe`)."""

from __future__ import annotations

from django.conf import settings

from .base import (
    CreatedPayment,
    CreatedRefund,
    PaymentEvent,
    PaymentProvider,
    ProviderError,
    RemotePayment,
    SignatureError,
)
from .fake import FakeProvider
from .stripe import StripeProvider

__all__ = [
    "CreatedPayment",
    "CreatedRefund",
    "PaymentEvent",
    "PaymentProvider",
    "ProviderError",
    "RemotePayment",
    "SignatureError",
    "get_provider",
]

_PROVIDERS: dict[str, type[FakeProvider] | type[StripeProvider]] = {
    "fake": FakeProvider,
    "stripe": StripeProvider,
}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name` (a payment's own), else the configured one."""
    key = name or settings.PAYMENT_PROVIDER
    try:
        return _PROVIDERS[key]()
    except KeyError:
        raise ProviderError(f"Unknown payment provider {key!r}.") from None


def configured_provider_name() -> str:
    return str(settings.PAYMENT_PROVIDER)
