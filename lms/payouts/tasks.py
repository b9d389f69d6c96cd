"""Celery tasks of payouts: thin wrappers over services (ids in, never instances)."""

from celery import shared_task

from lms.core.tasks import IDEMPOTENT
from lms.payouts import services
from lms.payouts.providers import TransferUnavailable


@shared_task(**IDEMPOTENT)
def release_matured_earnings() -> int:
    """Beat, hourly: pending earnings past their hold become available (idempotent)."""
    return services.release_matured_earnings()


# Seven retries, waits doubling from 30 s to at most 30 min (jittered): within about an hour,
# well inside the 24 hours for which Stripe remembers an idempotency key, so a retry is
# answered with the first transfer if there was one. After the last, an admin retries it.
@shared_task(
    autoretry_for=(TransferUnavailable,),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=7,
    **IDEMPOTENT,
)
def send_stripe_payout(withdrawal_id: str) -> str:
    """Pay one approved `stripe` withdrawal by a Connect transfer (key `withdrawal-<id>`)."""
    return str(services.send_stripe_payout(withdrawal_id=withdrawal_id).status)
