"""The one way this project builds a Stripe client (commerce's payments, payouts' transfers).

The official SDK over `requests` (tests stub its HTTP with `responses`), pointed at
`STRIPE_API_BASE` (Stripe, stripe-mock or a local stand-in), with the SDK's own retries off:
callers retry themselves with an idempotency key derived from their own row, so a retried
call can never charge, refund or pay twice.
"""

from __future__ import annotations

import stripe
from django.conf import settings

REQUEST_TIMEOUT_SECONDS = 20


def stripe_client(*, timeout: float = REQUEST_TIMEOUT_SECONDS) -> stripe.StripeClient:
    """A client with STRIPE_SECRET_KEY, STRIPE_API_BASE, `timeout` seconds and no SDK retries."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=timeout),
        max_network_retries=0,
    )
