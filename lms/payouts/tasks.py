"""Celery tasks of payouts: thin wrappers over services."""

from celery import shared_task

from lms.payouts import services


@shared_task
def release_matured_earnings() -> int:
    """Beat, hourly: pending earnings past their hold become available (idempotent)."""
    return services.release_matured_earnings()
