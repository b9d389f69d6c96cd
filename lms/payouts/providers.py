"""How an approved withdrawal's money leaves the platform, chosen by `PAYOUT_PROVIDER`.

`manual` (the default) sends nothing: an admin pays outside and marks the withdrawal paid.
`stripe` pays withdrawals whose method is `stripe` with a Stripe Connect transfer from the
platform's balance to the instructor's connected account; other methods stay manual.

A withdrawal's amount reaches this edge as `withdrawal.money` (a `Money`) and leaves it in the
provider's own integer units, converted here only (Stripe's table: `to_stripe_amount`).
Every call carries the idempotency key `withdrawal-<id>`, derived from our row and the same
on every retry, so a retried call (a Celery retry, a duplicate task) is answered with the
first transfer instead of a second.
After a refusal (nothing was paid) the key gains `-<n>`, the count of refusals, so sending
it again once the cause is fixed is a new request rather than the stored refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from lms.core.money import minor_unit_exponent
from lms.core.stripe_client import (
    UnchargeableAmount,
    stripe_client,
    stripe_payable_exponent,
    to_stripe_amount,
)
from lms.payouts.models import PayoutMethod, Withdrawal


class TransferError(Exception):
    """The provider did not pay."""


class TransferUnavailable(TransferError):
    """No definitive answer (network error, timeout, 5xx, 409, 429): the transfer may or may not
    exist. Retry with the same idempotency key."""


class TransferRefused(TransferError):
    """A definitive refusal (4xx): no money moved, and the same request would be refused again."""


@dataclass(frozen=True, slots=True)
class SentTransfer:
    id: str  # the provider's id, kept as the withdrawal's payout_reference


class PayoutProvider(Protocol):
    name: str

    def pays(self, withdrawal: Withdrawal) -> bool:
        """Whether this provider sends `withdrawal`'s money itself once it is approved."""
        ...

    def payable_exponent(self, *, method: str, currency: str) -> int:
        """How many decimals a withdrawal by `method` in `currency` may have to be sent."""
        ...

    def send(self, *, withdrawal: Withdrawal) -> SentTransfer:
        """Send the money of an approved withdrawal (idempotent per withdrawal)."""
        ...


def idempotency_key(withdrawal: Withdrawal) -> str:
    """`withdrawal-<id>`, the same on every retry; after each refusal (nothing was paid) one
    more `-<n>`, so the transfer sent again is not Stripe's stored refusal replayed."""
    key = f"withdrawal-{withdrawal.pk}"
    return f"{key}-{withdrawal.refusals}" if withdrawal.refusals else key


class ManualPayouts:
    """Admins pay outside the platform, then mark the withdrawal paid."""

    name = "manual"

    def pays(self, withdrawal: Withdrawal) -> bool:
        return False

    def payable_exponent(self, *, method: str, currency: str) -> int:
        return minor_unit_exponent(currency)

    def send(self, *, withdrawal: Withdrawal) -> SentTransfer:
        raise TransferRefused("Payouts are manual: an admin pays and marks the withdrawal paid.")


class StripeConnectPayouts:
    """A Stripe Connect transfer to the connected account (`acct_...`) in the details."""

    name = "stripe"

    def pays(self, withdrawal: Withdrawal) -> bool:
        return withdrawal.method == PayoutMethod.STRIPE

    def payable_exponent(self, *, method: str, currency: str) -> int:
        if method == PayoutMethod.STRIPE:
            return stripe_payable_exponent(currency)
        return minor_unit_exponent(currency)

    def send(self, *, withdrawal: Withdrawal) -> SentTransfer:
        destination = str(withdrawal.details.get("account_id") or "")
        if not destination.startswith("acct_"):
            raise TransferRefused("The withdrawal names no Stripe connected account.")
        money = withdrawal.money
        try:
            amount = to_stripe_amount(money)
        except UnchargeableAmount as exc:
            raise TransferRefused(str(exc)) from exc
        try:
            transfer = stripe_client().v1.transfers.create(
                params={
                    "amount": amount,
                    "currency": money.currency.lower(),
                    "destination": destination,
                    "transfer_group": f"withdrawal-{withdrawal.pk}",
                    "metadata": {"withdrawal_id": str(withdrawal.pk)},
                },
                options={"idempotency_key": idempotency_key(withdrawal)},
            )
        except stripe.StripeError as exc:
            raise _classified(exc) from exc
        return SentTransfer(id=transfer.id)


def _classified(exc: stripe.StripeError) -> TransferError:
    """Stripe's answer as ours: retry what may still succeed, stop at a definitive refusal."""
    message = str(exc.user_message or exc)[:500]
    status = exc.http_status
    if (
        isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError)
        or status is None
        or status >= 500
        or status == 409  # another request with the same key is still running
    ):
        return TransferUnavailable(message)
    return TransferRefused(message)


_PROVIDERS: dict[str, type[PayoutProvider]] = {
    ManualPayouts.name: ManualPayouts,
    StripeConnectPayouts.name: StripeConnectPayouts,
}


def get_payout_provider() -> PayoutProvider:
    """The provider named by PAYOUT_PROVIDER."""
    try:
        return _PROVIDERS[settings.PAYOUT_PROVIDER]()
    except KeyError:
        raise ImproperlyConfigured(
            f"Unknown PAYOUT_PROVIDER {settings.PAYOUT_PROVIDER!r}: use 'manual' or 'stripe'."
        ) from None
