"""Celery tasks of learning: thin wrappers around services, called with ids after commit."""

from __future__ import annotations

import logging

from celery import shared_task

from lms.core.errors import Conflict
from lms.core.tasks import IDEMPOTENT, RETRIED

logger = logging.getLogger(__name__)


@shared_task(**RETRIED, **IDEMPOTENT)
def issue_certificate(enrollment_id: str) -> str | None:
    """Issue (once) the certificate of a completed enrollment; returns its id."""
    from . import services

    try:
        certificate = services.issue_certificate(enrollment_id=enrollment_id)
    except Conflict:
        logger.warning("Enrollment %s is not completed; no certificate.", enrollment_id)
        return None
    return str(certificate.pk)


@shared_task(**RETRIED)
def send_certificate_email(certificate_id: str) -> None:
    """The certificate email, built in the task from the certificate's id."""
    from . import services

    services.email_certificate(certificate_id=certificate_id)
