"""Celery tasks of accounts: thin wrappers that call services, with ids only.

The link token and the 6-digit code are made inside the task, so they exist only in the
worker and in the email: never in a task argument, the broker or a log line.
"""

from __future__ import annotations

from celery import shared_task

from lms.core.tasks import RETRIED


@shared_task(**RETRIED)
def send_verification_email(user_id: str | None) -> None:
    """A fresh verification link and code for an active, unverified account (None: no such
    account; enqueued all the same, so that a request costs the same for any address)."""
    from lms.accounts import services

    services.email_verification_code(user_id=user_id)


@shared_task(**RETRIED)
def send_password_reset_email(user_id: str | None) -> None:
    """A fresh password-reset link and code for an active account (None: no such account;
    enqueued all the same, so that a request costs the same for any address)."""
    from lms.accounts import services

    services.email_password_reset_code(user_id=user_id)


@shared_task(**RETRIED)
def build_personal_data_export(export_id: str) -> None:
    """Build, store and email one personal data export (lms.accounts.export); a second
    delivery of the same id does nothing."""
    from lms.accounts import export

    export.build_export(export_id=export_id)


@shared_task(**RETRIED)
def purge_expired_exports() -> int:
    """Delete the stored ZIPs whose download link has expired."""
    from lms.accounts import export

    return export.purge_expired_exports()
